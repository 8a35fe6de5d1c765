"""Headers Django does not send itself: ``Permissions-Policy`` everywhere, and
``Cache-Control: no-store`` on the API.

Everything under ``/api/v1/`` is either authenticated or hands out a credential (a token,
a calendar feed's secret URL), so no browser or proxy may keep a copy. A view that chose
its own ``Cache-Control`` keeps it.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

API_PREFIX = "/api/v1/"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if request.path.startswith(API_PREFIX) and "Cache-Control" not in response:
            add_never_cache_headers(response)
        return response

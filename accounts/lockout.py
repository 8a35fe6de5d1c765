"""Failed-login lockout (django-axes), one policy for the token endpoint and both login forms.

Axes counts failed logins in the database (``AxesDatabaseHandler``), so every web process
shares the count. After ``LOGIN_FAILURE_LIMIT`` failures for one email address from one
client IP (``config.client_ip``), that pair is locked out for ``LOGIN_COOLOFF_MINUTES``: a
correct password is refused too until the cool-off ends. Keying on the pair means a guesser
cannot lock a real user out from elsewhere, and rotating ``X-Forwarded-For`` does not help
them unless it is trusted (``TRUSTED_PROXY_COUNT``).

- ``POST /api/v1/auth/token`` answers ``429 locked_out`` with ``Retry-After``
  (``accounts.serializers.TokenObtainInputSerializer`` raises ``LockedOut``).
- ``/admin/login/`` and ``/api-auth/login/`` answer 429 with a plain message
  (``AxesMiddleware`` calls ``lockout_response``).
"""

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import Throttled

from accounts.models import UserManager

LOCKED_OUT_MESSAGE = "Too many failed sign-in attempts. Try again later."


def cool_off_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


class LockedOut(Throttled):
    """Too many failed logins for this email and IP: rendered as ``429 locked_out``."""

    default_code = "locked_out"

    def __init__(self) -> None:
        super().__init__(wait=cool_off_seconds(), detail=LOCKED_OUT_MESSAGE, code="locked_out")


class LockoutBackend(AxesStandaloneBackend):
    """Axes's backend (first in ``AUTHENTICATION_BACKENDS``): refuses a locked-out pair before
    the password is checked. ``authenticate()`` without a request (a script, Django's test
    client's ``login()``) is not a web sign-in and has no client IP: it is left to the next
    backend instead of raising, as axes's own backend does."""

    def authenticate(  # type: ignore[no-untyped-def]
        self, request, username=None, password=None, **kwargs
    ):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the email tried, from the token endpoint (``email``) or a
    login form (``username``), normalised as users' emails are, so case does not split the
    count."""
    credentials = credentials or {}
    email = credentials.get("email") or credentials.get("username")
    if email is None and request is not None and request.method == "POST":
        email = request.POST.get("username")
    return UserManager.normalize_email(email) or None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``, for the login forms: a plain 429 with ``Retry-After``."""
    response = HttpResponse(LOCKED_OUT_MESSAGE, status=429, content_type="text/plain")
    response["Retry-After"] = str(cool_off_seconds())
    return response

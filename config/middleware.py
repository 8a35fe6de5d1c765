"""Refuses hostile requests before any view, authentication or throttle runs."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from config.errors import error_body
from config.hostile import control_character_error, has_control_character

# A refused body up to this size is read and thrown away, so the server can keep the
# connection alive for the client's next request (gunicorn drains only 64 KiB itself and
# otherwise drops the connection after answering). Past it the connection is closed.
MAX_DRAINED_BYTES = 32 * 1024 * 1024
_CHUNK = 64 * 1024


class HostileInputMiddleware:
    """413 for a body declared larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``; 400 for a control
    character in a query parameter's name or value. Both in the one error format.

    Bodies that lie about their size are caught again by the JSON parser
    (``config.parsers``), which never reads past the limit.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        length = _content_length(request)
        if limit is not None and length > limit:
            _drain(request, length)
            body = error_body(413, "request_too_large", "The request body is too large.")
            return JsonResponse(body, status=413)
        for name, values in request.GET.lists():
            for text in (name, *values):
                if has_control_character(text):
                    field = {"code": "control_character", "message": control_character_error(text)}
                    label = name if not has_control_character(name) else "non_field_errors"
                    body = error_body(
                        400, "invalid", f"{label}: {field['message']}", {label: [field]}
                    )
                    return JsonResponse(body, status=400)
        return self.get_response(request)


def _content_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _drain(request: HttpRequest, length: int) -> None:
    if length > MAX_DRAINED_BYTES:
        return
    remaining = length
    while remaining > 0:
        chunk = request.read(min(_CHUNK, remaining))
        if not chunk:
            return
        remaining -= len(chunk)

"""The project's one error format, and the domain exceptions that map onto it.

Every 4xx/5xx response from the API has this body::

    {"status": 409, "code": "illegal_transition", "message": "…",
     "fields": {"needs.0": [{"code": "invalid", "message": "…"}]}, "details": {…}}

``fields`` holds per-field validation errors (dotted paths for nested input), ``details``
extra machine-readable context (e.g. the current status and the allowed next ones).
"""

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import set_rollback

from config.hostile import RequestTooLarge
from config.resilience import count, database_outage, is_database_unavailable, sqlstate

logger = logging.getLogger(__name__)

# What a client is told to wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 5
# PostgreSQL SQLSTATEs for a lost race that the client may simply retry.
_RETRYABLE_SQLSTATES = {"40P01", "40001", "55P03"}  # deadlock, serialization, lock not available


class ApplicationError(Exception):
    """A domain error raised by a service; the exception handler renders it."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details or {}
        self.fields = fields or {}


class ConflictError(ApplicationError):
    """The request is well formed but clashes with the current state (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def error_body(
    status_code: int,
    code: str,
    message: str,
    fields: dict[str, list[dict[str, str]]] | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "status": status_code,
        "code": code,
        "message": message,
        "fields": fields or {},
        "details": details or {},
    }


def _flatten(detail: Any, path: str = "") -> dict[str, list[dict[str, str]]]:
    """Turns DRF's nested ``ValidationError.detail`` into ``{"a.0.b": [{code, message}]}``."""
    if isinstance(detail, dict):
        flat: dict[str, list[dict[str, str]]] = {}
        for key, value in detail.items():
            flat.update(_flatten(value, f"{path}.{key}" if path else str(key)))
        return flat
    if isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            key = path or "non_field_errors"
            return {key: [_field_error(item) for item in detail]}
        flat = {}
        for index, value in enumerate(detail):
            flat.update(_flatten(value, f"{path}.{index}" if path else str(index)))
        return flat
    return {path or "non_field_errors": [_field_error(detail)]}


def _field_error(item: Any) -> dict[str, str]:
    return {"code": getattr(item, "code", None) or "invalid", "message": str(item)}


def _validation_message(fields: dict[str, list[dict[str, str]]]) -> str:
    errors = [(name, error["message"]) for name, items in fields.items() for error in items]
    if not errors:
        return "Invalid input."
    name, first = errors[0]
    message = first if name == "non_field_errors" else f"{name}: {first}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return message


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's ``EXCEPTION_HANDLER``: renders every error in the one format."""
    # Roll back an enclosing atomic block (e.g. ATOMIC_REQUESTS) as DRF's own handler does.
    set_rollback()
    if is_database_unavailable(exc):
        # PostgreSQL is unreachable: nothing of ours is wrong, the client may retry shortly.
        database_outage.failed(exc)
        return database_unavailable_response()  # type: ignore[return-value]
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, DjangoValidationError):
        # Model validation files whole-object errors under "__all__"; ours are non_field_errors.
        detail = as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail["non_field_errors"] = detail.pop(NON_FIELD_ERRORS)
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, OperationalError) and sqlstate(exc) in _RETRYABLE_SQLSTATES:
        # Two writers collided inside the database; nothing was stored, the client may retry.
        exc = ConflictError(
            "Another change to the same records happened at the same time; please retry.",
            code="concurrent_update",
        )

    if isinstance(exc, ApplicationError):
        fields = {
            name: [_field_error(m) for m in messages] for name, messages in exc.fields.items()
        }
        body = error_body(exc.status_code, exc.code, exc.message, fields, exc.details)
        return Response(body, status=exc.status_code)

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        body = error_body(exc.status_code, "invalid", _validation_message(fields), fields)
        return Response(body, status=exc.status_code)

    if isinstance(exc, exceptions.APIException):
        headers = {}
        details: dict[str, Any] = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            details["retry_after"] = int(exc.wait)
            headers["Retry-After"] = str(int(exc.wait))
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        body = error_body(exc.status_code, str(code), str(exc.detail), details=details)
        return Response(body, status=exc.status_code, headers=headers)

    # Anything else is our bug. Log the traceback (never the request body) and answer in format.
    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
    body = error_body(500, "server_error", "An unexpected error occurred.")
    return Response(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: API paths answer in the error format, other paths as Django does."""
    if _is_api(request):
        return JsonResponse(error_body(404, "not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: API paths answer in the error format, other paths as Django does;
    an unreachable database (e.g. from a middleware, before any view) is a 503."""
    error = sys.exc_info()[1]
    if error is not None and is_database_unavailable(error):
        database_outage.failed(error)
        return database_unavailable_response()
    if _is_api(request):
        body = error_body(500, "server_error", "An unexpected error occurred.")
        return JsonResponse(body, status=500)
    return defaults.server_error(request)


def database_unavailable_response() -> JsonResponse:
    """``503 database_unavailable`` with ``Retry-After``: PostgreSQL cannot be reached."""
    count("database_unavailable")
    body = error_body(
        503,
        "database_unavailable",
        "The service is briefly unavailable; please retry shortly.",
        details={"retry_after": DATABASE_RETRY_AFTER_SECONDS},
    )
    response = JsonResponse(body, status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    # Django logs every 5xx response; this outage is logged once, by ``database_outage``.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class DatabaseUnavailableMiddleware:
    """Answers 503 instead of 500 when a view outside DRF (the admin, the probes) cannot
    reach the database; DRF views get the same from ``exception_handler``, and what fails
    in a middleware before any view from ``server_error``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exception):
            return None
        database_outage.failed(exception)
        return database_unavailable_response()

"""A request id on every response (``X-Request-ID``) and on every log line of the request.

The id comes from the proxy in front of us when there is one we trust
(``TRUSTED_PROXY_COUNT`` > 0) and it looks like an id (letters, digits, ``-_.:``, at most
64 characters); otherwise, and always when the header is absent, a new one is made. It is
kept in a context variable, so log records made anywhere during the request get it
(``RequestIdFilter``), and tasks the request enqueues carry it in their message headers, so
the worker's log lines for that task show the same id (``celery.py`` connects the signals).
"""

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

from config.client_ip import from_trusted_proxy

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
NO_REQUEST = "-"

request_id_var: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)


def current_request_id() -> str:
    """The id of the request (or task) being handled; ``"-"`` outside one."""
    return request_id_var.get()


def _incoming(request: HttpRequest) -> str | None:
    value = request.META.get(_META_KEY, "")
    if from_trusted_proxy() and _VALID.fullmatch(value):
        return value
    return None


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _incoming(request) or uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        # Kept until the response is finished (``forget_after_request``), not reset on the
        # way out: Django logs a 4xx/5xx ("django.request") after the middleware returns.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def forget_after_request(**_: Any) -> None:
    """``request_finished``: lines logged between requests carry no id."""
    request_id_var.set(NO_REQUEST)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record, for the formatters (``%(request_id)s``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


request_finished.connect(forget_after_request, dispatch_uid="request_id.forget")


# --- Celery: the id travels in the task message's headers ----------------------------------


def add_to_task_headers(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """``before_task_publish``: a task enqueued during a request carries its id."""
    request_id = request_id_var.get()
    if headers is not None and request_id != NO_REQUEST:
        headers.setdefault("request_id", request_id)


def adopt_from_task(task: Any = None, **_: Any) -> None:
    """``task_prerun``: the worker's log lines for the task show the request's id."""
    request_id = getattr(getattr(task, "request", None), "request_id", None)
    if isinstance(request_id, str) and _VALID.fullmatch(request_id):
        task._request_id_token = request_id_var.set(request_id)


def forget_after_task(task: Any = None, **_: Any) -> None:
    """``task_postrun``: the next task on this worker starts without an id."""
    token = getattr(task, "_request_id_token", None)
    if token is not None:
        request_id_var.reset(token)
        task._request_id_token = None

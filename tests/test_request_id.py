"""A request id on every response and log line, taken from the client only behind a
trusted proxy, and carried into the tasks the request enqueues."""

import json
import logging
import re
from logging.config import dictConfig

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from pythonjsonlogger.json import JsonFormatter

from config import request_id
from config.request_id import RequestIdFilter, current_request_id
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"^[0-9a-f]{32}$")


def test_every_response_gets_a_fresh_id(api_client):
    first = api_client.get("/healthz")["X-Request-ID"]
    second = api_client.get("/api/v1/me")["X-Request-ID"]

    assert GENERATED.fullmatch(first)
    assert GENERATED.fullmatch(second)
    assert first != second


def test_a_clients_id_is_ignored_without_a_trusted_proxy(api_client):
    response = api_client.get("/healthz", HTTP_X_REQUEST_ID="chosen-by-the-client")

    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_a_trusted_proxys_id_is_kept(api_client, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    response = api_client.get("/healthz", HTTP_X_REQUEST_ID="lb-4f2a:9")

    assert response["X-Request-ID"] == "lb-4f2a:9"


@pytest.mark.parametrize("bad", ["has space", "x" * 65, "nul\x00byte", "ünïcode", ""])
def test_a_malformed_id_is_replaced_even_from_a_trusted_proxy(api_client, settings, bad):
    settings.TRUSTED_PROXY_COUNT = 1

    response = api_client.get("/healthz", HTTP_X_REQUEST_ID=bad)

    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_log_lines_of_a_request_carry_its_id(client_for, caplog, monkeypatch):
    def boom(**_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("exchange.apis.requests.caller_scope", boom)
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        # A 5xx is logged by Django itself, after the middleware returned.
        response = client_for(UserFactory()).get("/api/v1/requests/999999")

    assert response.status_code == 500
    ids = {record.request_id for record in caplog.records if record.name == "django.request"}
    assert ids == {response["X-Request-ID"]}
    assert current_request_id() == "-"  # nothing leaks into lines logged between requests


def test_production_logs_are_json_with_the_request_id(settings):
    config = settings.LOGGING
    formatter = config["formatters"]["json"]
    assert formatter["()"] == "pythonjsonlogger.json.JsonFormatter"
    record = logging.LogRecord("exchange", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    token = request_id.request_id_var.set("abc123")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.request_id_var.reset(token)
    rendered = JsonFormatter(formatter["format"], rename_fields=formatter["rename_fields"]).format(
        record
    )

    line = json.loads(rendered)
    assert (line["message"], line["request_id"], line["level"]) == ("hello world", "abc123", "INFO")
    assert line["logger"] == "exchange"
    dictConfig({**config, "handlers": {}, "root": {"handlers": []}})  # the config is valid


def test_a_task_enqueued_by_a_request_carries_its_id():
    headers: dict[str, str] = {}
    token = request_id.request_id_var.set("req-1")
    try:
        request_id.add_to_task_headers(headers=headers)
    finally:
        request_id.request_id_var.reset(token)

    class Task:
        class request:
            request_id = headers["request_id"]

    task = Task()
    request_id.adopt_from_task(task=task)
    during = current_request_id()
    request_id.forget_after_task(task=task)

    assert (during, current_request_id()) == ("req-1", "-")


def test_ids_outside_a_request_are_not_sent_with_tasks():
    headers: dict[str, str] = {}

    request_id.add_to_task_headers(headers=headers)

    assert headers == {}


def test_the_middleware_marks_the_request(rf: RequestFactory):
    middleware = request_id.RequestIdMiddleware(lambda request: HttpResponse())
    request = rf.get("/")

    response = middleware(request)

    assert response["X-Request-ID"] == request.request_id

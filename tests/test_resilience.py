"""Redis refusing connections degrades the API instead of failing it; an unreachable
PostgreSQL is a 503. In-process against a real refused port; the same with real servers
that are stopped and hung is in ``tests/faults/``."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import InterfaceError, OperationalError

from accounts.enums import Role
from config import resilience
from config.celery import app as celery_app
from exchange.models import OutboxMessage, SupportRequest
from tests.factories import MembershipFactory, SupportRequestFactory, UserFactory

PROJECT = Path(__file__).resolve().parents[1]
REFUSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def redis_refused(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.resilience.ResilientRedisCache",
            "LOCATION": REFUSED,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.REDIS_URL = REFUSED


def _rates(settings, **rates: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **dict.fromkeys(("anon", "user", "auth"), "100/min"),
            **rates,
        },
    }


@pytest.mark.django_db
def test_with_redis_refused_the_general_limit_fails_open_counted_and_logged_once(
    redis_refused, client_for, settings, caplog
):
    _rates(settings, user="2/min")
    client = client_for(UserFactory())

    with caplog.at_level(logging.WARNING, logger="config.resilience"):
        statuses = [client.get("/api/v1/me").status_code for _ in range(5)]

    assert statuses == [200] * 5
    counts = resilience.degradation_counts()
    assert counts["throttle_fail_open"] == 5
    assert counts["redis_errors"] == 1  # then skipped while the breaker is open
    assert counts["redis_skipped"] >= 4
    warnings = [r.getMessage() for r in caplog.records if r.name == "config.resilience"]
    assert warnings == ["Redis is unavailable (ConnectionError); degrading until it answers again."]


@pytest.mark.django_db
def test_with_redis_refused_the_login_limit_still_holds_in_the_process(
    redis_refused, api_client, settings
):
    _rates(settings, auth="3/min")
    UserFactory(email="a@example.org")

    statuses = [
        api_client.post(
            "/api/v1/auth/token", {"email": "a@example.org", "password": "guess"}
        ).status_code
        for _ in range(4)
    ]

    assert statuses == [401, 401, 401, 429]
    assert resilience.degradation_counts()["throttle_local"] == 4


@pytest.mark.django_db
def test_a_submit_with_redis_refused_succeeds_and_its_task_waits_in_the_outbox(
    redis_refused, client_for, settings, django_capture_on_commit_callbacks
):
    senco = MembershipFactory(role=Role.SENCO)
    draft = SupportRequestFactory(school=senco.school, needs=["ASD"])
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(senco.user).post(f"/api/v1/requests/{draft.pk}/submit", {})
    finally:
        celery_app.conf.task_always_eager = eager

    assert response.status_code == 200
    assert SupportRequest.objects.get(pk=draft.pk).status == "submitted"
    pending = OutboxMessage.objects.get()
    assert pending.published_at is None
    # The throttle already found Redis down: the publisher did not even try the broker.
    assert pending.attempts == 0
    assert resilience.degradation_counts()["outbox_deferred"] == 1


def test_the_breaker_tries_again_after_its_cool_down(settings):
    settings.REDIS_BREAKER_SECONDS = 0
    resilience.redis_breaker.failed(ConnectionError("refused"))

    assert resilience.redis_breaker.is_down
    assert resilience.redis_breaker.allows()
    resilience.redis_breaker.succeeded()
    assert not resilience.redis_breaker.is_down


def test_connection_failures_are_unavailability_but_failed_queries_are_not():
    class Diag:
        def __init__(self, sqlstate: str) -> None:
            self.sqlstate = sqlstate

    def wrapped(sqlstate: str | None) -> OperationalError:
        error = OperationalError("x")
        cause = Exception("driver")
        cause.diag = Diag(sqlstate) if sqlstate else None  # type: ignore[attr-defined]
        error.__cause__ = cause
        return error

    assert resilience.is_database_unavailable(wrapped(None))  # refused: no SQLSTATE
    assert resilience.is_database_unavailable(wrapped("57P01"))  # admin shutdown
    assert resilience.is_database_unavailable(wrapped("08006"))  # connection failure
    assert resilience.is_database_unavailable(InterfaceError("connection already closed"))
    assert not resilience.is_database_unavailable(wrapped("40P01"))  # deadlock: a 409
    assert not resilience.is_database_unavailable(ValueError("ours"))


def test_every_api_call_is_503_with_retry_after_when_the_database_is_unreachable():
    # A separate process, because this one's database connection is pytest-django's.
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "c = Client(HTTP_AUTHORIZATION='Bearer ' + 'a' * 64);"
        "out = [];"
        "[out.append({'status': r.status_code, 'retry': r.get('Retry-After'), 'body': r.json()})"
        " for r in (c.get('/api/v1/requests'), c.post('/api/v1/auth/token',"
        " {'email': 'a@example.org', 'password': 'x'}, content_type='application/json'),"
        " c.post('/admin/login/', {'username': 'a@example.org', 'password': 'x'}))];"
        "print(json.dumps(out))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "postgres://nobody:secret@127.0.0.1:1/exchange",
        "REDIS_URL": "",
        "DEBUG": "false",
        "LOG_LEVEL": "CRITICAL",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert [a["status"] for a in answers] == [503, 503, 503]
    for answer in answers:
        assert answer["retry"] == "5"
        assert answer["body"]["code"] == "database_unavailable"
        assert answer["body"]["details"] == {"retry_after": 5}
        assert set(answer["body"]) == {"status", "code", "message", "fields", "details"}

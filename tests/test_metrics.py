"""Prometheus metrics: what ``/metrics`` shows, to whom, and that several processes add up."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import DatabaseError
from django.utils import timezone
from prometheus_client import REGISTRY

from config import resilience
from config.celery import TASK_RETRY
from config.celery import app as celery_app
from config.resilience import redis_breaker
from exchange.models import OutboxMessage
from matching import services as matching_services
from matching.enums import RunTrigger
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


@pytest.fixture
def admin_client_(client):
    client.force_login(UserFactory(is_staff=True))
    return client


# --- who may scrape ------------------------------------------------------------------------------


def test_metrics_are_hidden_from_anonymous_and_ordinary_users(client):
    assert client.get("/metrics").status_code == 404
    client.force_login(UserFactory())
    assert client.get("/metrics").status_code == 404


def test_a_platform_admin_may_read_the_metrics(admin_client_):
    assert "exchange_http_request_duration_seconds" in scrape(admin_client_)


def test_the_scraper_presents_the_metrics_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"

    good = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess")

    assert good.status_code == 200
    assert wrong.status_code == 404


def test_without_a_token_setting_no_bearer_opens_it(client, settings):
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


# --- what is measured ----------------------------------------------------------------------------


def test_request_latency_and_errors_are_labelled_by_route_not_path(client_for, admin_client_):
    labels = {"route": "support-request-detail", "method": "GET", "status": "404"}
    before = sample("exchange_http_request_duration_seconds_count", **labels)
    errors_before = sample("exchange_http_errors_total", route=labels["route"], status="404")

    client_for(UserFactory()).get("/api/v1/requests/424242")
    text = scrape(admin_client_)

    assert sample("exchange_http_request_duration_seconds_count", **labels) == before + 1
    assert sample("exchange_http_errors_total", route=labels["route"], status="404") == (
        errors_before + 1
    )
    assert "424242" not in text


def test_unrouted_paths_share_one_label(client):
    before = sample("exchange_http_errors_total", route="<unmatched>", status="404")

    client.get("/no/such/page/123")
    client.get("/no/such/page/456")

    assert sample("exchange_http_errors_total", route="<unmatched>", status="404") == before + 2


def test_outbox_backlog_and_the_age_of_its_oldest_message(admin_client_):
    OutboxMessage.objects.create(task_name="exchange.outbox_sweep")
    old = OutboxMessage.objects.create(task_name="exchange.outbox_sweep")
    OutboxMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))
    OutboxMessage.objects.create(task_name="exchange.outbox_sweep", published_at=timezone.now())

    lines = dict(
        line.rsplit(" ", 1)
        for line in scrape(admin_client_).splitlines()
        if line.startswith("exchange_outbox_")
    )

    assert float(lines["exchange_outbox_backlog"]) == 2
    assert 3600 <= float(lines["exchange_outbox_oldest_age_seconds"]) < 3700


def test_an_empty_outbox_has_no_age(admin_client_):
    assert "exchange_outbox_oldest_age_seconds 0.0" in scrape(admin_client_)


def test_the_matching_rounds_duration_is_observed():
    before = sample("exchange_matching_round_duration_seconds_count", status="succeeded")

    matching_services.matching_round_run(trigger=RunTrigger.COMMAND)

    assert sample("exchange_matching_round_duration_seconds_count", status="succeeded") == (
        before + 1
    )


@celery_app.task(name="tests.always_fails", bind=True, **{**TASK_RETRY, "max_retries": 2})
def always_fails(self) -> None:
    raise DatabaseError("the database went away")


@pytest.fixture
def eager_without_propagation(eager_tasks):
    """Eager retries run at once; a failure is returned rather than raised."""
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = previous


def test_task_retries_and_failures_are_counted(eager_without_propagation):
    retries = sample("exchange_task_retries_total", task="tests.always_fails")
    failures = sample("exchange_task_failures_total", task="tests.always_fails")

    result = always_fails.apply()

    assert isinstance(result.result, DatabaseError)

    assert sample("exchange_task_retries_total", task="tests.always_fails") == retries + 2
    assert sample("exchange_task_failures_total", task="tests.always_fails") == failures + 1


# --- several processes ---------------------------------------------------------------------------


def _python(code: str, env: dict[str, str]) -> str:
    prelude = "import django; django.setup()\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def test_in_multiprocess_mode_the_scrape_adds_up_every_process(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)  # the outbox gauges are not what this is about
    count = "from config.metrics import HTTP_ERRORS; HTTP_ERRORS.labels('probe', '500').inc()"
    _python(count, env)
    _python(count, env)

    text = _python(
        "from prometheus_client import generate_latest\n"
        "from config.metrics import _registry\n"
        "from django.test.utils import override_settings\n"
        "with override_settings(METRICS_COLLECTORS=[]):\n"
        "    print(generate_latest(_registry()).decode())",
        env,
    )

    assert 'exchange_http_errors_total{route="probe",status="500"} 2.0' in text


def test_a_scrape_without_the_database_leaves_out_the_outbox_and_says_so_once(
    admin_client_, monkeypatch, caplog
):
    def refuse(*args, **kwargs):
        raise DatabaseError("connection refused")

    text = scrape(admin_client_)  # signed in while the database answers
    assert "exchange_outbox_backlog" in text
    monkeypatch.setattr(OutboxMessage.objects, "filter", refuse)

    texts = [scrape(admin_client_) for _ in range(3)]

    assert all("exchange_outbox_backlog" not in text for text in texts)
    assert 'exchange_dependency_down{dependency="postgresql"} 1.0' in texts[-1]
    assert [r.getMessage() for r in caplog.records if r.name == "config.resilience"] == [
        "PostgreSQL is unavailable (DatabaseError); degrading until it answers again."
    ]
    monkeypatch.undo()
    assert "exchange_outbox_backlog" in scrape(admin_client_)
    assert 'exchange_dependency_down{dependency="postgresql"} 0.0' in scrape(admin_client_)


def test_a_redis_outage_sets_the_gauge_and_counts_each_degradation(admin_client_):
    before = sample("exchange_degradations_total", event="redis_errors")

    try:
        redis_breaker.failed(ConnectionRefusedError())
        during = scrape(admin_client_)
    finally:
        resilience.reset()

    assert 'exchange_dependency_down{dependency="redis"} 1.0' in during
    assert sample("exchange_degradations_total", event="redis_errors") == before + 1
    assert sample("exchange_dependency_down", dependency="redis") == 0.0

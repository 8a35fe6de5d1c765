"""The request id reaches a real worker: the task a request enqueued logs under the id the
API answered with (``X-Request-ID``). Runs in CI's PostgreSQL + Redis pass."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.enums import Role
from config.celery import app as celery_app
from tests.factories import MembershipFactory, SupportRequestFactory
from tests.integration.test_worker import _database_url
from tests.processes import wait_for

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="Needs PostgreSQL and Redis (a worker process shares the test database).",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]


def test_a_task_logs_under_the_id_of_the_request_that_enqueued_it(client_for, tmp_path):
    log_path = tmp_path / "worker.log"
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    env = {**os.environ, "DATABASE_URL": _database_url(), "LOG_LEVEL": "INFO"}
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
    with log_path.open("w") as log:
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        wait_for(lambda: bool(celery_app.control.ping(timeout=0.5)), "the worker to start")
        senco = MembershipFactory(role=Role.SENCO).user
        draft = SupportRequestFactory(school=senco.memberships.get().school, created_by=senco)

        response = client_for(senco).post(f"/api/v1/requests/{draft.pk}/submit", {})

        assert response.status_code == 200
        wait_for(lambda: "succeeded" in log_path.read_text(), "the task to run")
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    [task_line] = [line for line in log_path.read_text().splitlines() if "succeeded" in line]
    assert f"[{response['X-Request-ID']}]" in task_line

"""The Celery application. Tasks live in each app's ``tasks.py``."""

import os
from collections.abc import Callable
from logging.config import dictConfig
from typing import Any

from celery import Celery, shared_task, signals
from django.conf import settings
from django.db import DatabaseError

from config import metrics, request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Transient failures worth retrying, with exponential backoff and jitter, a bounded number
# of times. Domain errors are not retried: they would fail the same way again.
TASK_RETRY = {
    "autoretry_for": (DatabaseError, ConnectionError, TimeoutError),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}

app = Celery("exchange")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _use_django_logging(**_: Any) -> None:
    """Celery's ``setup_logging``: a receiver stops Celery configuring logging itself, so
    the worker and beat log through ``settings.LOGGING`` as the web does (its level is
    ``LOG_LEVEL``; JSON in production; each task's lines carry the request id)."""
    dictConfig(settings.LOGGING)


signals.setup_logging.connect(_use_django_logging, weak=False)
# A task carries the id of the request that enqueued it, into the worker's log lines.
signals.before_task_publish.connect(request_id.add_to_task_headers, weak=False)
signals.task_prerun.connect(request_id.adopt_from_task, weak=False)
signals.task_postrun.connect(request_id.forget_after_task, weak=False)
signals.task_failure.connect(metrics.task_failed, weak=False)
signals.task_retry.connect(metrics.task_retried, weak=False)


def task_with_aliases(
    name: str, *, aliases: tuple[str, ...], **options: Any
) -> Callable[[Callable[..., Any]], Any]:
    """``shared_task(name=...)`` that also answers to older ``aliases``: a task that was
    renamed keeps its old name for one release, so messages queued under it (in the broker
    or the outbox) still run."""

    def register(function: Callable[..., Any]) -> Any:
        for alias in aliases:
            shared_task(name=alias, **options)(function)
        return shared_task(name=name, **options)(function)

    return register

"""The Celery application. Tasks live in each app's ``tasks.py``."""

import os
from collections.abc import Callable
from typing import Any

from celery import Celery, shared_task
from django.db import DatabaseError

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

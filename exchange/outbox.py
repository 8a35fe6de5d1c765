"""The one way services start background work: a transactional outbox.

``enqueue`` writes a row in the caller's transaction, so the task exists exactly when the
change that needs it commits. After commit the row is published to the broker; if the
broker is down the web request still succeeds (the change is committed) and the row stays
pending until ``sweep`` — run by beat every minute — publishes it. Tasks are idempotent,
so the rare double publication (a sweep racing a slow publish) is harmless.
"""

import logging
from datetime import timedelta
from typing import Any

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from exchange.models import OutboxMessage

logger = logging.getLogger(__name__)

# A pending row younger than this is still being published after its commit.
SWEEP_AFTER = timedelta(seconds=30)
# Published rows are kept this long for inspection, then deleted by the sweep.
KEEP_PUBLISHED = timedelta(days=7)
SWEEP_BATCH = 500


def enqueue(task_name: str, **kwargs: Any) -> OutboxMessage:
    """Queues ``task_name(**kwargs)`` to run once the current transaction commits."""
    message = OutboxMessage.objects.create(task_name=task_name, kwargs=kwargs)
    transaction.on_commit(lambda: publish(message.pk))
    return message


def publish(message_id: int) -> bool:
    """Sends one pending message to the broker. Never raises: a failure leaves the message
    pending for the sweep."""
    # Claim the row first, so a concurrent sweep does not publish it too.
    claimed = OutboxMessage.objects.filter(pk=message_id, published_at__isnull=True).update(
        published_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        current_app.tasks[message.task_name].apply_async(kwargs=message.kwargs)
    except Exception as error:
        if current_app.conf.task_always_eager:
            # In-process (the demo), the task itself ran and failed: publishing again
            # would only fail again. Its error is logged; the row stays published.
            logger.exception("Task %s failed in-process", message.task_name)
            return True
        OutboxMessage.objects.filter(pk=message_id).update(
            published_at=None, last_error=f"{type(error).__name__}: {error}"[:500]
        )
        logger.warning(
            "Publishing %s (outbox #%s) failed; the sweep will retry: %s",
            message.task_name,
            message_id,
            type(error).__name__,
        )
        return False
    return True


def sweep() -> int:
    """Publishes messages a broker outage left behind and forgets old published ones.
    Returns how many were published."""
    now = timezone.now()
    OutboxMessage.objects.filter(published_at__lt=now - KEEP_PUBLISHED).delete()
    pending = OutboxMessage.objects.filter(
        published_at__isnull=True, created_at__lt=now - SWEEP_AFTER
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    return sum(publish(message_id) for message_id in list(pending))

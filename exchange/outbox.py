"""The one way services start background work: a transactional outbox.

``enqueue`` writes a row in the caller's transaction, so the task exists exactly when the
change that needs it commits. After commit the row is published to the broker; if the
broker is down the web request still succeeds (the change is committed) and the row stays
pending until ``sweep`` — run by beat every ``OUTBOX_SWEEP_SECONDS`` — publishes it.

A publisher claims the row (``claimed_at``) before sending and marks it published only once
the broker has it, so a process killed in between leaves a claimed, unpublished row; once
the claim is older than ``CLAIM_LEASE`` the sweep publishes it again. Tasks are idempotent,
so the rare double publication (a process that died after sending, or a publish slower
than the lease) is harmless; a lost message would not be.

While Redis is down (``config.resilience.redis_breaker``) a publisher does not try at all,
so a request never waits on a hung broker more than once per cool-down; the sweep publishes
what waited once Redis is back.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from config.resilience import count, redis_breaker
from exchange.models import OutboxMessage

logger = logging.getLogger(__name__)

# A pending row younger than this is probably still being published after its commit (the
# claim makes a race harmless; this only spares the effort).
SWEEP_AFTER = timedelta(seconds=2)
# A claim older than this belongs to a publisher that died (sending takes seconds at most:
# the broker connection times out after REDIS_SOCKET_TIMEOUT).
CLAIM_LEASE = timedelta(minutes=5)
# Published rows are kept this long for inspection, then deleted by the sweep.
KEEP_PUBLISHED = timedelta(days=7)
SWEEP_BATCH = 500


def enqueue(task_name: str, *, event: str = "", **kwargs: Any) -> OutboxMessage:
    """Queues ``task_name(**kwargs)`` to run once the current transaction commits;
    ``event`` names the domain event it handles, if any (``exchange/events.py``)."""
    message = OutboxMessage.objects.create(task_name=task_name, event=event, kwargs=kwargs)
    transaction.on_commit(lambda: publish(message.pk))
    return message


def _claimable(now: datetime) -> Q:
    """Unpublished, and claimed by nobody or by a publisher whose lease ran out."""
    return Q(published_at__isnull=True) & (
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE)
    )


def publish(message_id: int) -> bool:
    """Sends one pending message to the broker. Never raises: a failure leaves the message
    pending for the sweep."""
    eager = current_app.conf.task_always_eager
    if not eager and not redis_breaker.allows():
        count("outbox_deferred")
        return False
    # Claim the row first, so a concurrent sweep does not publish it too; mark it published
    # only after the broker has it, so a crash in between is retried when the lease ends.
    claimed = OutboxMessage.objects.filter(_claimable(timezone.now()), pk=message_id).update(
        claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        current_app.tasks[message.task_name].apply_async(kwargs=message.kwargs)
    except Exception as error:
        if eager:
            # In-process (the demo), the task itself ran and failed: publishing again
            # would only fail again. Its error is logged; the row is marked published.
            logger.exception("Task %s failed in-process", message.task_name)
            _mark_published(message_id)
            return True
        redis_breaker.failed(error)
        count("outbox_deferred")
        OutboxMessage.objects.filter(pk=message_id).update(
            claimed_at=None, last_error=f"{type(error).__name__}: {error}"[:500]
        )
        logger.info(
            "Publishing %s (outbox #%s) failed; the sweep will retry: %s",
            message.task_name,
            message_id,
            type(error).__name__,
        )
        return False
    if not eager:
        redis_breaker.succeeded()
    _mark_published(message_id)
    return True


def _mark_published(message_id: int) -> None:
    OutboxMessage.objects.filter(pk=message_id).update(published_at=timezone.now())


def sweep() -> int:
    """Publishes messages a broker outage or a dead publisher left behind and forgets old
    published ones. Returns how many were published."""
    now = timezone.now()
    OutboxMessage.objects.filter(published_at__lt=now - KEEP_PUBLISHED).delete()
    pending = OutboxMessage.objects.filter(
        _claimable(now), created_at__lt=now - SWEEP_AFTER
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    return sum(publish(message_id) for message_id in list(pending))

"""Celery tasks of scheduling: ids in, one service call, a retry policy — nothing else.

Every task is idempotent: the services guard with row locks, compare-and-swap updates and
unique constraints. Services queue them only through the outbox (``exchange.outbox``).

The names scheduling's tasks had while it lived inside the exchange app (``exchange.…``)
are kept as aliases for one release, so messages the previous release queued still run.
"""

from celery import shared_task

from config.celery import TASK_RETRY as RETRY
from config.celery import task_with_aliases
from exchange import notifications
from scheduling import services
from scheduling.selectors import session_invitation


@task_with_aliases(services.OFFER_TASK, aliases=("exchange.offer_slots",), **RETRY)
def offer_slots(support_request_id: int) -> int:
    """Handles ``proposal.accepted``: offers the school times that suit both."""
    return len(services.slots_offer(support_request_id=support_request_id))


@shared_task(name=notifications.DELIVER_TASK, **RETRY)
def deliver_notifications(notification_ids: list[int]) -> int:
    """Emails stored notifications (the exchange's ``notify`` queues this task by name),
    a session's with its invitation attached: the one part that needs scheduling."""
    return notifications.notifications_deliver(
        notification_ids=notification_ids, attach=session_invitation
    )


@task_with_aliases("scheduling.send_reminders", aliases=("exchange.send_reminders",), **RETRY)
def send_reminders() -> int:
    return services.reminders_send()


@task_with_aliases("scheduling.lapse_offers", aliases=("exchange.lapse_offers",), **RETRY)
def lapse_offers() -> int:
    return services.offers_lapse()

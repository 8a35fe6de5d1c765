"""Celery tasks of the exchange app."""

from celery import shared_task

from config.celery import TASK_RETRY as RETRY


@shared_task(name="exchange.outbox_sweep")
def outbox_sweep() -> int:
    """Publishes outbox messages a broker outage left behind (run by beat)."""
    from exchange.outbox import sweep

    return sweep()


@shared_task(name="exchange.offer_slots", **RETRY)
def offer_slots(support_request_id: int) -> int:
    from exchange.scheduling.services import session_slots_offer

    return len(session_slots_offer(support_request_id=support_request_id))


@shared_task(name="exchange.deliver_notifications", **RETRY)
def deliver_notifications(notification_ids: list[int]) -> int:
    from exchange.scheduling.notifications import notifications_deliver

    return notifications_deliver(notification_ids=notification_ids)


@shared_task(name="exchange.send_reminders", **RETRY)
def send_reminders() -> int:
    from exchange.scheduling.services import reminders_send

    return reminders_send()


@shared_task(name="exchange.lapse_offers", **RETRY)
def lapse_offers() -> int:
    from exchange.scheduling.services import offers_lapse

    return offers_lapse()

"""Celery tasks of the exchange app."""

from celery import shared_task

from exchange import outbox


@shared_task(name="exchange.outbox_sweep")
def outbox_sweep() -> int:
    """Publishes outbox messages a broker outage left behind (run by beat)."""
    return outbox.sweep()

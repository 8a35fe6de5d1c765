"""Celery tasks of the exchange app."""

from celery import shared_task


@shared_task(name="exchange.outbox_sweep")
def outbox_sweep() -> int:
    """Publishes outbox messages a broker outage left behind (run by beat)."""
    from exchange.outbox import sweep

    return sweep()

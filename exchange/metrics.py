"""The outbox's backlog as Prometheus gauges, read from the database when ``/metrics`` is
scraped (``config/metrics.py`` collects it through ``METRICS_COLLECTORS``).

A backlog that grows, or an oldest message that keeps ageing past the sweep's minute, means
the broker is not taking work (``exchange/outbox.py``).
"""

from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from config.resilience import database_outage
from exchange.models import OutboxMessage


class OutboxCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            pending = OutboxMessage.objects.filter(published_at__isnull=True).aggregate(
                count=Count("pk"), oldest=Min("created_at")
            )
        except DatabaseError as error:
            # The scrape still answers with every other metric; the gauges are left out,
            # and the outage is logged once, not at every scrape.
            database_outage.failed(error)
            return
        database_outage.succeeded()
        oldest = pending["oldest"]
        age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily(
            "exchange_outbox_backlog", "Outbox messages not yet published.", value=pending["count"]
        )
        yield GaugeMetricFamily(
            "exchange_outbox_oldest_age_seconds",
            "Age of the oldest unpublished outbox message (0 when none).",
            value=max(age, 0.0),
        )

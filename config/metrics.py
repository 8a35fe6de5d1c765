"""Prometheus metrics (prometheus-client) and the ``/metrics`` endpoint.

Every metric, its labels and what records it: ``docs/observability.md``. Request latency
is labelled by the URL pattern's name (``route``), never the raw path, so ids in paths do
not make new series.

``/metrics`` is not public: it answers a platform admin's session, or
``Authorization: Bearer <METRICS_TOKEN>`` when that setting is set (for the scraper);
anyone else gets 404, so its existence is not revealed.

With several processes (gunicorn workers, Celery's pool), set ``PROMETHEUS_MULTIPROC_DIR``
to a directory that every process on the host shares and that is emptied at deploy:
prometheus-client then keeps each process's values in files there and ``/metrics`` adds
them up (gunicorn's ``child_exit`` hook in ``config/gunicorn.py`` retires a dead worker's
gauges). Without it each process reports only itself, which is right for one process.
"""

import hmac
import os
import time
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

UNMATCHED_ROUTE = "<unmatched>"

REQUEST_SECONDS = Histogram(
    "exchange_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (URL pattern name), method and status.",
    ["route", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
HTTP_ERRORS = Counter(
    "exchange_http_errors",
    "HTTP responses with a 4xx or 5xx status, by route and status.",
    ["route", "status"],
)
TASK_FAILURES = Counter(
    "exchange_task_failures", "Celery tasks that failed for good, by task.", ["task"]
)
TASK_RETRIES = Counter("exchange_task_retries", "Celery task retries scheduled, by task.", ["task"])
MATCHING_ROUND_SECONDS = Histogram(
    "exchange_matching_round_duration_seconds",
    "Wall-clock time of a matching round, by how it ended.",
    ["status"],
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
)
# Set by config.resilience, which logs each outage once and counts each degradation.
DEPENDENCY_DOWN = Gauge(
    "exchange_dependency_down",
    "1 while a live process finds the dependency (redis, postgresql) unavailable, else 0.",
    ["dependency"],
    multiprocess_mode="livemax",
)
DEGRADATIONS = Counter(
    "exchange_degradations",
    "Degraded operations while a dependency was down (config.resilience.degradation_counts).",
    ["event"],
)


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return (match.view_name or match.route) if match else UNMATCHED_ROUTE


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        route, status = _route(request), str(response.status_code)
        REQUEST_SECONDS.labels(route, request.method or "", status).observe(
            time.perf_counter() - started
        )
        if response.status_code >= 400:
            HTTP_ERRORS.labels(route, status).inc()
        return response


def task_failed(sender: object = None, **_: object) -> None:
    TASK_FAILURES.labels(getattr(sender, "name", "unknown")).inc()


def task_retried(sender: object = None, **_: object) -> None:
    TASK_RETRIES.labels(getattr(sender, "name", "unknown")).inc()


class _ThisProcess(Collector):
    """This process's own metrics (the default registry), in a registry of the scrape."""

    def collect(self):  # type: ignore[no-untyped-def]
        return REGISTRY.collect()


def _registry() -> CollectorRegistry:
    """What one scrape shows: every process's metrics in multiprocess mode (else this
    process's), and the collectors of the apps above (``METRICS_COLLECTORS``), which read
    the database now."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    for path in settings.METRICS_COLLECTORS:
        registry.register(import_string(path)())
    return registry


def _may_scrape(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        presented = request.headers.get("Authorization", "")
        if hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
            return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus's text format, for a platform admin or the holder of ``METRICS_TOKEN``."""
    if not _may_scrape(request):
        raise Http404
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)

"""Staying up when Redis or PostgreSQL is not.

Redis is optional at run time. Everything that talks to it (the cache, the throttles
behind it, the outbox publishing to the broker, the readiness probe) asks one circuit
breaker first: after a failure Redis is skipped for ``REDIS_BREAKER_SECONDS``, so a hung
Redis costs one socket timeout per process and cool-down, not one per call. Meanwhile
reads miss, writes are dropped, the general throttles let requests through (fail open), the
login throttle counts in this process instead (``LocalWhenRedisIsDown``) and outbox
messages wait for the sweep. The outage is logged once when it starts and once when it ends.

PostgreSQL has no fallback: a request that needs it and cannot reach it is answered
``503 database_unavailable`` with ``Retry-After`` (``config.errors``); ``database_outage``
logs it once per outage.

``degradation_counts()`` returns how often each degradation happened in this process; the
same counts are the ``exchange_degradations_total`` metric, and ``exchange_dependency_down``
is 1 during an outage (``config/metrics.py``).
"""

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import InterfaceError, OperationalError
from django.db.backends.signals import connection_created

from config.metrics import DEGRADATIONS, DEPENDENCY_DOWN

logger = logging.getLogger(__name__)


_counts: Counter[str] = Counter()
_counts_lock = threading.Lock()


def count(event: str) -> None:
    with _counts_lock:
        _counts[event] += 1
    DEGRADATIONS.labels(event).inc()


def degradation_counts() -> dict[str, int]:
    """How often each degradation happened in this process since it started:
    ``redis_errors`` (calls that failed), ``redis_skipped`` (calls skipped while the breaker
    was open), ``throttle_fail_open`` (general throttle checks let through unchecked),
    ``throttle_local`` (login throttle checks counted in this process),
    ``outbox_deferred`` (messages left for the sweep), ``database_unavailable`` (503s)."""
    with _counts_lock:
        return dict(_counts)


class Outage:
    """Whether a dependency is down, as last seen by this process; logs the start and the
    end of an outage once each, however many calls fail in between."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._down_since: float | None = None

    @property
    def is_down(self) -> bool:
        return self._down_since is not None

    def failed(self, error: BaseException) -> None:
        with self._lock:
            started = self._down_since is None
            if started:
                self._down_since = time.monotonic()
        if started:
            DEPENDENCY_DOWN.labels(self.name.lower()).set(1)
            logger.warning(
                "%s is unavailable (%s); degrading until it answers again.",
                self.name,
                type(error).__name__,
            )

    def succeeded(self) -> None:
        if self._down_since is None:  # the common case: no lock, no log
            return
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            DEPENDENCY_DOWN.labels(self.name.lower()).set(0)
            logger.warning("%s is back after %.1f s.", self.name, time.monotonic() - since)


class CircuitBreaker(Outage):
    """An ``Outage`` that also says whether to try the dependency at all: not for
    ``REDIS_BREAKER_SECONDS`` after a failure; then one call probes it again."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._open_until = 0.0

    def allows(self) -> bool:
        return time.monotonic() >= self._open_until

    def failed(self, error: BaseException) -> None:
        self._open_until = time.monotonic() + settings.REDIS_BREAKER_SECONDS
        count("redis_errors")
        super().failed(error)

    def succeeded(self) -> None:
        self._open_until = 0.0
        super().succeeded()

    def reset(self) -> None:
        """Forgets any outage (for tests)."""
        self._open_until = 0.0
        self._down_since = None
        DEPENDENCY_DOWN.labels(self.name.lower()).set(0)


redis_breaker = CircuitBreaker("Redis")
database_outage = Outage("PostgreSQL")
# A new database connection means PostgreSQL answers again.
connection_created.connect(lambda **kwargs: database_outage.succeeded(), weak=False)


# --- The cache --------------------------------------------------------------------------


def _guarded(name: str, fallback: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
        if not redis_breaker.allows():
            count("redis_skipped")
            return fallback(*args, **kwargs)
        try:
            result = getattr(RedisCache, name)(self, *args, **kwargs)
        except redis.RedisError as error:
            redis_breaker.failed(error)
            return fallback(*args, **kwargs)
        redis_breaker.succeeded()
        return result

    method.__name__ = name
    return method


def _missing_key(key: Any, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"Key '{key}' not found (Redis is unavailable).")


class ResilientRedisCache(RedisCache):
    """Django's Redis cache that never raises because Redis is down or hung: while it is,
    reads miss, writes and deletes are dropped, ``add`` adds nothing and ``incr`` finds no
    key. The async methods call these."""

    add = _guarded("add", lambda *a, **k: False)
    get = _guarded("get", lambda key, default=None, version=None: default)
    set = _guarded("set", lambda *a, **k: None)
    touch = _guarded("touch", lambda *a, **k: False)
    delete = _guarded("delete", lambda *a, **k: False)
    get_many = _guarded("get_many", lambda *a, **k: {})
    has_key = _guarded("has_key", lambda *a, **k: False)
    incr = _guarded("incr", _missing_key)
    set_many = _guarded("set_many", lambda data, *a, **k: list(data))
    delete_many = _guarded("delete_many", lambda *a, **k: None)
    clear = _guarded("clear", lambda *a, **k: False)


# --- Throttles --------------------------------------------------------------------------


class FailOpenWhenRedisIsDown:
    """For a DRF throttle on the shared cache: while Redis is down the cache misses, so the
    throttle lets every request through; each such check is counted."""

    def allow_request(self, request: Any, view: Any) -> bool:
        allowed: bool = super().allow_request(request, view)  # type: ignore[misc]
        if redis_breaker.is_down and _consulted_cache(self):
            count("throttle_fail_open")
        return allowed


def _consulted_cache(throttle: Any) -> bool:
    """Whether the DRF throttle looked its counter up (it does not when no rate applies,
    e.g. the anonymous limit for a signed-in user)."""
    return getattr(throttle, "key", None) is not None


_local_throttle_cache = LocMemCache("exchange-throttle-fallback", {})


class LocalWhenRedisIsDown:
    """For a DRF throttle that must never fail open (login): while Redis is down the
    requests are counted in this process instead, so each web process still enforces the
    limit on its own."""

    cache: Any

    def allow_request(self, request: Any, view: Any) -> bool:
        allowed: bool = super().allow_request(request, view)  # type: ignore[misc]
        if not redis_breaker.is_down or not _consulted_cache(self):
            return allowed
        count("throttle_local")
        self.cache = _local_throttle_cache
        return super().allow_request(request, view)  # type: ignore[no-any-return, misc]


def reset() -> None:
    """Forgets outages, counts and the per-process throttle counters (for tests)."""
    redis_breaker.reset()
    database_outage.succeeded()
    _local_throttle_cache.clear()
    with _counts_lock:
        _counts.clear()


# --- The database -----------------------------------------------------------------------


def is_database_unavailable(error: BaseException) -> bool:
    """A failure to reach PostgreSQL (refused, shut down, connection lost), as opposed to a
    query that failed: an ``OperationalError`` without a SQLSTATE or with a connection
    class one (08, 57P), or an ``InterfaceError`` (the connection is already closed)."""
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    code = sqlstate(error)
    return code is None or code.startswith(("08", "57P"))


def sqlstate(error: OperationalError) -> str | None:
    """The PostgreSQL SQLSTATE behind Django's wrapped driver error, if any."""
    cause = error.__cause__
    return getattr(getattr(cause, "diag", None), "sqlstate", None) or getattr(
        cause, "sqlstate", None
    )

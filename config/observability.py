"""Saying once that a dependency (Redis, PostgreSQL) is down, and once that it is back.

Code that talks to a dependency reports each outcome; this module turns the stream into one
warning when the dependency goes down, one info line when it comes back, and the
``exchange_dependency_down`` gauge in between, instead of a log line per failed request::

    from config.observability import dependency_down, dependency_up

    try:
        cache.incr(key)
    except RedisError as error:
        dependency_down("redis", error)   # logs only on the first failure of an outage
        ...                                # degrade
    else:
        dependency_up("redis")             # logs only when an outage ends; cheap otherwise

Every failure still adds one to ``exchange_dependency_failures_total``. State is per
process (each gunicorn worker says it once); the gauge is the live processes' maximum.
"""

import logging
import threading

from config.metrics import DEPENDENCY_DOWN, DEPENDENCY_FAILURES

logger = logging.getLogger("exchange.dependencies")

_down: set[str] = set()
_lock = threading.Lock()


def dependency_down(name: str, error: BaseException | None = None) -> None:
    """``name`` failed just now. Logs a warning (with the error's type, never its
    arguments, which may hold a URL with a password) only if it was up until now."""
    DEPENDENCY_FAILURES.labels(name).inc()
    with _lock:
        if name in _down:
            return
        _down.add(name)
    DEPENDENCY_DOWN.labels(name).set(1)
    reason = type(error).__name__ if error is not None else "unavailable"
    logger.warning("%s is unavailable (%s); degrading until it answers again", name, reason)


def dependency_up(name: str) -> None:
    """``name`` answered just now. Logs once if it was down."""
    if name not in _down:  # the common case: no lock, no metric write
        return
    with _lock:
        if name not in _down:
            return
        _down.discard(name)
    DEPENDENCY_DOWN.labels(name).set(0)
    logger.info("%s is available again", name)


def is_down(name: str) -> bool:
    """Whether this process last found ``name`` unavailable."""
    return name in _down

"""Throttles that read their rates when they run, not when the class is imported.

DRF's throttles copy ``DEFAULT_THROTTLE_RATES`` into a class attribute at import time, so a
rate changed in settings (or by a test) would be ignored. The cache behind them is the default
cache: Redis when ``REDIS_URL`` is set, so every web process shares the same counters. While
Redis is down the general limits fail open and the login limit is kept per process
(``config/resilience.py``). Every throttle keys anonymous callers by
``config.client_ip.client_ip``, which believes ``X-Forwarded-For`` only as far as
``TRUSTED_PROXY_COUNT`` proxies (DRF's own ``get_ident`` trusts the whole header when
``NUM_PROXIES`` is unset).
"""

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from config.client_ip import client_ip
from config.resilience import FailOpenWhenRedisIsDown, LocalWhenRedisIsDown


class _CurrentRatesMixin:
    scope: str | None

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request: Request) -> str:
        return client_ip(request)


class AnonThrottle(_CurrentRatesMixin, FailOpenWhenRedisIsDown, AnonRateThrottle):
    pass


class UserThrottle(_CurrentRatesMixin, FailOpenWhenRedisIsDown, UserRateThrottle):
    pass


class AuthThrottle(_CurrentRatesMixin, LocalWhenRedisIsDown, SimpleRateThrottle):
    """Stricter limit for obtaining tokens: slows password guessing, keyed by client IP."""

    scope = "auth"

    def get_cache_key(self, request, view) -> str:  # type: ignore[no-untyped-def]
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

"""Liveness and readiness probes for load balancers and orchestrators."""

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.resilience import database_outage, redis_breaker


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests; checks no dependency."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        database_outage.failed(error)
        return "unavailable"
    return "ok"


def _check_redis() -> str:
    if not redis_breaker.allows():
        return "unavailable"  # failed moments ago: do not wait on it again
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
    )
    try:
        client.ping()
    except redis.RedisError as error:
        redis_breaker.failed(error)
        return "unavailable"
    finally:
        client.close()
    redis_breaker.succeeded()
    return "ok"


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to take traffic while the database answers: ``ok`` (200) when everything
    answers, ``degraded`` (200) when only Redis does not (the API still serves, see
    ``config/resilience.py``), ``unavailable`` (503) when the database does not."""
    checks = {"database": _check_database()}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis()
    if checks["database"] != "ok":
        status = "unavailable"
    elif all(result == "ok" for result in checks.values()):
        status = "ok"
    else:
        status = "degraded"
    return JsonResponse(
        {"status": status, "checks": checks}, status=503 if status == "unavailable" else 200
    )

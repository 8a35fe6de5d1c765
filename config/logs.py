"""Logging filters (``LOGGING`` in config/settings.py)."""

import logging


class ServerErrorsOnly(logging.Filter):
    """On ``django.request``: keeps the 5xx lines and drops the 4xx ones.

    Django logs every 4xx answer at WARNING ("Not Found: …", "Conflict: …"), but a 404 for
    an object outside the caller's scope, a validation 400 or the 409 of a booking that
    lost its race is the API working as designed, not something to warn anyone about; they
    are counted by ``exchange_http_errors_total`` (docs/observability.md). A record without a
    status code is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", 500) >= 500

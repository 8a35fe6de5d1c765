"""Every write in scheduling: offering slots, booking, confirming, rescheduling, cancelling
and completing sessions, reminders, lapsed offers and calendar feeds.

Never double-booked: every path that gives an expert a live session locks the expert's row
(``select_for_update``) before it checks for an overlapping live session and writes, all in
one transaction, so writers for one expert queue instead of racing. Lock order: offering,
booking and confirming lock the request's row, then the expert's; cancelling and completing
the request's, then the session's; rescheduling the expert's, then the session's. On
PostgreSQL
an exclusion constraint is the backstop (an ``IntegrityError`` from it, or a deadlock, is a
409), and on SQLite ``transaction_mode: IMMEDIATE`` serialises the writers.

The writes live in ``booking``, ``changes``, ``beat``, ``feeds`` and ``requests`` (cancelling
a request, which reaches every layer); callers import from here.
"""

from scheduling.services.beat import offers_lapse, reminders_send
from scheduling.services.booking import (
    OFFER_TASK,
    session_book,
    session_confirm,
    slots_offer,
    validate_start,
)
from scheduling.services.changes import (
    session_cancel,
    session_complete,
    session_reschedule,
    sessions_cancel_for_request,
)
from scheduling.services.feeds import (
    calendar_feed_create,
    calendar_feed_revoke,
    calendar_feed_user,
)
from scheduling.services.requests import support_request_cancel

__all__ = [
    "OFFER_TASK",
    "calendar_feed_create",
    "calendar_feed_revoke",
    "calendar_feed_user",
    "offers_lapse",
    "reminders_send",
    "session_book",
    "session_cancel",
    "session_complete",
    "session_confirm",
    "session_reschedule",
    "sessions_cancel_for_request",
    "slots_offer",
    "support_request_cancel",
    "validate_start",
]

"""Every write in scheduling: offering slots, booking, confirming, rescheduling, cancelling
and completing sessions, reminders, lapsed offers and calendar feeds.

Never double-booked: every path that gives an expert a live session locks the expert's row
first (``select_for_update``), then checks for an overlapping live session, then writes, all
in one transaction. Writers for one expert therefore queue instead of racing; on PostgreSQL
an exclusion constraint is the backstop (an ``IntegrityError`` from it, or a deadlock, is a
409), and on SQLite ``transaction_mode: IMMEDIATE`` serialises the writers.

The writes live in ``booking``, ``changes``, ``beat`` and ``feeds``; callers import from here.
"""

from exchange.scheduling.services.beat import offers_lapse, reminders_send
from exchange.scheduling.services.booking import (
    OFFER_TASK,
    session_book,
    session_confirm,
    session_slots_offer,
    slots_offer_queue,
    validate_start,
)
from exchange.scheduling.services.changes import (
    session_cancel,
    session_complete,
    session_reschedule,
    sessions_cancel_for_request,
)
from exchange.scheduling.services.feeds import (
    calendar_feed_create,
    calendar_feed_revoke,
    calendar_feed_user,
)

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
    "session_slots_offer",
    "sessions_cancel_for_request",
    "slots_offer_queue",
    "validate_start",
]

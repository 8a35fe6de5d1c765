"""Every write of the knowledge app: feedback and the expert's report (``feedback``), goals,
confidence and outcome reviews (``outcomes``), beat's reminders (``reminders``), and the
experts' track records matching reads (``track_records``). Callers import from here."""

from knowledge.services.feedback import feedback_give, feedback_update
from knowledge.services.outcomes import (
    confidence_rate,
    goal_create,
    goal_delete,
    goal_update,
    review_record,
    review_skip,
)
from knowledge.services.reminders import feedback_reminders_send, review_reminders_send
from knowledge.services.track_records import track_record_refresh

__all__ = [
    "confidence_rate",
    "feedback_give",
    "feedback_reminders_send",
    "feedback_update",
    "goal_create",
    "goal_delete",
    "goal_update",
    "review_record",
    "review_reminders_send",
    "review_skip",
    "track_record_refresh",
]

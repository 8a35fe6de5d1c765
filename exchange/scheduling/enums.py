from django.db import models


class SessionStatus(models.TextChoices):
    OFFERED = "offered", "Offered to the school"
    CONFIRMED = "confirmed", "Confirmed"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


# Live sessions hold the expert's time: two of them can never overlap.
LIVE_SESSION_STATUSES = (SessionStatus.OFFERED, SessionStatus.CONFIRMED)


class SessionChangeKind(models.TextChoices):
    OFFERED = "offered", "Offered"
    CONFIRMED = "confirmed", "Confirmed"
    RESCHEDULED = "rescheduled", "Rescheduled"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "Marked as a no-show"


class ClosureKind(models.TextChoices):
    HOLIDAY = "holiday", "School holiday"
    INSET = "inset", "INSET (training) day"
    CLOSURE = "closure", "Other closure"


class NotificationKind(models.TextChoices):
    PROPOSAL_NEW = "proposal_new", "New proposal"
    PROPOSAL_ACCEPTED = "proposal_accepted", "Proposal accepted"
    PROPOSAL_REMINDER = "proposal_reminder", "Reminder: a proposal is about to expire"
    SLOTS_OFFERED = "slots_offered", "Slots offered"
    NO_SLOTS = "no_slots", "No common time found"
    SESSION_CONFIRMED = "session_confirmed", "Session confirmed"
    SESSION_CHANGED = "session_changed", "Session changed"
    SESSION_CANCELLED = "session_cancelled", "Session cancelled"
    REMINDER_24H = "reminder_24h", "Reminder: 24 hours before"
    REMINDER_1H = "reminder_1h", "Reminder: 1 hour before"


class ReminderKind(models.TextChoices):
    DAY_BEFORE = "24h", "24 hours before"
    HOUR_BEFORE = "1h", "1 hour before"

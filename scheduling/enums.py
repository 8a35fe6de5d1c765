"""Choices of scheduling: sessions, their changes and reminders."""

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


class ReminderKind(models.TextChoices):
    DAY_BEFORE = "24h", "24 hours before"
    HOUR_BEFORE = "1h", "1 hour before"

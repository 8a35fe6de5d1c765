"""Scheduling: knowledge-sharing sessions and their history, reminders and private
calendar feeds.

These tables were created by the exchange app and keep its table names (``db_table``), so
moving the models here moved no data (``scheduling/migrations/0001_initial.py``). Foreign
keys to the exchange are by name, so this module imports no other app's models.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from exchange.enums import Format, NotificationKind
from scheduling.enums import LIVE_SESSION_STATUSES, ReminderKind, SessionChangeKind, SessionStatus


class Session(models.Model):
    """A knowledge-sharing session between an expert and a requesting school.

    ``offered`` sessions are the slots put to the school; they hold the expert's time like
    ``confirmed`` ones, so no two live sessions of an expert overlap. On PostgreSQL an
    exclusion constraint (``exchange`` migration 0005) enforces that as the backstop to the
    service's locked check.
    """

    request = models.ForeignKey(
        "exchange.SupportRequest", on_delete=models.CASCADE, related_name="sessions"
    )
    expert = models.ForeignKey(
        "exchange.ExpertProfile", on_delete=models.CASCADE, related_name="sessions"
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    format = models.CharField(max_length=24, choices=Format.choices)
    location = models.CharField(max_length=300, blank=True)
    video_link = models.URLField(blank=True)
    status = models.CharField(
        max_length=12, choices=SessionStatus.choices, default=SessionStatus.OFFERED
    )
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    offered_until = models.DateTimeField(
        null=True, blank=True, help_text="An unconfirmed offer lapses then, freeing the time."
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "exchange_session"
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["expert", "status", "starts_at"], name="exchange_session_expert"),
            models.Index(fields=["request", "status"], name="exchange_session_request"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="exchange_session_start_before_end"
            ),
            # A request has one confirmed (or completed) session at a time.
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status=SessionStatus.CONFIRMED),
                name="exchange_session_one_confirmed_per_request",
            ),
        ]

    def __str__(self) -> str:
        return f"Session #{self.pk} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_SESSION_STATUSES


class SessionChange(models.Model):
    """The audit trail of a session: every offer, confirmation, move and cancellation."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=12, choices=SessionChangeKind.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=500, blank=True)
    is_late = models.BooleanField(
        default=False, help_text="Made within the late-change cut-off before the session."
    )
    previous_starts_at = models.DateTimeField(null=True, blank=True)
    previous_ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "exchange_sessionchange"
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.kind}"


class Reminder(models.Model):
    """A reminder due before a confirmed session. Beat sends due ones; the unique key means
    each is sent once however many workers look (a reschedule re-arms it)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=4, choices=ReminderKind.choices)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "exchange_reminder"
        ordering = ["due_at"]
        indexes = [models.Index(fields=["sent_at", "due_at"], name="exchange_reminder_due")]
        constraints = [
            models.UniqueConstraint(fields=["session", "kind"], name="exchange_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.kind}"


class CalendarFeed(models.Model):
    """A private calendar subscription URL. Only the token's SHA-256 digest is stored; the
    token is shown once, and revoking the row kills the URL."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "exchange_calendarfeed"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="exchange_one_live_feed"
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user_id}"


NOTIFICATION_FOR_REMINDER: dict[str, str] = {
    ReminderKind.DAY_BEFORE: NotificationKind.REMINDER_24H,
    ReminderKind.HOUR_BEFORE: NotificationKind.REMINDER_1H,
}

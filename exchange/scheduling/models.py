"""Scheduling: term calendars, knowledge-sharing sessions and their history, reminders,
in-app notifications and private calendar feeds.

Models here belong to the ``exchange`` app (``exchange/models.py`` imports them). Foreign
keys to the rest of the exchange are by name, so this module imports no other models.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from exchange.enums import Format
from exchange.scheduling.enums import (
    LIVE_SESSION_STATUSES,
    ClosureKind,
    NotificationKind,
    ReminderKind,
    SessionChangeKind,
    SessionStatus,
)


class TermCalendar(models.Model):
    """School holidays and INSET days set by a local authority (for its community and
    community special schools) or a trust (for its academies). One calendar is the default
    for schools whose LA and trust publish none."""

    name = models.CharField(max_length=120)
    local_authority = models.OneToOneField(
        "accounts.LocalAuthority",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="term_calendar",
    )
    trust = models.OneToOneField(
        "accounts.Trust",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="term_calendar",
    )
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="exchange_one_default_cal"
            ),
            models.CheckConstraint(
                condition=Q(local_authority__isnull=True) | Q(trust__isnull=True),
                name="exchange_calendar_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Closure(models.Model):
    """Dates when sessions cannot happen: a holiday or INSET day of a term calendar, or of
    one school (a school's own INSET days override its calendar)."""

    calendar = models.ForeignKey(
        TermCalendar, on_delete=models.CASCADE, null=True, blank=True, related_name="closures"
    )
    school = models.ForeignKey(
        "accounts.School", on_delete=models.CASCADE, null=True, blank=True, related_name="closures"
    )
    kind = models.CharField(max_length=12, choices=ClosureKind.choices)
    name = models.CharField(max_length=120, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(help_text="Inclusive.")

    class Meta:
        ordering = ["start_date"]
        indexes = [models.Index(fields=["end_date", "start_date"], name="exchange_closure_dates")]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__lte=F("end_date")), name="exchange_closure_dates_valid"
            ),
            models.CheckConstraint(
                condition=Q(calendar__isnull=True, school__isnull=False)
                | Q(calendar__isnull=False, school__isnull=True),
                name="exchange_closure_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.get_kind_display()} {self.start_date}–{self.end_date}"


class Session(models.Model):
    """A knowledge-sharing session between an expert and a requesting school.

    ``offered`` sessions are the slots put to the school; they hold the expert's time like
    ``confirmed`` ones, so no two live sessions of an expert overlap. On PostgreSQL an
    exclusion constraint (migration 0005) enforces that as the backstop to the service's
    locked check.
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
        ordering = ["due_at"]
        indexes = [models.Index(fields=["sent_at", "due_at"], name="exchange_reminder_due")]
        constraints = [
            models.UniqueConstraint(fields=["session", "kind"], name="exchange_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.kind}"


class Notification(models.Model):
    """An in-app notification, also sent by email (``emailed_at`` marks it sent, once)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    request = models.ForeignKey(
        "exchange.SupportRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="exchange_notification_user")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"


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

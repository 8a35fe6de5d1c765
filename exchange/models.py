from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from accounts.models import School
from exchange.constants import MAX_TRAVEL_KM, accepts_work
from exchange.enums import (
    BroadArea,
    ClosureKind,
    CredentialKind,
    EducationPhase,
    ExceptionKind,
    Format,
    Level,
    NotificationKind,
    RequestFormat,
    RequestScope,
    RequestStatus,
    SenStatus,
    Urgency,
    VerificationStatus,
)


class Need(models.Model):
    """A DfE SEN primary-need code (loaded by a data migration)."""

    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=120)
    broad_area = models.CharField(max_length=32, choices=BroadArea.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Topic(models.Model):
    """What staff want help with, across needs. Editable by admins."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# The format and phase sets are stored as one boolean column each, so the database can
# narrow candidates with plain indexed predicates on SQLite and PostgreSQL alike.
FORMAT_FLAGS = {value: f"offers_{value}" for value in Format.values}
PHASE_FLAGS = {value: f"serves_{value}" for value in EducationPhase.values}


# ``ExpertProfile.accepting_work`` (``exchange.constants.accepts_work``) in SQL.
ACCEPTING_WORK = Q(is_verified=True, is_suspended=False, is_paused=False)


class ExpertProfileQuerySet(models.QuerySet["ExpertProfile"]):
    def accepting_work(self) -> "ExpertProfileQuerySet":
        return self.filter(ACCEPTING_WORK)


class ExpertProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile"
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="experts", help_text="Home school."
    )
    bio = models.TextField(max_length=2000, blank=True)

    offers_observation_visit = models.BooleanField(default=False)
    offers_consultation = models.BooleanField(default=False)
    offers_staff_training = models.BooleanField(default=False)
    offers_video_call = models.BooleanField(default=False)
    serves_early_years = models.BooleanField(default=False)
    serves_primary = models.BooleanField(default=False)
    serves_secondary = models.BooleanField(default=False)
    serves_post_16 = models.BooleanField(default=False)
    age_min = models.PositiveSmallIntegerField(default=2, validators=[MaxValueValidator(25)])
    age_max = models.PositiveSmallIntegerField(default=19, validators=[MaxValueValidator(25)])

    max_travel_km = models.PositiveSmallIntegerField(
        default=20,
        validators=[MaxValueValidator(MAX_TRAVEL_KM)],
        help_text="For visits, from home school.",
    )
    sessions_per_week = models.PositiveSmallIntegerField(
        default=1, validators=[MaxValueValidator(20)]
    )
    sessions_per_month = models.PositiveSmallIntegerField(
        default=4, validators=[MaxValueValidator(80)]
    )
    days_per_term = models.PositiveSmallIntegerField(
        default=5, validators=[MaxValueValidator(70)], help_text="Released by the employer."
    )

    is_verified = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    is_suspended = models.BooleanField(default=False)
    suspended_reason = models.CharField(max_length=200, blank=True)
    is_paused = models.BooleanField(default=False, help_text="Set by the expert.")

    # The employer's confirmation that safeguarding (DBS) checks were done. Never the DBS
    # number or certificate.
    safeguarding_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    safeguarding_confirmed_at = models.DateTimeField(null=True, blank=True)
    safeguarding_expires_on = models.DateField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExpertProfileQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(age_min__lte=F("age_max")), name="exchange_expert_age_range_valid"
            ),
            models.CheckConstraint(
                condition=Q(sessions_per_week__lte=F("sessions_per_month")),
                name="exchange_expert_week_within_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.school.name}"

    @property
    def formats(self) -> list[str]:
        return [value for value, flag in FORMAT_FLAGS.items() if getattr(self, flag)]

    @property
    def phases(self) -> list[str]:
        return [value for value, flag in PHASE_FLAGS.items() if getattr(self, flag)]

    def safeguarding_current(self, on: date) -> bool:
        return self.safeguarding_expires_on is not None and self.safeguarding_expires_on >= on

    @property
    def accepting_work(self) -> bool:
        return accepts_work(
            is_verified=self.is_verified, is_suspended=self.is_suspended, is_paused=self.is_paused
        )


class Specialism(models.Model):
    """One need or one topic an expert knows, at a level."""

    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="specialisms")
    need = models.ForeignKey(Need, on_delete=models.PROTECT, null=True, blank=True)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, null=True, blank=True)
    level = models.CharField(max_length=16, choices=Level.choices)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(need__isnull=False, topic__isnull=True)
                | Q(need__isnull=True, topic__isnull=False),
                name="exchange_specialism_need_xor_topic",
            ),
            models.UniqueConstraint(
                fields=["expert", "need"],
                condition=Q(need__isnull=False),
                name="exchange_specialism_need_unique",
            ),
            models.UniqueConstraint(
                fields=["expert", "topic"],
                condition=Q(topic__isnull=False),
                name="exchange_specialism_topic_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.need or self.topic} ({self.level})"


class Credential(models.Model):
    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="credentials")
    kind = models.CharField(max_length=24, choices=CredentialKind.choices)
    title = models.CharField(max_length=200, blank=True, help_text="e.g. the awarding body.")
    awarded_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=VerificationStatus.choices, default=VerificationStatus.PENDING
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.status})"


class AvailabilityWindow(models.Model):
    """A weekly window, in Europe/London wall-clock time."""

    expert = models.ForeignKey(
        ExpertProfile, on_delete=models.CASCADE, related_name="availability_windows"
    )
    weekday = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(4)], help_text="0 = Monday … 4 = Friday."
    )
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__lt=F("end_time")), name="exchange_window_start_before_end"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=4), name="exchange_window_school_day"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start_time}–{self.end_time}"


class AvailabilityException(models.Model):
    """A dated change to the weekly pattern: a day off, or one-off extra availability."""

    expert = models.ForeignKey(
        ExpertProfile, on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    date = models.DateField()
    kind = models.CharField(max_length=12, choices=ExceptionKind.choices)
    # Both empty: the whole day. Extra availability always has times.
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__isnull=True, end_time__isnull=True)
                | Q(start_time__lt=F("end_time")),
                name="exchange_exception_times_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ExceptionKind.EXTRA) | Q(start_time__isnull=False),
                name="exchange_exception_extra_has_times",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.kind}"


class SupportRequest(models.Model):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="support_requests")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(max_length=150)
    scope = models.CharField(max_length=16, choices=RequestScope.choices)
    parental_consent_obtained = models.BooleanField(default=False)
    parental_consent_date = models.DateField(null=True, blank=True)

    primary_need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="+")
    needs = models.ManyToManyField(Need, related_name="support_requests")
    topics = models.ManyToManyField(Topic, related_name="support_requests", blank=True)
    phase = models.CharField(max_length=16, choices=EducationPhase.choices)
    year_groups = models.JSONField(default=list, blank=True, help_text="0 = Reception … 13.")
    sen_status = models.CharField(max_length=16, choices=SenStatus.choices)

    context = models.TextField(max_length=4000, help_text="The needs as they present.")
    tried_so_far = models.TextField(max_length=4000, blank=True)
    desired_outcome = models.TextField(max_length=2000)

    format = models.CharField(max_length=24, choices=RequestFormat.choices)
    staff_attending = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    urgency = models.CharField(max_length=12, choices=Urgency.choices, default=Urgency.ROUTINE)
    video_acceptable = models.BooleanField(default=True)
    shares_details_with_local_authority = models.BooleanField(
        default=False,
        help_text="The school lets its local authority's officers read the pupil free text "
        "(context, what was tried, the desired outcome, goals' wording).",
    )

    status = models.CharField(
        max_length=16, choices=RequestStatus.choices, default=RequestStatus.DRAFT, db_index=True
    )
    status_changed_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The analytics (insights/selectors/) count submitted requests by need, phase,
            # status and school: this index answers them without reading the requests
            # themselves (about 1 kB a row of text, 20 MB for 20,000 requests; 1.5 MB here).
            models.Index(
                fields=["submitted_at", "id", "school", "primary_need", "status", "phase"],
                name="exchange_request_analytics_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(scope=RequestScope.ONE_PUPIL)
                | Q(parental_consent_obtained=True, parental_consent_date__isnull=False),
                name="exchange_request_one_pupil_needs_consent",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class PreferredWindow(models.Model):
    """A dated time window that suits the school, in Europe/London wall-clock time."""

    request = models.ForeignKey(
        SupportRequest, on_delete=models.CASCADE, related_name="preferred_windows"
    )
    date = models.DateField()
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__lt=F("end_time")),
                name="exchange_preferred_start_before_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.start_time}–{self.end_time}"


class StatusChange(models.Model):
    """The audit trail of a request's lifecycle."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=16, choices=RequestStatus.choices)
    to_status = models.CharField(max_length=16, choices=RequestStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class OutboxMessage(models.Model):
    """A task to publish, written in the same transaction as the change that needs it.

    Published after commit; anything a broker outage left behind is published again by a
    periodic sweep, so an outage delays work instead of losing it. See ``exchange/outbox.py``.
    """

    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    # The domain event the task handles, when a lower layer recorded one for a higher one
    # (exchange/events.py); blank for a task queued within its own app.
    event = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the publisher that is sending the row now; a claim older than the outbox's lease
    # belongs to a process that died, and the sweep takes the row over.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set only once the broker has the message.
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(published_at__isnull=True),
                name="exchange_outbox_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} #{self.pk}"


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
    # By name, not import: a notification about a session carries its invitation, but the
    # exchange does not build on scheduling (the deliverer attaches it: scheduling/tasks.py).
    session = models.ForeignKey(
        "scheduling.Session",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="exchange_notification_user")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"


class ExpertTrackRecord(models.Model):
    """What an expert's past work says, denormalised for matching, which builds on the
    exchange and cannot read the knowledge app's feedback and reviews. The knowledge app
    rewrites the row (``exchange.services.expert_track_record_set``) in the same transaction
    as each feedback or review it stores, so matching never sees one without the other."""

    expert = models.OneToOneField(
        ExpertProfile, on_delete=models.CASCADE, primary_key=True, related_name="track_record"
    )
    # One rating per session: the mean of the school's answers about that session (1–5).
    feedback_sum = models.FloatField(default=0.0)
    feedback_count = models.PositiveIntegerField(default=0)
    # Outcome reviews of requests the expert worked on, and how many met or exceeded the
    # goals (a GAS T-score of 50 or more).
    reviews_count = models.PositiveIntegerField(default=0)
    reviews_met_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reviews_met_count__lte=F("reviews_count")),
                name="exchange_track_record_met_within_reviews",
            ),
        ]

    def __str__(self) -> str:
        return f"Track record of expert {self.expert_id}"

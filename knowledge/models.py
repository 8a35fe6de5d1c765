"""The knowledge a session leaves behind: feedback from both sides, the expert's report
(what was covered, the agreed next steps), the school's goals for a request with their
Goal Attainment Scaling baseline, staff confidence before, and the outcome review after.

Foreign keys to the layers below are by name, so this module imports no other app's
models.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from knowledge.enums import FeedbackReminderStage, ReviewStatus, Side

RATING = [MinValueValidator(1), MaxValueValidator(5)]
GAS = [MinValueValidator(-2), MaxValueValidator(2)]
MAX_GOALS = 3


def _rating_check(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__range": (1, 5)}), name=name)


def _gas_check(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__range": (-2, 2)}), name=name)


class Feedback(models.Model):
    """One participant's feedback on one session, given once (the unique key), editable
    for ``KNOWLEDGE["FEEDBACK_EDIT_DAYS"]`` days."""

    session = models.ForeignKey(
        "scheduling.Session", on_delete=models.CASCADE, related_name="feedback"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_feedback"
    )
    side = models.CharField(max_length=8, choices=Side.choices)
    useful = models.PositiveSmallIntegerField(validators=RATING, help_text="1–5.")
    practical = models.PositiveSmallIntegerField(validators=RATING, help_text="1–5.")
    would_recommend = models.PositiveSmallIntegerField(validators=RATING, help_text="1–5.")
    comments = models.TextField(max_length=4000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "author"], name="knowledge_feedback_once"),
            _rating_check("useful", "knowledge_feedback_useful_1_5"),
            _rating_check("practical", "knowledge_feedback_practical_1_5"),
            _rating_check("would_recommend", "knowledge_feedback_recommend_1_5"),
        ]

    def __str__(self) -> str:
        return f"Feedback on session {self.session_id} by {self.author_id}"

    @property
    def mean_rating(self) -> float:
        return (self.useful + self.practical + self.would_recommend) / 3


class SessionReport(models.Model):
    """The expert's notes on a session: what was covered and the next steps agreed. One
    per session, written with the expert's feedback."""

    session = models.OneToOneField(
        "scheduling.Session", on_delete=models.CASCADE, related_name="report"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="session_reports"
    )
    covered = models.TextField(max_length=8000)
    next_steps = models.TextField(max_length=8000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Report on session {self.session_id}"


class FeedbackReminder(models.Model):
    """A feedback reminder sent to one participant of one session. The unique key is what
    makes a reminder go out once however often (or however concurrently) beat runs."""

    session = models.ForeignKey(
        "scheduling.Session", on_delete=models.CASCADE, related_name="feedback_reminders"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=8, choices=FeedbackReminderStage.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user", "stage"], name="knowledge_feedback_reminder_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage} feedback reminder: session {self.session_id}, user {self.user_id}"


class Goal(models.Model):
    """One of up to three goals the school sets for a request, scaled for Goal Attainment
    Scaling: ``expected_outcome`` words level 0, ``baseline`` is where things stand now
    (−2 … +2, usually −1 or −2)."""

    request = models.ForeignKey(
        "exchange.SupportRequest", on_delete=models.CASCADE, related_name="goals"
    )
    # 1–3 and unique per request: the database holds a request to three goals.
    position = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_GOALS)]
    )
    description = models.CharField(max_length=500)
    expected_outcome = models.CharField(
        max_length=500, help_text="The wording of level 0: the expected outcome."
    )
    baseline = models.SmallIntegerField(validators=GAS, help_text="−2 … +2.")
    weight = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["request_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="knowledge_goal_position"),
            models.CheckConstraint(
                condition=Q(position__range=(1, MAX_GOALS)), name="knowledge_goal_at_most_three"
            ),
            _gas_check("baseline", "knowledge_goal_baseline_gas"),
            models.CheckConstraint(condition=Q(weight__gte=1), name="knowledge_goal_weight"),
        ]

    def __str__(self) -> str:
        return f"Goal {self.position} of request {self.request_id}"


class StaffConfidence(models.Model):
    """A member of the school's staff rates their confidence in meeting the need (1–5)
    before the first session; one rating each, which they may change until then."""

    request = models.ForeignKey(
        "exchange.SupportRequest", on_delete=models.CASCADE, related_name="staff_confidence"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField(validators=RATING)
    rated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["rated_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "user"], name="knowledge_confidence_once"),
            _rating_check("rating", "knowledge_confidence_1_5"),
        ]

    def __str__(self) -> str:
        return f"Confidence {self.rating} on request {self.request_id}"


class OutcomeReview(models.Model):
    """The SENCO's review of a request's outcomes at the review date (or a skip, with a
    reason). One per request. ``t_score`` (Kiresuk–Sherman, ``knowledge.gas``) and the
    confidence figures are stored when it is recorded, for analytics."""

    request = models.OneToOneField(
        "exchange.SupportRequest", on_delete=models.CASCADE, related_name="outcome_review"
    )
    status = models.CharField(max_length=10, choices=ReviewStatus.choices)
    skip_reason = models.CharField(max_length=500, blank=True)
    confidence_after = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    confidence_before = models.FloatField(
        null=True, blank=True, help_text="The mean of the staff's ratings before."
    )
    practice_changed = models.BooleanField(null=True, blank=True)
    practice_change = models.TextField(max_length=4000, blank=True)
    more_support_needed = models.BooleanField(null=True, blank=True)
    specialist_placement_considered = models.BooleanField(
        null=True, blank=True, help_text="A specialist-placement referral is still considered."
    )
    t_score = models.FloatField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ReviewStatus.COMPLETED, confidence_after__range=(1, 5))
                | Q(status=ReviewStatus.SKIPPED, confidence_after__isnull=True)
                & ~Q(skip_reason=""),
                name="knowledge_review_completed_or_skipped_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of request {self.request_id} ({self.status})"

    @property
    def confidence_change(self) -> float | None:
        if self.confidence_after is None or self.confidence_before is None:
            return None
        return self.confidence_after - self.confidence_before


class GoalAttainment(models.Model):
    """Where one goal stands at the review, on the same −2 … +2 scale as its baseline."""

    review = models.ForeignKey(OutcomeReview, on_delete=models.CASCADE, related_name="attainments")
    goal = models.OneToOneField(Goal, on_delete=models.CASCADE, related_name="attainment")
    attainment = models.SmallIntegerField(validators=GAS)

    class Meta:
        ordering = ["goal__position"]
        constraints = [_gas_check("attainment", "knowledge_attainment_gas")]

    def __str__(self) -> str:
        return f"Goal {self.goal_id}: {self.attainment:+d}"


class ReviewReminder(models.Model):
    """A reminder that a request's outcome review is due, sent once (the unique key)."""

    request = models.OneToOneField(
        "exchange.SupportRequest", on_delete=models.CASCADE, related_name="+"
    )
    due_on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Review reminder: request {self.request_id}"

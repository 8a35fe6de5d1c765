from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from exchange.enums import Format
from exchange.models import ExpertProfile, SupportRequest
from matching.enums import (
    LIVE_PROPOSAL_STATUSES,
    DeclineReason,
    Objective,
    ProposalStatus,
    RunStatus,
    RunTrigger,
    UnmatchedReason,
)
from matching.scoring import ScoringPolicy, Weights

DEFAULT_WEIGHTS = Weights()
WEIGHT_FIELDS = {name: f"weight_{name}" for name in Weights.__dataclass_fields__}


def _weight(default: int) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(default=default, validators=[MaxValueValidator(100)])


class MatchingPolicy(models.Model):
    """The weights and rules matching uses. Rows are never edited: a change is a new version,
    and every proposal and run records the version that produced it."""

    version = models.PositiveIntegerField(unique=True)
    is_active = models.BooleanField(default=False)

    weight_needs = _weight(DEFAULT_WEIGHTS.needs)
    weight_topics = _weight(DEFAULT_WEIGHTS.topics)
    weight_age = _weight(DEFAULT_WEIGHTS.age)
    weight_format = _weight(DEFAULT_WEIGHTS.format)
    weight_distance = _weight(DEFAULT_WEIGHTS.distance)
    weight_availability = _weight(DEFAULT_WEIGHTS.availability)
    weight_urgency = _weight(DEFAULT_WEIGHTS.urgency)
    weight_feedback = _weight(DEFAULT_WEIGHTS.feedback)
    weight_fairness = _weight(DEFAULT_WEIGHTS.fairness)

    allow_own_school = models.BooleanField(
        default=False, help_text="May an expert be matched to their own school?"
    )
    allow_own_trust = models.BooleanField(
        default=True, help_text="May an expert be matched to a school of their own trust?"
    )
    proposals_per_request = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    min_score = models.PositiveSmallIntegerField(
        default=20,
        validators=[MaxValueValidator(100)],
        help_text="Pairs scoring below this (0–100) are never proposed.",
    )
    objective = models.CharField(
        max_length=16, choices=Objective.choices, default=Objective.MAX_SCORE
    )
    round_candidates_per_request = models.PositiveSmallIntegerField(
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="How many of the best-scoring experts a matching round considers per request.",
    )
    availability_weeks = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    video_reach_km = models.PositiveSmallIntegerField(
        default=150,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Video calls are matched within this distance; nearer scores higher.",
    )
    proposal_expiry_school_days = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    expiry_reminder_school_days = models.PositiveSmallIntegerField(
        default=2,
        validators=[MaxValueValidator(30)],
        help_text="Remind the expert this many school days before a proposal expires.",
    )
    note = models.CharField(max_length=300, blank=True, help_text="Why this version exists.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "matching policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="matching_policy_one_active",
            ),
            models.CheckConstraint(
                condition=Q(
                    expiry_reminder_school_days__lt=models.F("proposal_expiry_school_days")
                ),
                name="matching_policy_reminder_before_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"Policy v{self.version}{' (active)' if self.is_active else ''}"

    @property
    def weights(self) -> Weights:
        return Weights(**{name: getattr(self, field) for name, field in WEIGHT_FIELDS.items()})

    def scoring_policy(self) -> ScoringPolicy:
        return ScoringPolicy(
            weights=self.weights,
            allow_own_school=self.allow_own_school,
            allow_own_trust=self.allow_own_trust,
            availability_weeks=self.availability_weeks,
            video_reach_km=self.video_reach_km,
        )


class MatchingRun(models.Model):
    """One matching round over every waiting request: what it saw, did and how long it took."""

    policy = models.ForeignKey(MatchingPolicy, on_delete=models.PROTECT, related_name="runs")
    objective = models.CharField(max_length=16, choices=Objective.choices)
    trigger = models.CharField(max_length=16, choices=RunTrigger.choices)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    requests_considered = models.PositiveIntegerField(default=0)
    experts_considered = models.PositiveIntegerField(default=0)
    candidate_pairs = models.PositiveIntegerField(default=0)
    matched_count = models.PositiveIntegerField(default=0)
    unmatched_count = models.PositiveIntegerField(default=0)
    objective_value = models.BigIntegerField(default=0, help_text="Sum of scores × 100.")
    timings_ms = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # One round at a time: two would propose the same capacity twice.
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status=RunStatus.RUNNING),
                name="matching_run_one_running",
            ),
        ]

    def __str__(self) -> str:
        return f"Run #{self.pk} ({self.status})"


class UnmatchedRequest(models.Model):
    """A request a round could not serve, and why."""

    Reason = UnmatchedReason

    run = models.ForeignKey(MatchingRun, on_delete=models.CASCADE, related_name="unmatched")
    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=24, choices=UnmatchedReason.choices)
    explanation = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The analytics' "reason of the latest round" per request: one backward index-only
            # step (insights/selectors/unmet.py::latest_reason), the reason in the index too.
            models.Index(
                fields=["request", "run", "id", "reason"], name="matching_unmatched_latest_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["run", "request"], name="matching_unmatched_once"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.reason}"


class Proposal(models.Model):
    """An expert proposed for a request, with the score and reasons that put them there."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="proposals")
    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="proposals")
    policy = models.ForeignKey(MatchingPolicy, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(
        MatchingRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="proposals"
    )
    status = models.CharField(
        max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    rank = models.PositiveSmallIntegerField(default=1)
    score = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(100)])
    delivery_format = models.CharField(max_length=24, choices=Format.choices)
    distance_km = models.FloatField(null=True, blank=True)
    breakdown = models.JSONField(default=list)
    summary = models.TextField(blank=True)
    expires_at = models.DateTimeField()
    remind_at = models.DateTimeField(help_text="When the expert is reminded, if undecided.")
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=500, blank=True)
    decline_reason_code = models.CharField(
        max_length=20, choices=DeclineReason.choices, blank=True, help_text="Set on a decline."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rank", "id"]
        indexes = [
            models.Index(fields=["expert", "status"], name="matching_proposal_expert_idx"),
            models.Index(fields=["status", "expires_at"], name="matching_proposal_expiry_idx"),
            # The analytics' first proposal per request and proposals by status, read from
            # the index alone (insights/selectors/flow.py), not the 30 MB of proposals.
            models.Index(
                fields=["request", "created_at", "status"], name="matching_proposal_first_idx"
            ),
        ]
        constraints = [
            # The database's backstop against a redelivered task or a racing round.
            models.UniqueConstraint(
                fields=["request", "expert"],
                condition=Q(status__in=LIVE_PROPOSAL_STATUSES),
                name="matching_proposal_one_live_per_pair",
            ),
            # A request never has two experts.
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status=ProposalStatus.ACCEPTED),
                name="matching_proposal_one_accepted_per_request",
            ),
            models.CheckConstraint(
                condition=~Q(status=ProposalStatus.DECLINED) | ~Q(decline_reason=""),
                name="matching_proposal_decline_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(
                    status=ProposalStatus.DECLINED, decline_reason_code__in=DeclineReason.values
                )
                | (~Q(status=ProposalStatus.DECLINED) & Q(decline_reason_code="")),
                name="matching_proposal_decline_has_code",
            ),
        ]

    def __str__(self) -> str:
        return f"Proposal #{self.pk}: expert {self.expert_id} for request {self.request_id}"

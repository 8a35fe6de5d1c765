"""Input serializers validate; output serializers render."""

from datetime import datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from knowledge.enums import GAS_LEVELS, ReviewStatus
from knowledge.models import Feedback, Goal, GoalAttainment, OutcomeReview, StaffConfidence
from knowledge.services.feedback import edit_window


def _rating(help_text: str, **kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=5, help_text=help_text, **kwargs)


def _gas(help_text: str) -> serializers.IntegerField:
    levels = "; ".join(f"{level:+d} {words}" for level, words in GAS_LEVELS.items())
    return serializers.IntegerField(min_value=-2, max_value=2, help_text=f"{help_text} {levels}.")


# --- feedback --------------------------------------------------------------------------------


class FeedbackInputSerializer(serializers.Serializer):
    session = serializers.IntegerField(help_text="A held (or no-show) session you took part in.")
    useful = _rating("How useful was the session? 1 (not at all) … 5 (very).")
    practical = _rating("How practical was the advice to put into place? 1 … 5.")
    would_recommend = _rating("Would you recommend this expert to a colleague? 1 … 5.")
    comments = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    covered = serializers.CharField(
        max_length=8000,
        required=False,
        allow_blank=True,
        help_text="The expert only (required of them for a held session): what was covered.",
    )
    next_steps = serializers.CharField(
        max_length=8000,
        required=False,
        allow_blank=True,
        help_text="The expert only (required of them for a held session): next steps agreed.",
    )


class FeedbackUpdateSerializer(FeedbackInputSerializer):
    session = None  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


class SessionReportSerializer(serializers.Serializer):
    covered = serializers.CharField()
    next_steps = serializers.CharField()


class FeedbackSerializer(serializers.ModelSerializer):
    session = serializers.IntegerField(source="session_id")
    request = serializers.IntegerField(source="session.request_id")
    author_name = serializers.CharField(source="author.full_name")
    report = serializers.SerializerMethodField(
        help_text="The expert's feedback only: what was covered and the next steps agreed."
    )
    editable_until = serializers.SerializerMethodField()

    class Meta:
        model = Feedback
        fields = [
            "id",
            "session",
            "request",
            "side",
            "author_name",
            "useful",
            "practical",
            "would_recommend",
            "comments",
            "report",
            "created_at",
            "updated_at",
            "editable_until",
        ]

    @extend_schema_field(SessionReportSerializer(allow_null=True))
    def get_report(self, feedback: Feedback) -> dict[str, str] | None:
        report = getattr(feedback.session, "report", None)
        if feedback.side != "expert" or report is None:
            return None
        return {"covered": report.covered, "next_steps": report.next_steps}

    def get_editable_until(self, feedback: Feedback) -> datetime:
        return feedback.created_at + edit_window()


# --- goals and confidence --------------------------------------------------------------------


class GoalInputSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=500, help_text="What should change.")
    expected_outcome = serializers.CharField(
        max_length=500, help_text="Level 0 in words: what the expected outcome looks like."
    )
    baseline = _gas("Where things stand now, usually −1 or −2.")
    weight = serializers.IntegerField(
        min_value=1, max_value=10, default=1, help_text="Relative importance (1 if unweighted)."
    )


# Goals are worded about pupils: why their wording may be null.
GOAL_HIDDEN = (
    "`null` for a local-authority officer unless the school shares the request's details "
    "(`shares_details_with_local_authority`)."
)
GOAL_WORDING_FIELDS = ("description", "expected_outcome")


class GoalSerializer(serializers.ModelSerializer):
    """A goal; with ``hides_pupil_details`` in the context (``exchange.access``), its
    wording is ``None``."""

    attainment = serializers.SerializerMethodField(
        help_text="The level reached at the review, once recorded."
    )
    description = serializers.CharField(
        allow_null=True, help_text=f"What should change. {GOAL_HIDDEN}"
    )
    expected_outcome = serializers.CharField(
        allow_null=True, help_text=f"Level 0 in words: the expected outcome. {GOAL_HIDDEN}"
    )

    class Meta:
        model = Goal
        fields = [
            "id",
            "request",
            "position",
            "description",
            "expected_outcome",
            "baseline",
            "weight",
            "attainment",
            "created_at",
            "updated_at",
        ]

    def get_attainment(self, goal: Goal) -> int | None:
        attained = getattr(goal, "attainment", None)
        return None if attained is None else attained.attainment

    def to_representation(self, instance: Goal) -> dict[str, Any]:
        data = super().to_representation(instance)
        if self.context.get("hides_pupil_details"):
            data.update(dict.fromkeys(GOAL_WORDING_FIELDS))
        return data


class ConfidenceInputSerializer(serializers.Serializer):
    rating = _rating("How confident are you in meeting the need? 1 (not at all) … 5 (very).")


class ConfidenceSerializer(serializers.ModelSerializer):
    is_mine = serializers.SerializerMethodField()

    class Meta:
        model = StaffConfidence
        fields = ["id", "rating", "rated_at", "is_mine"]

    def get_is_mine(self, confidence: StaffConfidence) -> bool:
        return confidence.user_id == self.context["request"].user.pk


# --- outcome reviews -------------------------------------------------------------------------


class AttainmentInputSerializer(serializers.Serializer):
    goal = serializers.IntegerField()
    attainment = _gas("The level reached.")


class ReviewInputSerializer(serializers.Serializer):
    attainments = AttainmentInputSerializer(many=True, help_text="Every goal of the request, once.")
    confidence_after = _rating("Staff confidence in meeting the need now, 1 … 5.")
    practice_changed = serializers.BooleanField()
    practice_change = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, help_text="What changed in practice."
    )
    more_support_needed = serializers.BooleanField()
    specialist_placement_considered = serializers.BooleanField(
        help_text="Is a referral for a specialist placement still being considered?"
    )

    def validate_attainments(self, value: list[dict[str, int]]) -> dict[int, int]:
        goals = [item["goal"] for item in value]
        if len(set(goals)) != len(goals):
            raise serializers.ValidationError("Each goal once.")
        return {item["goal"]: item["attainment"] for item in value}


class SkipInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class AttainmentSerializer(serializers.ModelSerializer):
    position = serializers.IntegerField(source="goal.position")
    description = serializers.CharField(source="goal.description")
    baseline = serializers.IntegerField(source="goal.baseline")
    weight = serializers.IntegerField(source="goal.weight")

    class Meta:
        model = GoalAttainment
        fields = ["goal", "position", "description", "baseline", "weight", "attainment"]


class ReviewSerializer(serializers.ModelSerializer):
    confidence_change = serializers.FloatField(allow_null=True, read_only=True)
    attainments = AttainmentSerializer(many=True)

    class Meta:
        model = OutcomeReview
        fields = [
            "id",
            "request",
            "status",
            "skip_reason",
            "t_score",
            "attainments",
            "confidence_before",
            "confidence_after",
            "confidence_change",
            "practice_changed",
            "practice_change",
            "more_support_needed",
            "specialist_placement_considered",
            "reviewed_at",
        ]


class ReviewStateSerializer(serializers.Serializer):
    """A request's review: due (with its date) until recorded or skipped."""

    request = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=["pending", "due", *ReviewStatus.values],
        help_text="`pending`: no session held yet, or the review date is still ahead; `due`: "
        "the review date has come; then `completed` or `skipped`.",
    )
    due_on = serializers.DateField(
        allow_null=True,
        help_text="The review date: the configured school weeks after the last held session.",
    )
    review = ReviewSerializer(allow_null=True)

from rest_framework import serializers

from accounts.serializers import SchoolSummarySerializer
from exchange.models import ExpertProfile
from exchange.serializers import SupportRequestSerializer
from matching.enums import DeclineReason
from matching.models import MatchingPolicy, MatchingRun, Proposal, UnmatchedRequest
from matching.services import POLICY_FIELDS


class CriterionSerializer(serializers.Serializer):
    """One line of a proposal's explanation."""

    criterion = serializers.CharField(help_text="Machine name, e.g. `distance`.")
    label = serializers.CharField(help_text="e.g. 'Distance'.")
    weight = serializers.IntegerField(help_text="The policy's weight (0 = not applicable).")
    value = serializers.FloatField(help_text="How well the pair does on this criterion, 0–1.")
    points = serializers.FloatField(help_text="weight × value.")
    explanation = serializers.CharField(help_text="e.g. '7.2 km away'.")


class ProposedExpertSerializer(serializers.ModelSerializer):
    school = SchoolSummarySerializer()

    class Meta:
        model = ExpertProfile
        fields = ["id", "school", "bio"]


class ProposalSerializer(serializers.ModelSerializer):
    """A proposal with its explanation: the total score (0–100), a one-line summary and
    the per-criterion breakdown, plus the expert (for the school) and the request (for the
    expert)."""

    expert = ProposedExpertSerializer()
    request = SupportRequestSerializer()
    breakdown = CriterionSerializer(many=True)
    policy_version = serializers.IntegerField(source="policy.version")

    class Meta:
        model = Proposal
        fields = [
            "id",
            "request",
            "expert",
            "status",
            "rank",
            "score",
            "summary",
            "breakdown",
            "delivery_format",
            "distance_km",
            "policy_version",
            "expires_at",
            "decided_at",
            "decline_reason",
            "decline_reason_code",
            "created_at",
        ]


class DeclineInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        min_length=3, max_length=500, help_text="Why: the school sees it; matching moves on."
    )
    reason_code = serializers.ChoiceField(
        choices=DeclineReason.choices,
        default=DeclineReason.OTHER,
        help_text="The reason, coded, for the analytics' count of decline reasons.",
    )


class UnmatchedRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = UnmatchedRequest
        fields = ["request", "reason", "explanation"]


class MatchingRunSerializer(serializers.ModelSerializer):
    policy_version = serializers.IntegerField(source="policy.version")

    class Meta:
        model = MatchingRun
        fields = [
            "id",
            "status",
            "trigger",
            "objective",
            "policy_version",
            "started_at",
            "finished_at",
            "duration_ms",
            "requests_considered",
            "experts_considered",
            "candidate_pairs",
            "matched_count",
            "unmatched_count",
            "objective_value",
            "timings_ms",
            "error",
        ]


class MatchingPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = MatchingPolicy
        fields = ["version", "is_active", *POLICY_FIELDS, "created_at"]
        read_only_fields = ["version", "is_active", "created_at"]


class MatchingPolicyInputSerializer(serializers.ModelSerializer):
    """Any subset of the policy's settings; the rest carry over from the active version."""

    class Meta:
        model = MatchingPolicy
        fields = POLICY_FIELDS

    def validate(self, attrs: dict) -> dict:
        expiry = attrs.get("proposal_expiry_school_days")
        reminder = attrs.get("expiry_reminder_school_days")
        if expiry is not None and reminder is not None and reminder >= expiry:
            raise serializers.ValidationError(
                {"expiry_reminder_school_days": ["Must be less than the expiry."]}
            )
        return attrs

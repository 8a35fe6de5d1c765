from typing import Any

from rest_framework import serializers

from accounts.models import User
from accounts.serializers import SchoolSummarySerializer
from scheduling import access
from scheduling.models import Session, SessionChange

PRIVATE = "Shown to the two sides and admins only (empty for trust coordinators)."


class AttendeeSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["full_name", "email"]


class SessionChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = SessionChange
        fields = [
            "kind",
            "changed_at",
            "reason",
            "is_late",
            "previous_starts_at",
            "previous_ends_at",
        ]


class SessionSerializer(serializers.ModelSerializer):
    """A session as both sides see it. Times are ISO 8601 in Europe/London."""

    request = serializers.IntegerField(source="request_id")
    request_title = serializers.CharField(source="request.title")
    school = SchoolSummarySerializer(source="request.school")
    expert = serializers.IntegerField(source="expert_id")
    expert_name = serializers.CharField(source="expert.user.full_name", help_text=PRIVATE)
    expert_school = SchoolSummarySerializer(source="expert.school")
    attendees = AttendeeSerializer(many=True, help_text=PRIVATE)
    changes = SessionChangeSerializer(
        many=True, help_text="Each change's `reason` is empty for trust coordinators."
    )
    ics_url = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id",
            "request",
            "request_title",
            "school",
            "expert",
            "expert_name",
            "expert_school",
            "status",
            "starts_at",
            "ends_at",
            "format",
            "location",
            "video_link",
            "attendees",
            "offered_until",
            "confirmed_at",
            "cancelled_at",
            "cancel_reason",
            "sequence",
            "changes",
            "ics_url",
        ]
        extra_kwargs = {
            "video_link": {"help_text": PRIVATE},
            "cancel_reason": {"help_text": PRIVATE},
        }

    def to_representation(self, session: Session) -> dict[str, Any]:
        data = super().to_representation(session)
        if not self._sees_people(session):
            # Trust coordinators see that a session exists and when, not who takes part,
            # how to join it, or why it changed (reasons name people and situations).
            data.update(expert_name="", attendees=[], video_link="", cancel_reason="")
            for change in data["changes"]:
                change["reason"] = ""
        return data

    def _sees_people(self, session: Session) -> bool:
        """People's names and addresses are for the session's two sides and admins
        (``access.sees_session_people``): the view puts the caller's scope in the context,
        so the memberships are read at most once per request, not once per session."""
        scope = self.context.get("scope")
        return scope is not None and access.sees_session_people(scope, session)

    def get_ics_url(self, session: Session) -> str:
        return f"/api/v1/sessions/{session.pk}/ics"


class BookInputSerializer(serializers.Serializer):
    request = serializers.IntegerField(help_text="An accepted support request of your school.")
    starts_at = serializers.DateTimeField(
        help_text="When the session starts (on the half hour; the format sets its length)."
    )


class RescheduleInputSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(help_text="The new start, with the same expert.")
    reason = serializers.CharField(max_length=500)


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class CalendarFeedSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Secret: anyone holding it can read your calendar.")

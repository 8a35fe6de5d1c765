from rest_framework import serializers

from accounts.models import User
from accounts.serializers import SchoolSummarySerializer
from exchange.scheduling.models import Notification, Session, SessionChange


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
    expert_name = serializers.CharField(source="expert.user.full_name")
    expert_school = SchoolSummarySerializer(source="expert.school")
    attendees = AttendeeSerializer(many=True)
    changes = SessionChangeSerializer(many=True)
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


class NotificationSerializer(serializers.ModelSerializer):
    request = serializers.IntegerField(source="request_id", allow_null=True)
    session = serializers.IntegerField(source="session_id", allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "request", "session", "created_at", "read_at"]


class CalendarFeedSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Secret: anyone holding it can read your calendar.")

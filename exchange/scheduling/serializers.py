from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from accounts.serializers import SchoolSummarySerializer
from exchange.scheduling.models import Notification, Session, SessionChange
from exchange.selectors import SCHOOL_REQUEST_ROLES


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
    expert_name = serializers.SerializerMethodField(
        help_text="Shown to the two sides and admins only (empty for trust coordinators)."
    )
    expert_school = SchoolSummarySerializer(source="expert.school")
    attendees = serializers.SerializerMethodField(
        help_text="Shown to the two sides and admins only (empty for trust coordinators)."
    )
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

    def _sees_people(self, session: Session) -> bool:
        """People's names and addresses are for the session's two sides and admins: the
        view puts the caller's scope in the context, read once per request."""
        scope = self.context.get("scope")
        if scope is None:
            return False
        return (
            scope.is_admin
            or session.expert.user_id == scope.user.pk
            or session.request.school_id in scope.schools(*SCHOOL_REQUEST_ROLES)
        )

    def get_expert_name(self, session: Session) -> str:
        return session.expert.user.full_name if self._sees_people(session) else ""

    @extend_schema_field(AttendeeSerializer(many=True))
    def get_attendees(self, session: Session) -> list[dict[str, str]]:
        if not self._sees_people(session):
            return []
        return AttendeeSerializer(session.attendees.all(), many=True).data

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

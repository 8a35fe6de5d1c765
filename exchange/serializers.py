from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import School
from accounts.serializers import SchoolSummarySerializer
from config.serializers import SlugsRelatedField, WholeWhenNested
from exchange import access
from exchange.constants import MAX_TRAVEL_KM
from exchange.enums import EducationPhase, Format
from exchange.models import (
    AvailabilityException,
    AvailabilityWindow,
    Credential,
    ExpertProfile,
    Need,
    Notification,
    PreferredWindow,
    Specialism,
    StatusChange,
    SupportRequest,
    Topic,
)

# How far ahead a school may ask for times, and how long a safeguarding confirmation lasts.
PREFERRED_WINDOW_HORIZON = timedelta(days=180)
SAFEGUARDING_MAX_YEARS = 3


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a year that has none
        return day.replace(year=day.year + years, day=28)


def _start_before_end(attrs: dict) -> dict:
    start, end = attrs.get("start_time"), attrs.get("end_time")
    if start is not None and end is not None and start >= end:
        raise serializers.ValidationError({"end_time": "Must be after start_time."})
    return attrs


# --- taxonomy ---


class NeedSerializer(serializers.ModelSerializer):
    class Meta:
        model = Need
        fields = ["code", "name", "broad_area"]


class TopicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["slug", "name", "description"]


# --- experts: input ---


class SpecialismInputSerializer(WholeWhenNested, serializers.Serializer):
    need = serializers.SlugRelatedField(
        slug_field="code", queryset=Need.objects.all(), required=False, allow_null=True
    )
    topic = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Topic.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    level = serializers.ChoiceField(choices=Specialism._meta.get_field("level").choices)

    def validate(self, attrs: dict) -> dict:
        if bool(attrs.get("need")) == bool(attrs.get("topic")):
            raise serializers.ValidationError("Give exactly one of `need` or `topic`.")
        return attrs


class _ScopedSchoolMixin:
    """``school_queryset``: the schools the caller may name (a foreign key in a body is
    checked against the caller's scope). Without it the field is dropped (updates)."""

    def __init__(self, *args, school_queryset=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        if school_queryset is None:
            self.fields.pop("school")  # type: ignore[attr-defined]
        else:
            self.fields["school"].queryset = school_queryset  # type: ignore[attr-defined]


class ExpertProfileInputSerializer(_ScopedSchoolMixin, serializers.Serializer):
    school = serializers.PrimaryKeyRelatedField(
        queryset=School.objects.none(),
        help_text="URN of the home school (where you hold an expert role).",
    )
    bio = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=Format.choices), min_length=1, max_length=4
    )
    phases = serializers.ListField(
        child=serializers.ChoiceField(choices=EducationPhase.choices), min_length=1, max_length=4
    )
    age_min = serializers.IntegerField(min_value=0, max_value=25, required=False)
    age_max = serializers.IntegerField(min_value=0, max_value=25, required=False)
    max_travel_km = serializers.IntegerField(min_value=0, max_value=MAX_TRAVEL_KM)
    sessions_per_week = serializers.IntegerField(min_value=0, max_value=20)
    sessions_per_month = serializers.IntegerField(min_value=0, max_value=80)
    days_per_term = serializers.IntegerField(min_value=0, max_value=70, required=False)
    is_paused = serializers.BooleanField(required=False)
    specialisms = SpecialismInputSerializer(many=True, min_length=1, max_length=40)

    def validate_specialisms(self, value: list[dict]) -> list[dict]:
        keys = [(item.get("need"), item.get("topic")) for item in value]
        if len(set(keys)) != len(keys):
            raise serializers.ValidationError("Each need or topic may appear once.")
        if not any(item.get("need") for item in value):
            raise serializers.ValidationError("Include at least one need.")
        return value

    def validate(self, attrs: dict) -> dict:
        for key in ("formats", "phases"):
            if key in attrs:
                attrs[key] = sorted(set(attrs[key]))
        return attrs


class CredentialInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Credential._meta.get_field("kind").choices)
    title = serializers.CharField(max_length=200, allow_blank=True, required=False)
    awarded_on = serializers.DateField(required=False, allow_null=True)

    def validate_awarded_on(self, value):  # type: ignore[no-untyped-def]
        if value and value > timezone.localdate():
            raise serializers.ValidationError("Cannot be in the future.")
        return value


class AvailabilityWindowInputSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=4, help_text="0 = Monday.")
    start_time = serializers.TimeField(help_text="Europe/London wall-clock time.")
    end_time = serializers.TimeField()

    def validate(self, attrs: dict) -> dict:
        return _start_before_end(attrs)


class AvailabilityExceptionInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=AvailabilityException._meta.get_field("kind").choices)
    start_time = serializers.TimeField(required=False, allow_null=True)
    end_time = serializers.TimeField(required=False, allow_null=True)
    note = serializers.CharField(max_length=200, allow_blank=True, required=False)

    def validate_date(self, value):  # type: ignore[no-untyped-def]
        if value < timezone.localdate():
            raise serializers.ValidationError("Cannot be in the past.")
        return value

    def validate(self, attrs: dict) -> dict:
        has_start, has_end = attrs.get("start_time") is not None, attrs.get("end_time") is not None
        if has_start != has_end:
            raise serializers.ValidationError(
                {"end_time": "Give both start_time and end_time, or neither (the whole day)."}
            )
        if attrs["kind"] == "extra" and not has_start:
            raise serializers.ValidationError({"start_time": "Extra availability needs times."})
        return _start_before_end(attrs)


class SafeguardingInputSerializer(serializers.Serializer):
    expires_on = serializers.DateField(help_text="When the employer's confirmation lapses.")

    def validate_expires_on(self, value):  # type: ignore[no-untyped-def]
        today = timezone.localdate()
        if value <= today:
            raise serializers.ValidationError("Must be a future date.")
        if value > _years_after(today, SAFEGUARDING_MAX_YEARS):
            raise serializers.ValidationError("Must be within three years.")
        return value


# --- experts: output ---


class SpecialismSerializer(serializers.ModelSerializer):
    # Exactly one of the two is set; the other is null.
    need = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    topic = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Specialism
        fields = ["need", "topic", "level"]


class CredentialSerializer(serializers.ModelSerializer):
    class Meta:
        model = Credential
        fields = ["id", "kind", "title", "awarded_on", "status", "verified_at"]


class ExpertSerializer(serializers.ModelSerializer):
    """The directory view: what a school needs to judge fit, no personal contact details."""

    school = SchoolSummarySerializer()
    formats = serializers.ListField(child=serializers.ChoiceField(choices=Format.choices))
    phases = serializers.ListField(child=serializers.ChoiceField(choices=EducationPhase.choices))
    specialisms = SpecialismSerializer(many=True)
    credentials = CredentialSerializer(many=True)
    accepting_work = serializers.BooleanField()
    safeguarding_current = serializers.SerializerMethodField()
    distance_km = serializers.SerializerMethodField(
        help_text="From the school given in `near`, when filtering by distance."
    )

    class Meta:
        model = ExpertProfile
        fields = [
            "id",
            "school",
            "bio",
            "formats",
            "phases",
            "age_min",
            "age_max",
            "max_travel_km",
            "sessions_per_week",
            "sessions_per_month",
            "days_per_term",
            "specialisms",
            "credentials",
            "is_verified",
            "is_paused",
            "accepting_work",
            "safeguarding_current",
            "distance_km",
        ]

    def get_safeguarding_current(self, expert: ExpertProfile) -> bool:
        return expert.safeguarding_current(timezone.localdate())

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_distance_km(self, expert: ExpertProfile) -> float | None:
        distance = getattr(expert, "distance_m", None)
        return None if distance is None else round(distance / 1000, 1)


class ExpertPrivateSerializer(ExpertSerializer):
    """The expert's own view (and their employer's and admins'): adds personal details."""

    full_name = serializers.CharField(source="user.full_name")
    email = serializers.EmailField(source="user.email")

    class Meta(ExpertSerializer.Meta):
        fields = [
            *ExpertSerializer.Meta.fields,
            "full_name",
            "email",
            "is_suspended",
            "safeguarding_confirmed_at",
            "safeguarding_expires_on",
        ]


class AvailabilityWindowSerializer(serializers.ModelSerializer):
    class Meta:
        model = AvailabilityWindow
        fields = ["id", "weekday", "start_time", "end_time"]


class AvailabilityExceptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AvailabilityException
        fields = ["id", "date", "kind", "start_time", "end_time", "note"]


# --- support requests ---


class PreferredWindowSerializer(WholeWhenNested, serializers.ModelSerializer):
    class Meta:
        model = PreferredWindow
        fields = ["date", "start_time", "end_time"]

    def validate_date(self, value):  # type: ignore[no-untyped-def]
        today = timezone.localdate()
        if value < today:
            raise serializers.ValidationError("Cannot be in the past.")
        if value > today + PREFERRED_WINDOW_HORIZON:
            raise serializers.ValidationError("Must be within the next six months.")
        return value

    def validate(self, attrs: dict) -> dict:
        return _start_before_end(attrs)


class SupportRequestInputSerializer(_ScopedSchoolMixin, serializers.Serializer):
    school = serializers.PrimaryKeyRelatedField(
        queryset=School.objects.none(),
        required=False,
        help_text="URN of the requesting school; may be left out when you belong to one school.",
    )
    title = serializers.CharField(max_length=150)
    scope = serializers.ChoiceField(choices=SupportRequest._meta.get_field("scope").choices)
    parental_consent_obtained = serializers.BooleanField(required=False)
    parental_consent_date = serializers.DateField(required=False, allow_null=True)
    # The codes and slugs are read in one query each (config.serializers.SlugsRelatedField).
    needs = SlugsRelatedField(
        child_relation=serializers.SlugRelatedField(slug_field="code", queryset=Need.objects.all()),
        allow_empty=False,
    )
    primary_need = serializers.SlugRelatedField(slug_field="code", queryset=Need.objects.all())
    topics = SlugsRelatedField(
        child_relation=serializers.SlugRelatedField(
            slug_field="slug", queryset=Topic.objects.filter(is_active=True)
        ),
        required=False,
    )
    phase = serializers.ChoiceField(choices=EducationPhase.choices)
    year_groups = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=14),
        required=False,
        max_length=15,
        help_text="0 = Reception, 1–13 = Years 1–13, 14 = post-19.",
    )
    sen_status = serializers.ChoiceField(
        choices=SupportRequest._meta.get_field("sen_status").choices
    )
    context = serializers.CharField(max_length=4000)
    tried_so_far = serializers.CharField(max_length=4000, allow_blank=True, required=False)
    desired_outcome = serializers.CharField(max_length=2000)
    format = serializers.ChoiceField(choices=SupportRequest._meta.get_field("format").choices)
    staff_attending = serializers.IntegerField(min_value=1, max_value=200, required=False)
    urgency = serializers.ChoiceField(
        choices=SupportRequest._meta.get_field("urgency").choices, required=False
    )
    video_acceptable = serializers.BooleanField(required=False)
    shares_details_with_local_authority = serializers.BooleanField(
        required=False,
        help_text="Let your local authority's officers read `context`, `tried_so_far`, "
        "`desired_outcome` and the goals' wording (default: no). May be changed at any status, "
        "alone in a PATCH.",
    )
    preferred_windows = PreferredWindowSerializer(many=True, required=False, max_length=30)

    def validate_parental_consent_date(self, value):  # type: ignore[no-untyped-def]
        if value and value > timezone.localdate():
            raise serializers.ValidationError("Cannot be in the future.")
        return value

    def validate_year_groups(self, value: list[int]) -> list[int]:
        return sorted(set(value))

    def validate(self, attrs: dict) -> dict:
        if (
            "needs" in attrs
            and "primary_need" in attrs
            and attrs["primary_need"] not in attrs["needs"]
        ):
            raise serializers.ValidationError({"primary_need": "Must be one of `needs`."})
        return attrs


class TransitionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False)


# The pupil free text's description: why it may be null (``access.hides_pupil_details``).
HIDDEN = (
    "`null` for a local-authority officer unless the school shares the details "
    "(`shares_details_with_local_authority`): pupil free text stays with the school, its "
    "trust and the experts working on the request."
)


class SupportRequestSerializer(serializers.ModelSerializer):
    school = SchoolSummarySerializer()
    needs = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    primary_need = serializers.SlugRelatedField(slug_field="code", read_only=True)
    topics = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    preferred_windows = PreferredWindowSerializer(many=True, read_only=True)
    context = serializers.CharField(
        allow_null=True, help_text=f"The needs as they present. {HIDDEN}"
    )
    tried_so_far = serializers.CharField(allow_null=True, help_text=HIDDEN)
    desired_outcome = serializers.CharField(allow_null=True, help_text=HIDDEN)

    class Meta:
        model = SupportRequest
        fields = [
            "id",
            "school",
            "title",
            "scope",
            "parental_consent_obtained",
            "parental_consent_date",
            "needs",
            "primary_need",
            "topics",
            "phase",
            "year_groups",
            "sen_status",
            "context",
            "tried_so_far",
            "desired_outcome",
            "format",
            "staff_attending",
            "urgency",
            "video_acceptable",
            "shares_details_with_local_authority",
            "preferred_windows",
            "status",
            "status_changed_at",
            "submitted_at",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, instance: SupportRequest) -> dict[str, Any]:
        """With the caller's ``scope`` in the context, the pupil free text they may not read
        is ``None`` (``access.hides_pupil_details``, as ``pages.support_requests``)."""
        data = super().to_representation(instance)
        scope = self.context.get("scope")
        if scope is not None and access.request_hides_pupil_details(scope, instance):
            data.update(dict.fromkeys(access.PUPIL_DETAIL_FIELDS))
        return data


class StatusChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.SerializerMethodField(
        help_text="Who made the change: shown to the request's own school and admins only."
    )

    reason = serializers.SerializerMethodField(
        help_text="Why, in the words of whoever made the change (it may describe the pupils). "
        + HIDDEN
    )

    class Meta:
        model = StatusChange
        fields = ["from_status", "to_status", "changed_at", "changed_by", "reason"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_changed_by(self, change: StatusChange) -> str | None:
        if not self.context.get("show_people") or change.changed_by is None:
            return None
        return change.changed_by.full_name or change.changed_by.email

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reason(self, change: StatusChange) -> str | None:
        return None if self.context.get("hides_pupil_details") else change.reason


class NotificationSerializer(serializers.ModelSerializer):
    request = serializers.IntegerField(source="request_id", allow_null=True)
    session = serializers.IntegerField(source="session_id", allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "request", "session", "created_at", "read_at"]

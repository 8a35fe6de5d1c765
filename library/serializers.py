from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exchange.enums import EducationPhase
from exchange.models import Need, SupportRequest, Topic
from library.enums import EvidenceLevel, Visibility
from library.models import ProblemReport, Resource, ResourceFile
from scheduling.models import Session

MAX_BODY = 20_000
MAX_LINKS = 20
EVALUATED_NEEDS_OUTCOME = (
    "Evaluated in a school: link the outcome data (a support request, or `outcome_reference`)."
)


# --- input ---


@extend_schema_field(OpenApiTypes.INT)
class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key by id, checked against a queryset the view scopes to the caller."""


class LinkSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    url = serializers.URLField(max_length=500)

    def validate_url(self, value: str) -> str:
        if not value.lower().startswith(("https://", "http://")):
            raise serializers.ValidationError("Only http and https links.")
        return value


class ResourceInputSerializer(serializers.Serializer):
    """A resource's content. On update every field is optional; the evidence rules are
    checked against the stored values for the fields not sent."""

    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=600)
    body = serializers.CharField(max_length=MAX_BODY, allow_blank=True, required=False)
    links = LinkSerializer(many=True, required=False, max_length=MAX_LINKS)
    needs = serializers.SlugRelatedField(
        slug_field="code", queryset=Need.objects.all(), many=True, required=False
    )
    topics = serializers.SlugRelatedField(
        slug_field="slug", queryset=Topic.objects.filter(is_active=True), many=True, required=False
    )
    phases = serializers.ListField(
        child=serializers.ChoiceField(choices=EducationPhase.choices),
        required=False,
        max_length=4,
    )
    evidence_level = serializers.ChoiceField(choices=EvidenceLevel.choices)
    outcome_request = IdRelatedField(
        queryset=SupportRequest.objects.none(),  # the requests the caller sees: set by the view
        required=False,
        allow_null=True,
        help_text="Evaluated in a school: the support request whose outcome data it reports.",
    )
    outcome_reference = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text="Evaluated in a school: where the outcome data is (instead of a request).",
    )
    citation = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, help_text="Research-backed: required."
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    session = IdRelatedField(
        queryset=Session.objects.none(),  # the caller's own sessions as expert: set by the view
        required=False,
        allow_null=True,
        help_text="The session it came from: its participants see it before approval.",
    )

    def __init__(self, *args: Any, requests: Any = None, sessions: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["outcome_request"].queryset = requests  # type: ignore[attr-defined]
        self.fields["session"].queryset = sessions  # type: ignore[attr-defined]
        if self.instance is not None:  # the session link is set once, when writing
            self.fields.pop("session")

    def _current(self, attrs: dict, name: str) -> Any:
        if name in attrs:
            return attrs[name]
        if self.instance is not None:
            return getattr(self.instance, name)
        return None

    def validate(self, attrs: dict) -> dict:
        level = self._current(attrs, "evidence_level")
        if level == EvidenceLevel.EVALUATED_IN_SCHOOL and not (
            self._current(attrs, "outcome_request")
            or (self._current(attrs, "outcome_reference") or "").strip()
        ):
            raise serializers.ValidationError({"outcome_request": EVALUATED_NEEDS_OUTCOME})
        if level == EvidenceLevel.RESEARCH_BACKED and not (
            (self._current(attrs, "citation") or "").strip()
        ):
            raise serializers.ValidationError({"citation": "Research-backed: give the citation."})
        return attrs


class FromSessionInputSerializer(serializers.Serializer):
    session = serializers.IntegerField(min_value=1, help_text="A held session of yours.")
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=600)


class ApproveInputSerializer(serializers.Serializer):
    review_by = serializers.DateField(
        required=False, help_text="After this date it is flagged for review (default: a year)."
    )


class RejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ProblemReportInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ResolveInputSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=500, required=False, allow_blank=True)


class FileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), PNG or JPEG; the type "
        "is read from the content and must match the extension."
    )


# --- output ---


class ResourceFileSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ResourceFile
        fields = ["id", "name", "content_type", "size", "created_at", "download_url"]

    def get_download_url(self, obj: ResourceFile) -> str:
        return reverse(
            "resource-file-download", kwargs={"resource_pk": obj.resource_id, "pk": obj.pk}
        )


class _SchoolSerializer(serializers.Serializer):
    urn = serializers.IntegerField()
    name = serializers.CharField()


class ResourceListSerializer(serializers.ModelSerializer):
    """What a list shows: no body. Authors are named by their school, not as people."""

    needs = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    topics = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    phases = serializers.ListField(
        child=serializers.ChoiceField(choices=EducationPhase.choices), read_only=True
    )
    school = _SchoolSerializer(read_only=True, allow_null=True)
    is_mine = serializers.SerializerMethodField()
    helpful_count = serializers.IntegerField(read_only=True)
    marked_helpful = serializers.BooleanField(read_only=True)
    needs_review = serializers.BooleanField(
        read_only=True, help_text="Approved, and its review-by date has passed."
    )
    file_count = serializers.SerializerMethodField()

    class Meta:
        model = Resource
        fields = [
            "id",
            "title",
            "summary",
            "needs",
            "topics",
            "phases",
            "evidence_level",
            "visibility",
            "status",
            "school",
            "is_mine",
            "session",
            "helpful_count",
            "marked_helpful",
            "file_count",
            "review_by",
            "needs_review",
            "approved_at",
            "created_at",
            "updated_at",
        ]

    def get_is_mine(self, obj: Resource) -> bool:
        return obj.author_id == self.context["request"].user.pk

    def get_file_count(self, obj: Resource) -> int:
        return len(obj.files.all())  # prefetched


class ResourceSerializer(ResourceListSerializer):
    links = LinkSerializer(many=True, read_only=True)
    files = ResourceFileSerializer(many=True, read_only=True)
    body_html = serializers.CharField(
        read_only=True, help_text="The body rendered from Markdown and sanitised."
    )

    class Meta(ResourceListSerializer.Meta):
        fields = [
            *ResourceListSerializer.Meta.fields,
            "body",
            "body_html",
            "links",
            "files",
            "outcome_request",
            "outcome_reference",
            "citation",
            "submitted_at",
            "rejection_reason",
        ]


class HelpfulSerializer(serializers.Serializer):
    helpful_count = serializers.IntegerField()
    marked_helpful = serializers.BooleanField()


class ProblemReportSerializer(serializers.ModelSerializer):
    resource_title = serializers.CharField(source="resource.title", read_only=True)
    reported_by = serializers.SerializerMethodField()

    class Meta:
        model = ProblemReport
        fields = [
            "id",
            "resource",
            "resource_title",
            "reason",
            "reported_by",
            "created_at",
            "resolved_at",
            "resolution",
        ]

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_reported_by(self, obj: ProblemReport) -> str | None:
        return obj.reported_by.email if obj.reported_by else None

"""The library of guidance: resources written by experts (or admins), moderated by admins,
found by text and tags, marked helpful and reported by readers.

Foreign keys to lower apps are by name; the search document is a generated column
(``library/search.py``)."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q

from exchange.enums import EducationPhase
from library import search
from library.enums import EvidenceLevel, ResourceStatus, Visibility

# One boolean column per phase (as the expert profile does), so a phase filter is a plain
# indexed predicate on SQLite and PostgreSQL alike.
PHASE_FLAGS = {value: f"phase_{value}" for value in EducationPhase.values}


class Resource(models.Model):
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=600)
    body = models.TextField(blank=True, help_text="Markdown.")
    # The body as sanitised HTML, rendered on every write (library/markdown.py).
    body_html = models.TextField(blank=True, editable=False)
    links = models.JSONField(default=list, blank=True, help_text='[{"title", "url"}]')

    needs = models.ManyToManyField("exchange.Need", related_name="resources", blank=True)
    topics = models.ManyToManyField("exchange.Topic", related_name="resources", blank=True)
    phase_early_years = models.BooleanField(default=False)
    phase_primary = models.BooleanField(default=False)
    phase_secondary = models.BooleanField(default=False)
    phase_post_16 = models.BooleanField(default=False)

    evidence_level = models.CharField(max_length=24, choices=EvidenceLevel.choices)
    # Evaluated in a school: the outcome data, as a support request or a free reference.
    outcome_request = models.ForeignKey(
        "exchange.SupportRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome_reference = models.CharField(max_length=500, blank=True)
    # Research-backed: the citation.
    citation = models.CharField(max_length=1000, blank=True)

    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.EVERYONE
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The author's home school and its trust when it was written: "the trust" visibility
    # is that trust.
    school = models.ForeignKey(
        "accounts.School", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    trust = models.ForeignKey(
        "accounts.Trust", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The session it came from: its participants see it before approval.
    session = models.ForeignKey(
        "scheduling.Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resources",
    )

    status = models.CharField(
        max_length=12, choices=ResourceStatus.choices, default=ResourceStatus.DRAFT
    )
    status_changed_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_by = models.DateField(
        null=True, blank=True, help_text="After this date the resource needs review."
    )
    rejection_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    search_vector = models.GeneratedField(
        expression=search.document(), output_field=SearchVectorField(), db_persist=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "visibility"], name="library_resource_status"),
            models.Index(fields=["review_by"], name="library_resource_review_by"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(evidence_level=EvidenceLevel.EVALUATED_IN_SCHOOL)
                | Q(outcome_request__isnull=False)
                | ~Q(outcome_reference=""),
                name="library_evaluated_has_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(evidence_level=EvidenceLevel.RESEARCH_BACKED) | ~Q(citation=""),
                name="library_research_has_citation",
            ),
            models.CheckConstraint(
                condition=~Q(status=ResourceStatus.APPROVED)
                | Q(review_by__isnull=False, approved_at__isnull=False),
                name="library_approved_has_review_by",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def phases(self) -> list[str]:
        return [value for value, flag in PHASE_FLAGS.items() if getattr(self, flag)]


def resource_file_path(instance: "ResourceFile", filename: str) -> str:
    """A random name under ``library/``: the original name is kept only as metadata, so no
    client-chosen path or extension reaches the storage."""
    extension = PurePath(filename).suffix.lower()[:10]
    return f"library/{instance.resource_id}/{uuid.uuid4().hex}{extension}"


class ResourceFile(models.Model):
    """An attachment, stored through Django's storage API; its type was read from its
    content (library/uploads.py), never taken from the client."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=resource_file_path, max_length=300)
    name = models.CharField(max_length=200, help_text="The uploaded file's name, cleaned.")
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class HelpfulMark(models.Model):
    """A reader found a resource helpful: once each (the database enforces it)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="helpful_marks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "user"], name="library_helpful_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} found {self.resource_id} helpful"


class ProblemReport(models.Model):
    """A reader's report of a problem with a resource, for the admins."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="reports")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(resolved_at__isnull=True),
                name="library_report_open",
            ),
        ]

    def __str__(self) -> str:
        return f"Report #{self.pk} on {self.resource_id}"

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from config.errors import ApplicationError
from library import markdown, services
from library.enums import ResourceStatus
from library.models import ProblemReport, Resource, ResourceFile
from library.selectors import needs_review_condition
from matching.selectors import local_today


class NeedsReviewFilter(admin.SimpleListFilter):
    title = "needs review"
    parameter_name = "needs_review"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", "Past its review-by date")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(needs_review_condition(local_today()))
        return queryset


class ResourceFileInline(admin.TabularInline):
    model = ResourceFile
    extra = 0
    fields = ["name", "content_type", "size", "created_at"]
    readonly_fields = ["name", "content_type", "size", "created_at"]
    can_delete = False


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "evidence_level", "visibility", "school", "review_by"]
    list_filter = ["status", "evidence_level", "visibility", NeedsReviewFilter]
    search_fields = ["title", "summary"]
    raw_id_fields = ["author", "school", "trust", "session", "outcome_request", "approved_by"]
    readonly_fields = [
        "status",
        "status_changed_at",
        "submitted_at",
        "approved_at",
        "approved_by",
        "rejection_reason",
        "body_html",
        "created_at",
        "updated_at",
    ]
    inlines = [ResourceFileInline]
    actions = ["approve", "reject_as_outdated"]

    def save_model(self, request: HttpRequest, obj: Resource, form: Any, change: bool) -> None:
        # An admin's correction of the text is shown as the API shows every body.
        obj.body_html = markdown.render(obj.body)
        super().save_model(request, obj, form, change)

    @admin.action(description="Approve (review by in a year)")
    def approve(self, request: HttpRequest, queryset: QuerySet[Resource]) -> None:
        self._each(
            request,
            queryset,
            lambda r: services.resource_approve(resource=r, by=request.user),  # type: ignore[arg-type]
        )

    @admin.action(description="Reject: out of date")
    def reject_as_outdated(self, request: HttpRequest, queryset: QuerySet[Resource]) -> None:
        self._each(
            request,
            queryset,
            lambda r: services.resource_reject(
                resource=r,
                by=request.user,  # type: ignore[arg-type]
                reason="Out of date: please review and resubmit.",
            ),
        )

    def _each(self, request: HttpRequest, queryset: QuerySet[Resource], move) -> None:  # type: ignore[no-untyped-def]
        done = 0
        for resource in queryset.exclude(status=ResourceStatus.DRAFT):
            try:
                move(resource)
                done += 1
            except ApplicationError as error:
                self.message_user(request, f"{resource}: {error.message}", messages.WARNING)
        self.message_user(request, f"{done} resource(s) updated.")


@admin.register(ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    list_display = ["resource", "created_at", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter)]
    raw_id_fields = ["resource", "reported_by", "resolved_by"]
    readonly_fields = [
        "resource",
        "reported_by",
        "reason",
        "created_at",
        "resolved_at",
        "resolved_by",
    ]

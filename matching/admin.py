from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone

from accounts.admin import acting_admin
from exchange.constants import LONDON
from matching import selectors, services
from matching.models import MatchingPolicy, MatchingRun, Proposal, UnmatchedRequest


@admin.register(MatchingPolicy)
class MatchingPolicyAdmin(admin.ModelAdmin):
    """Saving a policy publishes a new version (the edited one stays as it was)."""

    list_display = [
        "version",
        "is_active",
        "objective",
        "proposals_per_request",
        "min_score",
        "created_at",
        "created_by",
    ]
    readonly_fields = ["version", "is_active", "created_at", "created_by"]
    actions = ["run_round"]

    def has_delete_permission(
        self, request: HttpRequest, obj: MatchingPolicy | None = None
    ) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: MatchingPolicy, form: ModelForm, change: bool
    ) -> None:
        values = {
            name: form.cleaned_data[name]
            for name in services.POLICY_FIELDS
            if name in form.cleaned_data
        }
        published = services.matching_policy_publish(by=acting_admin(request), **values)
        # The admin redirects to (and logs) the object it saved: point it at the new version.
        obj.pk, obj.version = published.pk, published.version

    @admin.action(description="Run a matching round now")
    def run_round(self, request: HttpRequest, queryset: QuerySet[MatchingPolicy]) -> None:
        """Queues the round for a worker, like ``POST /api/v1/matching-runs``: a national
        round is too long for a web request."""
        running = selectors.matching_round_running()
        if running is not None:
            self.message_user(
                request,
                f"Round #{running.pk} is already running (started "
                f"{timezone.localtime(running.started_at, LONDON):%H:%M}); "
                "try again when it has finished.",
                messages.WARNING,
            )
            return
        services.matching_round_request(by=acting_admin(request))
        self.message_user(
            request,
            "A matching round is queued; its figures appear under Matching runs when a "
            "worker has run it.",
            messages.SUCCESS,
        )


class UnmatchedInline(admin.TabularInline):
    model = UnmatchedRequest
    fields = ["request", "reason", "explanation"]
    readonly_fields = ["request", "reason", "explanation"]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MatchingRun)
class MatchingRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "started_at",
        "status",
        "trigger",
        "objective",
        "policy",
        "requests_considered",
        "matched_count",
        "unmatched_count",
        "duration_ms",
    ]
    list_filter = ["status", "trigger", "objective"]
    readonly_fields = [f.name for f in MatchingRun._meta.fields]
    inlines = [UnmatchedInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "request",
        "expert",
        "status",
        "score",
        "rank",
        "expires_at",
        "created_at",
    ]
    list_filter = ["status", "delivery_format"]
    search_fields = ["request__title", "expert__user__email"]
    list_select_related = ["request", "expert__user", "expert__school"]
    readonly_fields = [f.name for f in Proposal._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

"""Django admin for the knowledge app: feedback, reports, goals and reviews, read-only
(they are written through the API's services, which keep experts' track records true)."""

from django.contrib import admin
from django.http import HttpRequest

from knowledge.models import (
    Feedback,
    FeedbackReminder,
    Goal,
    GoalAttainment,
    OutcomeReview,
    ReviewReminder,
    SessionReport,
    StaffConfidence,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ["session", "side", "author", "useful", "practical", "would_recommend"]
    list_filter = ["side"]
    list_select_related = ["session", "author"]
    search_fields = ["comments", "author__email"]


@admin.register(SessionReport)
class SessionReportAdmin(ReadOnlyAdmin):
    list_display = ["session", "author", "created_at"]
    list_select_related = ["session", "author"]
    search_fields = ["covered", "next_steps"]


@admin.register(Goal)
class GoalAdmin(ReadOnlyAdmin):
    list_display = ["request", "position", "description", "baseline", "weight"]
    list_select_related = ["request"]
    search_fields = ["description", "request__title"]


class GoalAttainmentInline(admin.TabularInline):
    model = GoalAttainment
    extra = 0
    can_delete = False
    readonly_fields = fields = ("goal", "attainment")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutcomeReview)
class OutcomeReviewAdmin(ReadOnlyAdmin):
    list_display = ["request", "status", "t_score", "confidence_before", "confidence_after"]
    list_filter = ["status", "practice_changed", "more_support_needed"]
    list_select_related = ["request"]
    inlines = [GoalAttainmentInline]


@admin.register(StaffConfidence)
class StaffConfidenceAdmin(ReadOnlyAdmin):
    list_display = ["request", "user", "rating", "rated_at"]
    list_select_related = ["request", "user"]


@admin.register(FeedbackReminder)
class FeedbackReminderAdmin(ReadOnlyAdmin):
    list_display = ["session", "user", "stage", "sent_at"]
    list_select_related = ["session", "user"]


@admin.register(ReviewReminder)
class ReviewReminderAdmin(ReadOnlyAdmin):
    list_display = ["request", "due_on", "sent_at"]
    list_select_related = ["request"]

"""Django admin for scheduling: sessions with their history and reminders (read-only:
sessions change through the API's services)."""

from django.contrib import admin
from django.http import HttpRequest

from scheduling.models import Reminder, Session, SessionChange


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class SessionChangeInline(ReadOnlyInline):
    model = SessionChange
    readonly_fields = fields = (
        "kind",
        "changed_at",
        "changed_by",
        "reason",
        "is_late",
        "previous_starts_at",
    )


class ReminderInline(ReadOnlyInline):
    model = Reminder
    readonly_fields = fields = ("kind", "due_at", "sent_at")


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "request", "expert", "starts_at", "status", "format"]
    # starts_at: the admin dashboard's "sessions this week" links to a range of it.
    list_filter = ["status", "format", "starts_at"]
    search_fields = ["request__title", "request__school__name", "expert__user__email"]
    date_hierarchy = "starts_at"
    list_select_related = ["request", "expert__user"]
    inlines = [SessionChangeInline, ReminderInline]
    readonly_fields = [f.name for f in Session._meta.concrete_fields] + ["attendees"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

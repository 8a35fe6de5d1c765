"""Django admin for scheduling: term calendars and closures (editable), sessions with
their history and reminders (read-only: sessions change through the API's services)."""

from django.contrib import admin
from django.http import HttpRequest

from exchange.scheduling.models import (
    Closure,
    Notification,
    Reminder,
    Session,
    SessionChange,
    TermCalendar,
)


class ClosureInline(admin.TabularInline):
    model = Closure
    fk_name = "calendar"
    fields = ["kind", "name", "start_date", "end_date"]
    extra = 1


@admin.register(TermCalendar)
class TermCalendarAdmin(admin.ModelAdmin):
    """An LA's or a trust's holidays and INSET days; the default serves everyone else."""

    list_display = ["name", "local_authority", "trust", "is_default"]
    list_filter = ["is_default"]
    search_fields = ["name", "local_authority__name", "trust__name"]
    autocomplete_fields = ["local_authority", "trust"]
    inlines = [ClosureInline]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    """Closures of one school (its own INSET days) override its calendar; calendars' own
    closures are edited on the calendar."""

    list_display = ["__str__", "kind", "calendar", "school", "start_date", "end_date"]
    list_filter = ["kind", "calendar"]
    search_fields = ["name", "school__name", "school__urn"]
    autocomplete_fields = ["school"]
    date_hierarchy = "start_date"


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
    list_filter = ["status", "format"]
    search_fields = ["request__title", "request__school__name", "expert__user__email"]
    date_hierarchy = "starts_at"
    list_select_related = ["request", "expert__user"]
    inlines = [SessionChangeInline, ReminderInline]
    readonly_fields = [f.name for f in Session._meta.concrete_fields] + ["attendees"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "kind", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["user__email", "title"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in Notification._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

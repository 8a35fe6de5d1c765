from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.admin import acting_admin
from exchange import services
from exchange.enums import VerificationStatus
from exchange.models import (
    AvailabilityException,
    AvailabilityWindow,
    Closure,
    Credential,
    ExpertProfile,
    Need,
    Notification,
    PreferredWindow,
    Specialism,
    StatusChange,
    SupportRequest,
    TermCalendar,
    Topic,
)

# --- taxonomy --------------------------------------------------------------------------------


@admin.register(Need)
class NeedAdmin(admin.ModelAdmin):
    """DfE codes: loaded by a migration, names editable, never added or removed here."""

    list_display = ["code", "name", "broad_area", "position"]
    list_filter = ["broad_area"]
    search_fields = ["code", "name"]
    readonly_fields = ["code"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Need | None = None) -> bool:
        return False


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}


# --- experts ---------------------------------------------------------------------------------


class SafeguardingFilter(admin.SimpleListFilter):
    title = "safeguarding confirmation"
    parameter_name = "safeguarding"
    SOON = timedelta(days=30)

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [
            ("missing", "Not confirmed"),
            ("expired", "Expired"),
            ("expiring", "Expires within 30 days"),
            ("current", "Current"),
        ]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        today = timezone.localdate()
        if self.value() == "missing":
            return queryset.filter(safeguarding_expires_on__isnull=True)
        if self.value() == "expired":
            return queryset.filter(safeguarding_expires_on__lt=today)
        if self.value() == "expiring":
            return queryset.filter(safeguarding_expires_on__range=(today, today + self.SOON))
        if self.value() == "current":
            return queryset.filter(safeguarding_expires_on__gte=today)
        return queryset


class SpecialismInline(admin.TabularInline):
    model = Specialism
    extra = 0
    autocomplete_fields = ["need", "topic"]


class CredentialInline(admin.TabularInline):
    model = Credential
    extra = 0
    fields = ["kind", "title", "awarded_on", "status", "verified_by", "verified_at"]
    # Verification goes through the actions, which record who verified and when.
    readonly_fields = ["status", "verified_by", "verified_at"]


class AvailabilityWindowInline(admin.TabularInline):
    model = AvailabilityWindow
    extra = 0


class AvailabilityExceptionInline(admin.TabularInline):
    model = AvailabilityException
    extra = 0


@admin.register(ExpertProfile)
class ExpertProfileAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "school",
        "is_verified",
        "is_suspended",
        "is_paused",
        "sessions_per_month",
        "safeguarding_expires_on",
    ]
    list_filter = [
        "is_verified",
        "is_suspended",
        "is_paused",
        SafeguardingFilter,
        "school__region",
        "specialisms__need",
    ]
    search_fields = ["user__email", "user__full_name", "school__name", "=school__urn"]
    list_select_related = ["user", "school"]
    autocomplete_fields = ["user", "school"]
    readonly_fields = [
        "is_verified",
        "verified_at",
        "safeguarding_confirmed_by",
        "safeguarding_confirmed_at",
        "created_at",
        "updated_at",
    ]
    inlines = [
        SpecialismInline,
        CredentialInline,
        AvailabilityWindowInline,
        AvailabilityExceptionInline,
    ]
    actions = ["verify", "verify_credentials", "suspend", "unsuspend"]

    @admin.action(description="Verify the selected experts")
    def verify(self, request: HttpRequest, queryset: QuerySet[ExpertProfile]) -> None:
        for expert in queryset:
            services.expert_verify(expert=expert)
        self.message_user(request, f"Verified {queryset.count()} expert(s).", messages.SUCCESS)

    @admin.action(description="Verify the pending credentials of the selected experts")
    def verify_credentials(self, request: HttpRequest, queryset: QuerySet[ExpertProfile]) -> None:
        services.credentials_set_status(
            credentials=Credential.objects.filter(
                expert__in=queryset, status=VerificationStatus.PENDING
            ),
            status=VerificationStatus.VERIFIED,
            by=acting_admin(request),
        )
        self.message_user(request, "Pending credentials verified.", messages.SUCCESS)

    @admin.action(description="Suspend the selected experts")
    def suspend(self, request: HttpRequest, queryset: QuerySet[ExpertProfile]) -> None:
        for expert in queryset:
            services.expert_suspend(expert=expert, reason=f"Suspended by {request.user}")
        self.message_user(request, f"Suspended {queryset.count()} expert(s).", messages.WARNING)

    @admin.action(description="Lift the suspension of the selected experts")
    def unsuspend(self, request: HttpRequest, queryset: QuerySet[ExpertProfile]) -> None:
        for expert in queryset:
            services.expert_unsuspend(expert=expert)
        self.message_user(request, f"Reinstated {queryset.count()} expert(s).", messages.SUCCESS)


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    list_display = ["expert", "kind", "title", "status", "verified_by", "verified_at"]
    list_filter = ["status", "kind"]
    search_fields = ["expert__user__email", "title"]
    list_select_related = ["expert__user", "expert__school", "verified_by"]
    readonly_fields = ["verified_by", "verified_at"]
    autocomplete_fields = ["expert"]
    actions = ["mark_verified", "mark_rejected"]

    @admin.action(description="Mark the selected credentials verified")
    def mark_verified(self, request: HttpRequest, queryset: QuerySet[Credential]) -> None:
        services.credentials_set_status(
            credentials=queryset, status=VerificationStatus.VERIFIED, by=acting_admin(request)
        )

    @admin.action(description="Mark the selected credentials rejected")
    def mark_rejected(self, request: HttpRequest, queryset: QuerySet[Credential]) -> None:
        services.credentials_set_status(
            credentials=queryset, status=VerificationStatus.REJECTED, by=acting_admin(request)
        )


# --- support requests ------------------------------------------------------------------------


class PreferredWindowInline(admin.TabularInline):
    model = PreferredWindow
    extra = 0


class StatusChangeInline(admin.TabularInline):
    """The audit trail: read-only, never edited or deleted by hand."""

    model = StatusChange
    extra = 0
    fields = readonly_fields = ("changed_at", "from_status", "to_status", "changed_by", "reason")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "school", "status", "primary_need", "urgency", "created_at"]
    list_filter = [
        "status",
        "urgency",
        "primary_need",
        "needs",
        "school__local_authority",
        "school__region",
        "scope",
    ]
    search_fields = ["title", "school__name", "=school__urn"]
    date_hierarchy = "created_at"
    list_select_related = ["school", "primary_need"]
    autocomplete_fields = ["school", "created_by"]
    filter_horizontal = ["needs", "topics"]
    # Status moves only through the lifecycle service, which records the history.
    readonly_fields = ["status", "status_changed_at", "submitted_at", "created_at", "updated_at"]
    inlines = [PreferredWindowInline, StatusChangeInline]


# --- term calendars and notifications --------------------------------------------------------


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


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "kind", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["user__email", "title"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in Notification._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

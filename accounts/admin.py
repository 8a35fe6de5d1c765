from typing import cast

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from accounts.models import LocalAuthority, Membership, School, SchoolNeedProvision, Trust, User


def acting_admin(request: HttpRequest) -> User:
    """Admin views run only for signed-in staff: narrows ``request.user`` for the services
    every app's admin actions call."""
    return cast(User, request.user)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["school", "trust", "local_authority", "user"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "memberships__role"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    inlines = [MembershipInline]


@admin.register(LocalAuthority)
class LocalAuthorityAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Trust)
class TrustAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "school_count"]
    search_fields = ["code", "name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Trust]:
        return super().get_queryset(request).annotate(school_count=Count("schools"))

    @admin.display(ordering="school_count", description="Schools")
    def school_count(self, trust: Trust) -> int:
        return trust.school_count  # type: ignore[attr-defined]


class NeedProvisionInline(admin.TabularInline):
    model = SchoolNeedProvision
    extra = 0


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = [
        "urn",
        "name",
        "kind",
        "phase",
        "local_authority",
        "region",
        "trust",
        "is_active",
    ]
    list_filter = ["kind", "phase", "region", "is_active", "local_authority"]
    search_fields = ["=urn", "name", "postcode", "town"]
    list_select_related = ["local_authority", "trust"]
    autocomplete_fields = ["trust", "local_authority"]
    inlines = [NeedProvisionInline]
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: School | None = None) -> list[str]:
        # The URN is the school's identity: set once, never edited.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "urn"] if obj else fields


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "school", "trust", "local_authority", "created_at"]
    list_filter = ["role"]
    search_fields = [
        "user__email",
        "school__name",
        "=school__urn",
        "trust__name",
        "local_authority__name",
        "=local_authority__code",
    ]
    list_select_related = ["user", "school", "trust", "local_authority"]
    autocomplete_fields = ["user", "school", "trust", "local_authority"]

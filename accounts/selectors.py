"""Reads scoped to the caller. Every API queryset starts here; who sees what is
``accounts.access``."""

from django.db.models import Count, Prefetch, QuerySet

from accounts.access import caller_scope, school_visibility
from accounts.models import Membership, School, Trust, User


def memberships_of(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related(
        "school__local_authority", "trust", "local_authority"
    )


def schools_visible_to(*, user: User) -> QuerySet[School]:
    """The school directory, each school carrying the caller's own memberships there
    (``caller_memberships``)."""
    return (
        School.objects.filter(school_visibility(caller_scope(user=user)))
        .select_related("local_authority", "trust")
        .prefetch_related(
            "sen_provisions",
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(user_id=user.pk),
                to_attr="caller_memberships",
            ),
        )
    )


def trusts_visible_to(*, user: User) -> QuerySet[Trust]:
    """Trusts are public (GIAS); ``school_count`` counts the schools the caller can see."""
    visible = school_visibility(caller_scope(user=user), "schools__")
    return Trust.objects.annotate(school_count=Count("schools", filter=visible))

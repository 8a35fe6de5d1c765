"""Reads scoped to the caller. Every API queryset starts here."""

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Membership, School, Trust, User


def memberships_of(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("school__local_authority", "trust")


def _visible_schools_condition(user: User, prefix: str = "") -> Q:
    """GIAS data is public, so every signed-in user sees open schools. Closed schools are
    kept for history; only platform admins and the school's own members see them."""
    if user.is_staff:
        return Q()
    own = Membership.objects.filter(user_id=user.pk, school__isnull=False).values("school_id")
    return Q(**{f"{prefix}is_active": True}) | Q(**{f"{prefix}urn__in": own})


def schools_visible_to(*, user: User) -> QuerySet[School]:
    """The school directory, each school carrying the caller's own memberships there
    (``caller_memberships``)."""
    return (
        School.objects.filter(_visible_schools_condition(user))
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
    return Trust.objects.annotate(
        school_count=Count("schools", filter=_visible_schools_condition(user, "schools__"))
    )


class CallerScope:
    """What a user's memberships open up: school URNs by role, and coordinated trusts."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.is_admin = bool(user.is_staff)
        self.schools_by_role: dict[str, set[int]] = {}
        self.trust_ids: set[int] = set()
        if not user.is_authenticated:
            return
        for role, school_id, trust_id in Membership.objects.filter(user_id=user.pk).values_list(
            "role", "school_id", "trust_id"
        ):
            if trust_id is not None:
                self.trust_ids.add(trust_id)
            else:
                self.schools_by_role.setdefault(role, set()).add(school_id)

    def schools(self, *roles: str) -> set[int]:
        return set().union(*(self.schools_by_role.get(role, set()) for role in roles))


def caller_scope(*, user: User) -> CallerScope:
    """The caller's memberships, read fresh (one query) so a change applies at once."""
    return CallerScope(user)

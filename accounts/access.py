"""Who the caller is, and which schools they may see.

Every access rule of the apps above is a function of the caller's ``CallerScope``: the
schools they belong to, by role, the trusts they coordinate and the local authorities
they are an officer of. Platform admins (``is_staff``) see and may do everything.

- Schools: every signed-in user sees open schools (GIAS data is public); closed schools,
  kept for history, only platform admins and the school's own members.
- Trusts: public (GIAS); a trust's ``school_count`` counts only the schools above.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Q

from accounts.models import Membership, User


@dataclass(frozen=True)
class _Memberships:
    schools_by_role: dict[str, set[int]] = field(default_factory=dict)
    trust_ids: set[int] = field(default_factory=set)
    local_authority_ids: set[int] = field(default_factory=set)


class CallerScope:
    """What a user's memberships open up: school URNs by role, coordinated trusts, and the
    local authorities they are an officer of.

    The memberships are read (one query) the first time a rule needs them, so checks that
    are settled by the user alone (admin, owner) cost none."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.is_admin = bool(user.is_staff)

    @classmethod
    def of(
        cls,
        *,
        user_id: int,
        schools_by_role: dict[str, set[int]],
        trust_ids: set[int] = frozenset(),  # type: ignore[assignment]
        local_authority_ids: set[int] = frozenset(),  # type: ignore[assignment]
    ) -> "CallerScope":
        """A non-admin scope with these memberships, read from nowhere: for building a query
        of a scope's shape with stand-in values (``config.compiled``)."""
        scope = cls(User(pk=user_id, is_staff=False))
        scope.__dict__["_memberships"] = _Memberships(
            schools_by_role=schools_by_role,
            trust_ids=set(trust_ids),
            local_authority_ids=set(local_authority_ids),
        )
        return scope

    @cached_property
    def _memberships(self) -> _Memberships:
        memberships = _Memberships()
        if not self.user.is_authenticated:
            return memberships
        for role, school_id, trust_id, local_authority_id in Membership.objects.filter(
            user_id=self.user.pk
        ).values_list("role", "school_id", "trust_id", "local_authority_id"):
            if trust_id is not None:
                memberships.trust_ids.add(trust_id)
            elif local_authority_id is not None:
                memberships.local_authority_ids.add(local_authority_id)
            else:
                memberships.schools_by_role.setdefault(role, set()).add(school_id)
        return memberships

    @property
    def trust_ids(self) -> set[int]:
        """The trusts the user coordinates."""
        return self._memberships.trust_ids

    @property
    def local_authority_ids(self) -> set[int]:
        """The local authorities (``LocalAuthority`` pks) the user is an officer of."""
        return self._memberships.local_authority_ids

    def schools(self, *roles: str) -> set[int]:
        """The URNs of the schools where the user holds any of ``roles``."""
        schools_by_role = self._memberships.schools_by_role
        return set().union(*(schools_by_role.get(role, set()) for role in roles))


def caller_scope(*, user: User) -> CallerScope:
    """The caller's memberships, read fresh (once per scope) so a change applies at once."""
    return CallerScope(user)


def school_visibility(scope: CallerScope, prefix: str = "") -> Q:
    """The schools the caller sees: open ones, and closed ones they are a member of (all
    for admins). ``prefix`` applies the rule across a relation (``"schools__"``)."""
    if scope.is_admin:
        return Q()
    # A subquery, not the scope's sets: the directory's lists stay at a fixed query count.
    own = Membership.objects.filter(user_id=scope.user.pk, school__isnull=False).values("school_id")
    return Q(**{f"{prefix}is_active": True}) | Q(**{f"{prefix}urn__in": own})

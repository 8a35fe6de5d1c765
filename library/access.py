"""Who may see and do what in the library of guidance.

A resource's **participants** are its author and, when it came from a session, that
session's two sides (the requesting school's staff and SENCOs, and the expert). They see
it whatever its status. Nobody else sees it until an admin approves it; then its
visibility decides:

- ``participants``: still only the participants;
- ``trust``: also the members of the schools of the author's trust, and its coordinators;
- ``everyone``: every signed-in user.

- write a resource: experts (a membership with the expert role) and admins.
- edit it, attach files, submit it for review: its author (and admins), before approval.
- turn a session into a draft, or name it as a resource's source: the session's expert (and
  admins).
- approve, reject, see the review list and the problem reports: admins.
- mark helpful, report a problem: whoever sees it (an author not their own).
"""

from django.db.models import Q

from accounts.access import CallerScope
from accounts.enums import Role
from accounts.models import Membership
from exchange.access import schools_acted_for
from library.enums import ResourceStatus, Visibility
from library.models import Resource
from scheduling.models import Session


def participants(scope: CallerScope, prefix: str = "") -> Q:
    """The resources the caller takes part in: as author or a side of its session."""
    return (
        Q(**{f"{prefix}author_id": scope.user.pk})
        | Q(**{f"{prefix}session__expert__user_id": scope.user.pk})
        | Q(**{f"{prefix}session__request__school_id__in": schools_acted_for(scope)})
    )


def resource_visibility(scope: CallerScope) -> Q:
    """The resources the caller sees."""
    if scope.is_admin:
        return Q()
    # A subquery, not the scope's sets: the list stays at a fixed query count.
    member_trusts = Membership.objects.filter(
        user_id=scope.user.pk, school__trust__isnull=False
    ).values("school__trust_id")
    in_trust = Q(trust_id__in=member_trusts) | Q(trust_id__in=scope.trust_ids)
    approved = Q(status=ResourceStatus.APPROVED)
    return participants(scope) | (
        approved & (Q(visibility=Visibility.EVERYONE) | (Q(visibility=Visibility.TRUST) & in_trust))
    )


def can_author(scope: CallerScope) -> bool:
    """Experts and admins write resources."""
    return scope.is_admin or bool(scope.schools(Role.EXPERT))


def can_edit(scope: CallerScope, resource: Resource) -> bool:
    """The author (and admins) edit, attach files and submit."""
    return scope.is_admin or resource.author_id == scope.user.pk


def can_draft_from_session(scope: CallerScope, session: Session) -> bool:
    """The session's expert (and admins) turn its notes into a draft."""
    return scope.is_admin or session.expert.user_id == scope.user.pk


def linkable_sessions(scope: CallerScope) -> Q:
    """The sessions a resource may name as its source: the caller's own, as their expert
    (any, for admins)."""
    return Q() if scope.is_admin else Q(expert__user_id=scope.user.pk)


def can_moderate(scope: CallerScope) -> bool:
    return scope.is_admin


def can_mark_helpful(scope: CallerScope, resource: Resource) -> bool:
    """A reader, not the author, marks a resource helpful."""
    return resource.author_id != scope.user.pk

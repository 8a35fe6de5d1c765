"""Who may see and do what in the exchange: expert profiles, support requests, notifications.

The ``…_visibility`` conditions scope the selectors' querysets: what they leave out is 404.
The predicates run on objects the caller can already see, so a refusal is a 403. Platform
admins see and may do everything, except raise requests or register expert profiles (those
need a membership).

Experts
- see: verified, unsuspended experts, every signed-in user; a profile, its expert; a school's
  experts, its SENCO (the employer, who confirms safeguarding).
- change the profile, its availability and credentials: the expert.
- confirm safeguarding: the SENCO of the expert's home school.
- personal details (name, email, safeguarding dates): whoever may change or confirm.
- register a profile: at a school where the user holds the expert role.

Support requests
- see: the school's staff and SENCOs (the school's side); its trust's coordinators (read
  only); its local authority's officers (read only, without the pupil free text unless the
  school shares it: ``hides_pupil_details``); an expert only while something ties them to
  it: a proposal still open or accepted, or a session (offered, confirmed or held). Once
  their proposal is declined, expired or withdrawn and no session remains, the request is
  404 to them (``docs/privacy.md``).
- raise: the school's side, for its school.
- edit or delete a draft: the school's side; it also shares the details with its local
  authority, or stops, at any status.
- submit, cancel, close: the school's SENCO.
- see who moved it (``changed_by``): the school's side.

Notifications: their own user only.
"""

from typing import Any

from django.db.models import Q, QuerySet

from accounts.access import CallerScope
from accounts.enums import Role
from exchange.models import ExpertProfile, SupportRequest

SCHOOL_REQUEST_ROLES = (Role.SCHOOL_STAFF, Role.SENCO)

# The statuses of the layers above that tie an expert to a request, by value: the exchange
# names matching's proposals and scheduling's sessions only through their reverse relations
# (a test checks these against ``matching.enums.LIVE_PROPOSAL_STATUSES`` and
# ``scheduling.enums.SessionStatus``).
TYING_PROPOSAL_STATUSES = ("proposed", "accepted")
TYING_SESSION_STATUSES = ("offered", "confirmed", "completed", "no_show")


# --- experts -----------------------------------------------------------------------------------


def expert_visibility(scope: CallerScope) -> Q:
    """The expert profiles the caller sees."""
    if scope.is_admin:
        return Q()
    return (
        Q(is_verified=True, is_suspended=False)
        | Q(user_id=scope.user.pk)
        | Q(school_id__in=scope.schools(Role.SENCO))
    )


def can_edit_expert(scope: CallerScope, expert: ExpertProfile) -> bool:
    """The expert (and admins) change the profile, its availability and credentials."""
    return expert.user_id == scope.user.pk or scope.is_admin


def can_confirm_safeguarding(scope: CallerScope, expert: ExpertProfile) -> bool:
    """The employer confirms: the SENCO of the expert's home school, or an admin."""
    return scope.is_admin or expert.school_id in scope.schools(Role.SENCO)


def sees_expert_personal_details(scope: CallerScope, expert: ExpertProfile) -> bool:
    """The expert, their employer's SENCO and admins."""
    return can_edit_expert(scope, expert) or can_confirm_safeguarding(scope, expert)


def expert_home_schools(scope: CallerScope) -> set[int]:
    """The schools where the caller may register an expert profile: where they hold the
    expert role."""
    return scope.schools(Role.EXPERT)


# --- support requests --------------------------------------------------------------------------


def schools_acted_for(scope: CallerScope) -> set[int]:
    """The schools whose requests the caller acts for (the school's side): where they are
    staff or SENCO."""
    return scope.schools(*SCHOOL_REQUEST_ROLES)


def _school_side(scope: CallerScope, prefix: str) -> Q:
    return Q(**{f"{prefix}school_id__in": schools_acted_for(scope)})


def _trusts(scope: CallerScope, prefix: str) -> Q:
    return Q(**{f"{prefix}school__trust_id__in": scope.trust_ids})


def _local_authorities(scope: CallerScope, prefix: str) -> Q:
    return Q(**{f"{prefix}school__local_authority_id__in": scope.local_authority_ids})


def request_readers(scope: CallerScope, prefix: str = "") -> Q:
    """Requests the caller reads in full through a membership: their schools' (the school's
    side) and their coordinated trusts' schools'. ``prefix`` applies it across a relation
    (``"request__"``), for what hangs off a request and carries its text (proposals,
    outcome reviews)."""
    return _school_side(scope, prefix) | _trusts(scope, prefix)


def request_overseers(scope: CallerScope, prefix: str = "") -> Q:
    """``request_readers`` and the requests of the caller's local authorities' schools,
    which an officer reads without the pupil free text (``hides_pupil_details``): for what
    shows no such text (sessions)."""
    return request_readers(scope, prefix) | _local_authorities(scope, prefix)


def request_visibility(scope: CallerScope) -> Q:
    """The support requests the caller sees: through a membership (``request_overseers``),
    or as an expert tied to it by an open or accepted proposal or by a session that is not
    cancelled."""
    if scope.is_admin:
        return Q()
    # One id subquery, a UNION of indexed arms: an OR of the arms, with the proposals and
    # sessions as correlated EXISTS, scans every request instead. The membership arms are
    # the ones ``request_overseers`` ORs together.
    # An arm over no school, trust or authority selects nothing: left out, not compiled.
    members = [
        SupportRequest.objects.filter(arm(scope, ""))
        for arm, ids in (
            (_school_side, schools_acted_for(scope)),
            (_trusts, scope.trust_ids),
            (_local_authorities, scope.local_authority_ids),
        )
        if ids
    ]
    # Matching's proposals and scheduling's sessions, read through their reverse relations:
    # those apps build on the exchange, so the exchange names their tables only by relation.
    # Each condition is one filter() call, so status and expert are of the same row.
    proposed_to_caller = SupportRequest.objects.filter(
        proposals__expert__user_id=scope.user.pk,
        proposals__status__in=TYING_PROPOSAL_STATUSES,
    )
    in_session_with_caller = SupportRequest.objects.filter(
        sessions__expert__user_id=scope.user.pk,
        sessions__status__in=TYING_SESSION_STATUSES,
    )
    arms = [
        arm.order_by().values("pk")
        for arm in (*members, proposed_to_caller, in_session_with_caller)
    ]
    return Q(pk__in=arms[0].union(*arms[1:]))


def request_scope_parameters(scope: CallerScope) -> dict[str, int | tuple[int, ...]]:
    """What of the caller ``request_visibility`` reads, as a compiled query's parameters
    (``config.compiled``); none for an admin, who sees every request."""
    if scope.is_admin:
        return {}
    return {
        "user": scope.user.pk,
        "schools": tuple(sorted(schools_acted_for(scope))),
        "trusts": tuple(sorted(scope.trust_ids)),
        "local_authorities": tuple(sorted(scope.local_authority_ids)),
    }


def visible_requests(**parameters: Any) -> QuerySet[SupportRequest]:
    """The requests a caller sees, from ``request_scope_parameters`` (or its markers)."""
    if "user" not in parameters:
        return SupportRequest.objects.all()
    scope = CallerScope.of(
        user_id=parameters["user"],
        schools_by_role={Role.SENCO: set(parameters["schools"])},
        trust_ids=set(parameters["trusts"]),
        local_authority_ids=set(parameters["local_authorities"]),
    )
    return SupportRequest.objects.filter(request_visibility(scope))


# The pupil free text of a request: what a local-authority officer reads only when shared.
PUPIL_DETAIL_FIELDS = ("context", "tried_so_far", "desired_outcome")


def hides_pupil_details(
    scope: CallerScope,
    *,
    school_id: int,
    trust_id: int | None,
    local_authority_id: int,
    shared: bool,
) -> bool:
    """Whether the caller reads a request (of this school, trust and local authority)
    without its pupil free text: they read it only as an officer of its local authority,
    not as its school's side or its trust's coordinator, and the school does not share it
    (``shares_details_with_local_authority``). Such a caller who is also an expert tied to
    the request still gets it without: one rule per row, with no query."""
    return (
        not shared
        and not scope.is_admin
        and local_authority_id in scope.local_authority_ids
        and school_id not in schools_acted_for(scope)
        and trust_id not in scope.trust_ids
    )


def request_hides_pupil_details(scope: CallerScope, support_request: SupportRequest) -> bool:
    """``hides_pupil_details`` for a request instance (its school loaded)."""
    return hides_pupil_details(
        scope,
        school_id=support_request.school_id,
        trust_id=support_request.school.trust_id,
        local_authority_id=support_request.school.local_authority_id,
        shared=support_request.shares_details_with_local_authority,
    )


def acts_for_school(scope: CallerScope, school_id: int) -> bool:
    """The school's side: its staff and SENCOs, and admins."""
    return scope.is_admin or school_id in schools_acted_for(scope)


def can_edit_request(scope: CallerScope, support_request: SupportRequest) -> bool:
    """Editing and deleting a draft belong to the school's side."""
    return acts_for_school(scope, support_request.school_id)


def can_move_request(scope: CallerScope, support_request: SupportRequest) -> bool:
    """Submitting, cancelling and closing belong to the school's SENCO."""
    return scope.is_admin or support_request.school_id in scope.schools(Role.SENCO)


def sees_school_people(scope: CallerScope, support_request: SupportRequest) -> bool:
    """Staff names are shown only to the request's own school and admins."""
    return acts_for_school(scope, support_request.school_id)


# --- notifications -----------------------------------------------------------------------------


def notification_visibility(scope: CallerScope) -> Q:
    """Everyone sees only their own notifications (admins too)."""
    return Q(user_id=scope.user.pk)

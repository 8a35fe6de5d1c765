"""Reads scoped to the caller. Every exchange queryset the API serves starts here."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.enums import Role, SchoolKind
from accounts.models import School, User
from accounts.selectors import caller_scope
from exchange.models import (
    AvailabilityException,
    AvailabilityWindow,
    Credential,
    ExpertProfile,
    Need,
    Specialism,
    StatusChange,
    SupportRequest,
    Topic,
)

SCHOOL_REQUEST_ROLES = (Role.SCHOOL_STAFF, Role.SENCO)
REQUESTING_SCHOOL_KINDS = (SchoolKind.MAINSTREAM, SchoolKind.MAINSTREAM_RESOURCED)


def needs_list() -> QuerySet[Need]:
    return Need.objects.all()


def topics_list(*, include_inactive: bool = False) -> QuerySet[Topic]:
    return Topic.objects.all() if include_inactive else Topic.objects.filter(is_active=True)


def experts_visible_to(*, user: User) -> QuerySet[ExpertProfile]:
    """Verified, unsuspended experts form the directory every signed-in user may browse.

    An expert always sees their own profile; the SENCO of an expert's home school (the
    employer, who confirms safeguarding) sees the school's experts; admins see all.
    """
    experts = ExpertProfile.objects.select_related(
        "user", "school__local_authority", "school__trust"
    ).prefetch_related(
        Prefetch("specialisms", queryset=Specialism.objects.select_related("need", "topic")),
        Prefetch("credentials", queryset=Credential.objects.all()),
    )
    scope = caller_scope(user=user)
    if scope.is_admin:
        return experts
    return experts.filter(
        Q(is_verified=True, is_suspended=False)
        | Q(user_id=user.pk)
        | Q(school_id__in=scope.schools(Role.SENCO))
    )


def expert_of(*, user: User) -> ExpertProfile | None:
    return experts_visible_to(user=user).filter(user_id=user.pk).first()


def availability_windows_of(*, expert: ExpertProfile) -> QuerySet[AvailabilityWindow]:
    return AvailabilityWindow.objects.filter(expert=expert)


def availability_exceptions_of(*, expert: ExpertProfile) -> QuerySet[AvailabilityException]:
    return AvailabilityException.objects.filter(expert=expert)


def credentials_of(*, expert: ExpertProfile) -> QuerySet[Credential]:
    return Credential.objects.filter(expert=expert)


def support_requests_visible_to(*, user: User) -> QuerySet[SupportRequest]:
    """Staff and SENCOs see their schools' requests; trust coordinators read their trusts'
    schools' requests; experts the requests proposed to them; admins see all."""
    # Imported here: matching builds on the exchange, not the other way round.
    from matching.models import Proposal

    requests = SupportRequest.objects.select_related(
        "school__local_authority", "school__trust", "primary_need"
    ).prefetch_related("needs", "topics", "preferred_windows")
    scope = caller_scope(user=user)
    if scope.is_admin:
        return requests
    return requests.filter(
        Q(school_id__in=scope.schools(*SCHOOL_REQUEST_ROLES))
        | Q(school__trust_id__in=scope.trust_ids)
        | Exists(Proposal.objects.filter(request_id=OuterRef("pk"), expert__user_id=user.pk))
    )


def status_history_of(*, support_request: SupportRequest) -> QuerySet[StatusChange]:
    return StatusChange.objects.filter(request=support_request).select_related("changed_by")


def schools_for_requests(*, user: User) -> QuerySet[School]:
    """Mainstream schools (with or without a resourced provision) where the user is staff or
    SENCO: the schools that may raise support requests. Platform admins raise none."""
    return School.objects.filter(
        urn__in=caller_scope(user=user).schools(*SCHOOL_REQUEST_ROLES),
        kind__in=REQUESTING_SCHOOL_KINDS,
        is_active=True,
    )


def schools_for_expert_profile(*, user: User) -> QuerySet[School]:
    """Schools where the user holds an expert role (an expert profile's home school)."""
    return School.objects.filter(urn__in=caller_scope(user=user).schools(Role.EXPERT))

"""Reads scoped to the caller (every exchange queryset the API serves starts here; who sees
what is ``exchange.access``), and the term calendars' closed days."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from django.db.models import Prefetch, Q, QuerySet

from accounts.access import CallerScope, caller_scope
from accounts.enums import SchoolKind
from accounts.models import School, User
from exchange import access
from exchange.models import (
    AvailabilityException,
    AvailabilityWindow,
    Closure,
    Credential,
    ExpertProfile,
    Need,
    Notification,
    Specialism,
    StatusChange,
    SupportRequest,
    TermCalendar,
    Topic,
)

REQUESTING_SCHOOL_KINDS = (SchoolKind.MAINSTREAM, SchoolKind.MAINSTREAM_RESOURCED)


def needs_list() -> QuerySet[Need]:
    return Need.objects.all()


def topics_list(*, include_inactive: bool = False) -> QuerySet[Topic]:
    return Topic.objects.all() if include_inactive else Topic.objects.filter(is_active=True)


def experts_visible_to(*, user: User) -> QuerySet[ExpertProfile]:
    """The expert profiles the caller sees (``access.expert_visibility``), with their
    specialisms and credentials."""
    experts = ExpertProfile.objects.select_related(
        "user", "school__local_authority", "school__trust"
    ).prefetch_related(
        Prefetch("specialisms", queryset=Specialism.objects.select_related("need", "topic")),
        Prefetch("credentials", queryset=Credential.objects.all()),
    )
    return experts.filter(access.expert_visibility(caller_scope(user=user)))


def expert_of(*, user: User) -> ExpertProfile | None:
    return experts_visible_to(user=user).filter(user_id=user.pk).first()


def availability_windows_of(*, expert: ExpertProfile) -> QuerySet[AvailabilityWindow]:
    return AvailabilityWindow.objects.filter(expert=expert)


def availability_exceptions_of(*, expert: ExpertProfile) -> QuerySet[AvailabilityException]:
    return AvailabilityException.objects.filter(expert=expert)


def credentials_of(*, expert: ExpertProfile) -> QuerySet[Credential]:
    return Credential.objects.filter(expert=expert)


def support_requests_visible_to(
    *, user: User, scope: CallerScope | None = None
) -> QuerySet[SupportRequest]:
    """The support requests the caller sees (``access.request_visibility``); ``scope``: the
    caller's, when the view has read it already."""
    requests = SupportRequest.objects.select_related(
        "school__local_authority", "school__trust", "primary_need"
    ).prefetch_related("needs", "topics", "preferred_windows")
    return requests.filter(access.request_visibility(scope or caller_scope(user=user)))


def status_history_of(*, support_request: SupportRequest) -> QuerySet[StatusChange]:
    return StatusChange.objects.filter(request=support_request).select_related("changed_by")


def schools_for_requests(*, user: User) -> QuerySet[School]:
    """Mainstream schools (with or without a resourced provision) where the user is staff or
    SENCO: the schools that may raise support requests. Platform admins raise none."""
    return School.objects.filter(
        urn__in=access.schools_acted_for(caller_scope(user=user)),
        kind__in=REQUESTING_SCHOOL_KINDS,
        is_active=True,
    )


def schools_for_expert_profile(*, user: User) -> QuerySet[School]:
    """Schools where the user may register an expert profile (``access.expert_home_schools``)."""
    return School.objects.filter(urn__in=access.expert_home_schools(caller_scope(user=user)))


def notifications_of(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(access.notification_visibility(caller_scope(user=user)))


# --- calendars --------------------------------------------------------------------------------


def calendar_for(school: School) -> TermCalendar | None:
    """A trust's calendar for its academies, else the LA's, else the default."""
    return _calendar_resolver()(school.trust_id, school.local_authority_id)


def _calendar_resolver() -> Callable[[int | None, int | None], TermCalendar | None]:
    """Reads every term calendar once and returns ``(trust id, LA id) → calendar``."""
    by_trust: dict[int, TermCalendar] = {}
    by_authority: dict[int, TermCalendar] = {}
    default = None
    for calendar in TermCalendar.objects.all():
        if calendar.trust_id is not None:
            by_trust[calendar.trust_id] = calendar
        elif calendar.local_authority_id is not None:
            by_authority[calendar.local_authority_id] = calendar
        elif calendar.is_default:
            default = calendar

    def resolve(trust_id: int | None, authority_id: int | None) -> TermCalendar | None:
        if trust_id is not None and trust_id in by_trust:
            return by_trust[trust_id]
        return by_authority.get(authority_id, default) if authority_id is not None else default

    return resolve


def closed_days_by_school(
    *, school_ids: Iterable[int], start: date, end: date
) -> dict[int, frozenset[date]]:
    """Each school's holidays and INSET days between ``start`` and ``end``: its term
    calendar's and its own. Three queries however many schools."""
    resolve = _calendar_resolver()
    calendar_of = {
        pk: getattr(resolve(trust_id, authority_id), "pk", None)
        for pk, trust_id, authority_id in School.objects.filter(
            pk__in=list(school_ids)
        ).values_list("pk", "trust_id", "local_authority_id")
    }
    by_calendar: dict[int, set[date]] = defaultdict(set)
    own: dict[int, set[date]] = defaultdict(set)
    closures = Closure.objects.filter(
        Q(calendar_id__in={c for c in calendar_of.values() if c is not None})
        | Q(school_id__in=list(calendar_of)),
        start_date__lte=end,
        end_date__gte=start,
    ).values_list("calendar_id", "school_id", "start_date", "end_date")
    for calendar_id, school_id, first, last in closures:
        days = by_calendar[calendar_id] if calendar_id is not None else own[school_id]
        day = max(first, start)
        while day <= min(last, end):
            days.add(day)
            day += timedelta(days=1)
    shared = {pk: frozenset(days) for pk, days in by_calendar.items()}
    closed: dict[int, frozenset[date]] = {}
    for pk, calendar_pk in calendar_of.items():
        calendar_days = shared.get(calendar_pk, frozenset()) if calendar_pk else frozenset()
        # Schools without closures of their own share their calendar's set.
        closed[pk] = calendar_days | own[pk] if pk in own else calendar_days
    return closed


def closed_days(*, schools: Iterable[School], start: date, end: date) -> frozenset[date]:
    """Holidays and INSET days, between ``start`` and ``end``, of any of ``schools``: their
    term calendars' and their own."""
    by_school = closed_days_by_school(
        school_ids=[school.pk for school in schools], start=start, end=end
    )
    return frozenset().union(*by_school.values())

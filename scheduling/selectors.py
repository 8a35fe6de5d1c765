"""Reads for scheduling: sessions scoped to the caller, the facts the pure slot finder
needs (built in a fixed number of queries), and a session as a calendar event."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet

from accounts.access import caller_scope
from accounts.models import School, User
from exchange.constants import LONDON
from exchange.enums import IN_PERSON_FORMATS, ExceptionKind
from exchange.models import (
    AvailabilityException,
    AvailabilityWindow,
    ExpertProfile,
    Notification,
    PreferredWindow,
    SupportRequest,
)
from exchange.notifications import Attachment
from exchange.selectors import closed_days
from scheduling import access, ics, slots
from scheduling.enums import LIVE_SESSION_STATUSES, SessionStatus
from scheduling.models import Session


def sessions_visible_to(*, user: User) -> QuerySet[Session]:
    """The sessions the caller sees (``access.session_visibility``), with their people."""
    sessions = Session.objects.select_related(
        "request__school", "expert__user", "expert__school"
    ).prefetch_related("attendees")
    return sessions.filter(access.session_visibility(caller_scope(user=user)))


def calendar_sessions_of(*, user: User) -> QuerySet[Session]:
    """What a user's private calendar feed shows: confirmed (and recently cancelled)
    sessions they attend or hold, from 30 days ago on."""
    since = datetime.now(tz=LONDON) - timedelta(days=30)
    return (
        sessions_visible_to(user=user)
        .filter(Q(attendees=user) | Q(expert__user=user))
        .filter(status__in=["confirmed", "completed", "cancelled"], ends_at__gte=since)
        .exclude(status="cancelled", confirmed_at__isnull=True)
        .distinct()
    )


# --- facts for the slot finder -----------------------------------------------------------------

# How long each format's session lasts.
DURATIONS = {
    "observation_visit": timedelta(hours=2),
    "staff_training": timedelta(minutes=90),
    "consultation": timedelta(hours=1),
    "video_call": timedelta(hours=1),
}


def slot_rules(expert: ExpertProfile) -> slots.SlotRules:
    config = settings.SCHEDULING
    return slots.SlotRules(
        min_notice_school_days=config["MIN_NOTICE_SCHOOL_DAYS"],
        horizon_days=config["HORIZON_DAYS"],
        buffer=timedelta(minutes=config["BUFFER_MINUTES"]),
        per_week_limit=expert.sessions_per_week,
        per_month_limit=expert.sessions_per_month,
        max_slots=config["SLOTS_OFFERED"],
    )


def _location(school: School) -> tuple[int, int] | None:
    if school.easting is None or school.northing is None:
        return None
    return (school.easting, school.northing)


def _commitments(
    expert: ExpertProfile, now: datetime, rules: slots.SlotRules, ignore: Iterable[int]
) -> list[slots.Commitment]:
    """The expert's sessions the finder must keep clear of and count towards the limits.
    Sessions up to a month back count towards the monthly limit; a request's offers are
    alternatives and count as one session."""
    return [
        slots.Commitment(
            s.starts_at,
            s.ends_at,
            _location(s.request.school) if s.format in IN_PERSON_FORMATS else None,
            offer_of=s.request_id if s.status == SessionStatus.OFFERED else None,
        )
        for s in Session.objects.filter(
            expert=expert,
            status__in=[*LIVE_SESSION_STATUSES, SessionStatus.COMPLETED],
            ends_at__gte=now - timedelta(days=31),
            starts_at__lte=now + timedelta(days=rules.horizon_days + 31),
        )
        .exclude(pk__in=list(ignore))
        .select_related("request__school")
    ]


def slot_query(
    *,
    support_request: SupportRequest,
    expert: ExpertProfile,
    session_format: str,
    now: datetime,
    ignore_session_ids: Iterable[int] = (),
    blocked: Iterable[tuple[datetime, datetime]] = (),
    preferred: Iterable[slots.DatedWindow] | None = None,
) -> slots.SlotQuery:
    """Everything the slot finder needs to place a session of ``support_request`` with
    ``expert``: the expert's windows, exceptions and live sessions, the school's preferred
    windows (or ``preferred``), and the closed days of both schools. ``blocked`` intervals
    (slots the school already turned down) are treated as taken."""
    rules = slot_rules(expert)
    today = now.astimezone(LONDON).date()
    last_day = today + timedelta(days=rules.horizon_days + 1)
    in_person = session_format in IN_PERSON_FORMATS
    weekly = tuple(
        slots.WeeklyWindow(w.weekday, w.start_time, w.end_time)
        for w in AvailabilityWindow.objects.filter(expert=expert)
    )
    unavailable: list[slots.DatedWindow] = []
    extra: list[slots.DatedWindow] = []
    for exception in AvailabilityException.objects.filter(
        expert=expert, date__range=(today, last_day)
    ):
        window = slots.DatedWindow(exception.date, exception.start_time, exception.end_time)
        (extra if exception.kind == ExceptionKind.EXTRA else unavailable).append(window)
    commitments = _commitments(expert, now, rules, ignore_session_ids)
    commitments += [slots.Commitment(start, end, counts=False) for start, end in blocked]
    if preferred is None:
        preferred = [
            slots.DatedWindow(w.date, w.start_time, w.end_time)
            for w in PreferredWindow.objects.filter(request=support_request, date__gte=today)
        ]
    school = support_request.school
    return slots.SlotQuery(
        now=now,
        duration=DURATIONS[session_format],
        weekly=weekly,
        unavailable=tuple(unavailable),
        extra=tuple(extra),
        commitments=tuple(commitments),
        preferred=tuple(preferred),
        closed_days=closed_days(schools=[school, expert.school], start=today, end=last_day),
        location=_location(school) if in_person else None,
        rules=rules,
    )


def calendar_event(session: Session) -> ics.CalendarEvent:
    """A session as the iCalendar event both sides get: the expert organises, the school's
    attendees are invited."""
    request = session.request
    where = session.location or session.video_link
    return ics.CalendarEvent(
        uid=f"{session.uid}@expertise-exchange",
        sequence=session.sequence,
        start=session.starts_at,
        end=session.ends_at,
        summary=f"Expertise Exchange: {request.title}",
        description=(
            f"{session.get_format_display()} with {session.expert.user.full_name or 'an expert'} "
            f"({session.expert.school.name}) for {request.school.name}.\n"
            f"Request #{request.pk}: {request.title}"
        ),
        location=where,
        organizer=_person(session.expert.user),
        attendees=tuple(_person(u) for u in session.attendees.all() if u != session.expert.user),
        cancelled=session.status == "cancelled",
        tentative=session.status == "offered",
        created=session.created_at,
        last_modified=session.updated_at,
        url=session.video_link,
    )


def session_invitation(notification: Notification) -> Attachment | None:
    """The ``.ics`` a notification about a session carries: the event as it stands now."""
    session = notification.session
    if session is None:
        return None
    event = calendar_event(session)
    method = "CANCEL" if event.cancelled else "REQUEST"
    return Attachment(
        "session.ics", ics.event_ics(event), f"text/calendar; method={method}; charset=utf-8"
    )


def _person(user: User) -> ics.Person:
    return ics.Person(name=user.full_name or user.email, email=user.email)

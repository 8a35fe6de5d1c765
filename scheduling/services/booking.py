"""Offering slots, booking and confirming sessions: never double-booked (see the package)."""

import dataclasses
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import User
from config.errors import ApplicationError, ConflictError
from exchange.constants import LONDON
from exchange.enums import IN_PERSON_FORMATS, NotificationKind, RequestStatus
from exchange.models import ExpertProfile, Notification, SupportRequest
from exchange.notifications import notify, school_people
from exchange.services import support_request_transition
from matching.enums import ProposalStatus
from matching.models import Proposal
from scheduling import selectors, slots
from scheduling.enums import LIVE_SESSION_STATUSES, ReminderKind, SessionChangeKind, SessionStatus
from scheduling.models import Reminder, Session, SessionChange

OFFER_TASK = "scheduling.offer_slots"
REMINDER_OFFSETS = {
    ReminderKind.DAY_BEFORE: timedelta(hours=24),
    ReminderKind.HOUR_BEFORE: timedelta(hours=1),
}


def spoken_time(moment: datetime) -> str:
    return f"{timezone.localtime(moment, LONDON):%A %d %B %Y at %H:%M}"


def _accepted_proposal(support_request: SupportRequest, *, lock_expert: bool = False) -> Proposal:
    """The request's accepted proposal, with its expert; ``lock_expert`` locks the expert's
    row in the same query (the caller holds the request's lock: see the package)."""
    proposals = Proposal.objects.filter(
        request=support_request, status=ProposalStatus.ACCEPTED
    ).select_related("expert__user", "expert__school")
    if lock_expert:
        proposals = proposals.select_for_update(of=("expert",))
    proposal = proposals.first()
    if proposal is None:
        raise ConflictError("No expert has accepted this request yet.", code="not_accepted")
    return proposal


def slots_offer(
    *, support_request_id: int, by: User | None = None, replace: bool = False
) -> list[Session]:
    """Offers the school up to ``SLOTS_OFFERED`` times that suit both sides, as ``offered``
    sessions holding the expert's time. Idempotent: a request that already has live offers
    keeps them, unless ``replace`` (the school asked for other times), which cancels them and
    never offers the same times again. A request not ``accepted`` gets nothing."""
    now = timezone.now()
    with transaction.atomic():
        support_request = (
            SupportRequest.objects.select_for_update(of=("self",))
            .select_related("school")
            .get(pk=support_request_id)
        )
        if support_request.status != RequestStatus.ACCEPTED:
            if replace:
                raise ConflictError(
                    "Slots are offered only for an accepted request without a booked session.",
                    code="not_accepted",
                    details={"current_status": support_request.status},
                )
            return []
        # Lock the expert before reading their sessions (see the module docstring): in the
        # same query that reads the accepted proposal, its expert and its format.
        proposal = _accepted_proposal(support_request, lock_expert=True)
        expert = proposal.expert
        live_offers = Session.objects.filter(request=support_request, status=SessionStatus.OFFERED)
        if live_offers.exists() and not replace:
            return []
        if replace:
            live_sessions_cancel(live_offers, by=by, reason="The school asked for other times.")
        offered = _offer_free_times(
            support_request, expert, proposal.delivery_format, now=now, by=by
        )
        _tell_offered(support_request, expert, offered, replace=replace)
    return offered


def _offer_free_times(
    support_request: SupportRequest,
    expert: ExpertProfile,
    session_format: str,
    *,
    now: datetime,
    by: User | None,
) -> list[Session]:
    """Finds the times (never one the school turned down) and holds them as offers."""
    turned_down = Session.objects.filter(
        request=support_request, status=SessionStatus.CANCELLED, confirmed_at=None
    ).values_list("starts_at", "ends_at")
    query = selectors.slot_query(
        support_request=support_request,
        expert=expert,
        session_format=session_format,
        now=now,
        blocked=list(turned_down),
    )
    found = slots.find_slots(query)
    if not found and query.preferred:
        # None of the school's windows works: offer the expert's next free times.
        found = slots.find_slots(_without_preferences(query))
    hold = now + timedelta(days=settings.SCHEDULING["OFFER_HOLD_DAYS"])
    return [
        _create_session(
            support_request=support_request,
            expert=expert,
            session_format=session_format,
            starts_at=slot.start,
            ends_at=slot.end,
            status=SessionStatus.OFFERED,
            # Lapse while the slot still has its minimum notice: confirming it later
            # would book a session at shorter notice than any offer or booking allows.
            offered_until=min(hold, slots.notice_deadline(query, slot)),
            by=by,
        )
        for slot in found
    ]


def _tell_offered(
    support_request: SupportRequest,
    expert: ExpertProfile,
    offered: list[Session],
    *,
    replace: bool,
) -> None:
    """The school hears the times; with none, both sides hear why (once per acceptance: a
    redelivered task tells nobody twice)."""
    people = school_people(support_request)
    if offered:
        times = "\n".join(f"• {spoken_time(s.starts_at)}" for s in offered)
        notify(
            users=people,
            kind=NotificationKind.SLOTS_OFFERED,
            title=f"Times offered for “{support_request.title}”",
            body=f"Please confirm one of these times:\n{times}",
            request_id=support_request.pk,
        )
        return
    told = Notification.objects.filter(
        request=support_request,
        kind=NotificationKind.NO_SLOTS,
        created_at__gte=support_request.status_changed_at,
    ).exists()
    if replace or not told:
        notify(
            users=[*people, expert.user],
            kind=NotificationKind.NO_SLOTS,
            title=f"No common time found for “{support_request.title}”",
            body="The expert's availability and the school's calendar share no time in "
            "the coming weeks. Add availability or preferred windows and ask again.",
            request_id=support_request.pk,
        )


def _without_preferences(query: slots.SlotQuery) -> slots.SlotQuery:
    return dataclasses.replace(query, preferred=())


def _create_session(
    *,
    support_request: SupportRequest,
    expert: ExpertProfile,
    session_format: str,
    starts_at: datetime,
    ends_at: datetime,
    status: str,
    by: User | None,
    offered_until: datetime | None = None,
) -> Session:
    """Writes a live session. The caller holds the expert's row lock."""
    check_free(expert_id=expert.pk, starts_at=starts_at, ends_at=ends_at)
    school = support_request.school
    in_person = session_format in IN_PERSON_FORMATS
    try:
        with transaction.atomic():
            session = Session.objects.create(
                request=support_request,
                expert=expert,
                starts_at=starts_at,
                ends_at=ends_at,
                format=session_format,
                location=f"{school.name}, {school.town} {school.postcode}".strip(", ")
                if in_person
                else "",
                video_link="" if in_person else f"https://meet.expertise.exchange/{_room()}",
                status=status,
                offered_until=offered_until,
                confirmed_at=timezone.now() if status == SessionStatus.CONFIRMED else None,
            )
    except IntegrityError:
        # The exclusion constraint caught what the locked check should have.
        raise clash_error() from None
    session.attendees.set([expert.user, *school_people(support_request)])
    SessionChange.objects.create(
        session=session,
        kind=SessionChangeKind.OFFERED
        if status == SessionStatus.OFFERED
        else SessionChangeKind.CONFIRMED,
        changed_by=by,
    )
    return session


def _room() -> str:
    return secrets.token_urlsafe(9)


def clash_error() -> ConflictError:
    return ConflictError("The expert already has a session at that time.", code="session_clash")


def check_free(
    *,
    expert_id: int,
    starts_at: datetime,
    ends_at: datetime,
    ignore: Iterable[int] | QuerySet[Session, Any] = (),
) -> None:
    """Half-open intervals: a session may start the minute another ends. ``ignore``: ids,
    or a ``values("pk")`` queryset of sessions (a subquery, no query of its own)."""
    overlapping = Session.objects.filter(
        expert_id=expert_id,
        status__in=LIVE_SESSION_STATUSES,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).exclude(pk__in=ignore if isinstance(ignore, QuerySet) else list(ignore))  # type: ignore[misc]
    if overlapping.exists():
        raise clash_error()


def check_slot_allowed(
    *,
    support_request: SupportRequest,
    expert: ExpertProfile,
    session_format: str,
    starts_at: datetime,
    ignore_session_ids: Iterable[int] = (),
) -> datetime:
    """A time chosen by a person (a booking or a reschedule) obeys the same rules as an
    offered slot: it must be one the slot finder would offer in a window that exact. Returns
    the session's end."""
    duration = selectors.DURATIONS[session_format]
    local = timezone.localtime(starts_at, LONDON)
    window = slots.DatedWindow(local.date(), local.time(), (local + duration).time())
    query = selectors.slot_query(
        support_request=support_request,
        expert=expert,
        session_format=session_format,
        now=timezone.now(),
        ignore_session_ids=ignore_session_ids,
        preferred=[window],
    )
    found = slots.find_slots(query)
    if not any(slot.start == starts_at for slot in found):
        raise ConflictError(
            "That time does not work: it must be on a school day of both schools, inside the "
            "expert's availability, on the half hour, with enough notice, and clear of their "
            "other sessions, travel and weekly or monthly limits.",
            code="slot_unavailable",
        )
    return starts_at + duration


def session_book(*, support_request: SupportRequest, starts_at: datetime, by: User) -> Session:
    """The school books a time it agreed with the accepted expert directly:
    a ``confirmed`` session, and the request ``accepted → scheduled``."""
    with transaction.atomic():
        # Lock order, as in offering: the request, then the expert (see the package docstring).
        support_request = (
            SupportRequest.objects.select_for_update(of=("self",))
            .select_related("school")
            .get(pk=support_request.pk)
        )
        if support_request.status != RequestStatus.ACCEPTED:
            raise ConflictError(
                "Only an accepted request without a booked session can be booked.",
                code="not_accepted",
                details={"current_status": support_request.status},
            )
        proposal = _accepted_proposal(support_request, lock_expert=True)
        expert, session_format = proposal.expert, proposal.delivery_format
        # The request's own offers are released by this booking: they block nothing.
        offered = Session.objects.filter(request=support_request, status=SessionStatus.OFFERED)
        # A time the expert is already taken is refused at once, before the full rules: the
        # expert's lock is held, and many schools may be waiting for it. A loser of the race
        # gets here in three queries.
        check_free(
            expert_id=expert.pk,
            starts_at=starts_at,
            ends_at=starts_at + selectors.DURATIONS[session_format],
            ignore=offered.values("pk"),
        )
        offers = list(offered.values_list("pk", flat=True))
        ends_at = check_slot_allowed(
            support_request=support_request,
            expert=expert,
            session_format=session_format,
            starts_at=starts_at,
            ignore_session_ids=offers,
        )
        live_sessions_cancel(
            Session.objects.filter(request=support_request, status=SessionStatus.OFFERED),
            by=by,
            reason="The school booked another time.",
        )
        session = _create_session(
            support_request=support_request,
            expert=expert,
            session_format=session_format,
            starts_at=starts_at,
            ends_at=ends_at,
            status=SessionStatus.CONFIRMED,
            by=by,
        )
        _on_confirmed(session, by=by)
    return session


# --- confirming -----------------------------------------------------------------------------


def session_confirm(*, session: Session, by: User) -> Session:
    """``offered → confirmed`` (the school chose this slot): the request's other offers are
    cancelled, the request ``accepted → scheduled``, reminders are set and both sides get the
    invitation."""
    with transaction.atomic():
        # Lock order, as in offering: the request, then the expert (see the package docstring).
        SupportRequest.objects.select_for_update().values_list("pk").get(pk=session.request_id)
        ExpertProfile.objects.select_for_update().get(pk=session.expert_id)
        now = timezone.now()
        moved = Session.objects.filter(
            pk=session.pk, status=SessionStatus.OFFERED, offered_until__gt=now
        ).update(
            status=SessionStatus.CONFIRMED,
            confirmed_at=now,
            # TENTATIVE → CONFIRMED is a change to the invitation: calendars apply it only
            # with a higher SEQUENCE.
            sequence=F("sequence") + 1,
            updated_at=now,
        )
        if moved != 1:
            if Session.objects.filter(pk=session.pk, status=SessionStatus.OFFERED).exists():
                raise ConflictError(
                    "This offer has lapsed; ask for other times.", code="offer_lapsed"
                )
            raise illegal_action_error(session.pk, "confirmed")
        session.refresh_from_db()
        SessionChange.objects.create(
            session=session, kind=SessionChangeKind.CONFIRMED, changed_by=by
        )
        live_sessions_cancel(
            Session.objects.filter(request_id=session.request_id, status=SessionStatus.OFFERED),
            by=by,
            reason="The school confirmed another time.",
        )
        _on_confirmed(session, by=by)
    return session


def _on_confirmed(session: Session, *, by: User) -> None:
    support_request_transition(
        support_request_id=session.request_id,
        to_status=RequestStatus.SCHEDULED,
        by=by,
        reason=f"Session booked for {spoken_time(session.starts_at)}.",
        from_statuses=[RequestStatus.ACCEPTED],
    )
    reminders_arm(session)
    notify(
        users=session.attendees.all(),
        kind=NotificationKind.SESSION_CONFIRMED,
        title=f"Session confirmed: {spoken_time(session.starts_at)}",
        body=f"“{session.request.title}” is booked for {spoken_time(session.starts_at)}. "
        "The calendar invitation is attached.",
        session=session,
    )


def reminders_arm(session: Session) -> None:
    """One reminder row per kind; a reschedule moves them and re-arms the sent ones. Those
    already due (a session booked 30 minutes ahead) are marked sent: no late reminder."""
    now = timezone.now()
    for kind, offset in REMINDER_OFFSETS.items():
        due = session.starts_at - offset
        Reminder.objects.update_or_create(
            session=session,
            kind=kind,
            defaults={"due_at": due, "sent_at": now if due <= now else None},
        )


def validate_start(starts_at: datetime) -> None:
    """A chosen start is in the future and within the booking horizon (400 otherwise)."""
    now = timezone.now()
    horizon = settings.SCHEDULING["HORIZON_DAYS"]
    if starts_at <= now:
        message = "Must be in the future."
    elif starts_at > now + timedelta(days=horizon + 1):
        message = f"Must be within the next {horizon} days."
    else:
        return
    raise ApplicationError(f"starts_at: {message}", fields={"starts_at": [message]})


def illegal_action_error(session_id: int, action: str) -> ConflictError:
    current = Session.objects.values_list("status", flat=True).get(pk=session_id)
    return ConflictError(
        f"A session that is {current} cannot be {action}.",
        code="illegal_transition",
        details={"current_status": current},
    )


def live_sessions_cancel(sessions: QuerySet[Session], *, by: User | None, reason: str) -> int:
    """Live sessions → ``cancelled`` (compare-and-swap), SEQUENCE up, unsent reminders
    dropped. Returns how many moved."""
    now = timezone.now()
    ids = list(sessions.filter(status__in=LIVE_SESSION_STATUSES).values_list("pk", flat=True))
    if not ids:
        return 0
    count = Session.objects.filter(pk__in=ids, status__in=LIVE_SESSION_STATUSES).update(
        status=SessionStatus.CANCELLED,
        cancelled_at=now,
        cancel_reason=reason[:500],
        sequence=F("sequence") + 1,
        updated_at=now,
    )
    SessionChange.objects.bulk_create(
        [
            SessionChange(
                session_id=pk, kind=SessionChangeKind.CANCELLED, changed_by=by, reason=reason[:500]
            )
            for pk in ids
        ]
    )
    Reminder.objects.filter(session_id__in=ids, sent_at=None).delete()
    return count

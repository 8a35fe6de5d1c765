"""Every write in scheduling: offering slots, booking, confirming, rescheduling, cancelling
and completing sessions, reminders, lapsed offers and calendar feeds.

Never double-booked: every path that gives an expert a live session locks the expert's row
first (``select_for_update``), then checks for an overlapping live session, then writes, all
in one transaction. Writers for one expert therefore queue instead of racing; on PostgreSQL
an exclusion constraint is the backstop (an ``IntegrityError`` from it, or a deadlock, is a
409), and on SQLite ``transaction_mode: IMMEDIATE`` serialises the writers.
"""

import dataclasses
import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import User
from config.errors import ApplicationError, ConflictError
from exchange import outbox
from exchange.enums import IN_PERSON_FORMATS, RequestStatus
from exchange.models import ExpertProfile, SupportRequest
from exchange.scheduling import selectors
from exchange.scheduling.enums import (
    LIVE_SESSION_STATUSES,
    NotificationKind,
    ReminderKind,
    SessionChangeKind,
    SessionStatus,
)
from exchange.scheduling.models import (
    NOTIFICATION_FOR_REMINDER,
    CalendarFeed,
    Notification,
    Reminder,
    Session,
    SessionChange,
)
from exchange.scheduling.notifications import notify, school_people
from exchange.services import support_request_transition
from matching import slots
from matching.slots import LONDON

OFFER_TASK = "exchange.offer_slots"
REMINDER_OFFSETS = {
    ReminderKind.DAY_BEFORE: timedelta(hours=24),
    ReminderKind.HOUR_BEFORE: timedelta(hours=1),
}


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment, LONDON):%A %d %B %Y at %H:%M}"


# --- offering slots ---------------------------------------------------------------------------


def _accepted_expert(support_request: SupportRequest) -> ExpertProfile:
    from matching.enums import ProposalStatus
    from matching.models import Proposal

    proposal = (
        Proposal.objects.filter(request=support_request, status=ProposalStatus.ACCEPTED)
        .select_related("expert__user", "expert__school")
        .first()
    )
    if proposal is None:
        raise ConflictError("No expert has accepted this request yet.", code="not_accepted")
    return proposal.expert


def _session_format(support_request: SupportRequest) -> str:
    from matching.enums import ProposalStatus
    from matching.models import Proposal

    return (
        Proposal.objects.filter(request=support_request, status=ProposalStatus.ACCEPTED)
        .values_list("delivery_format", flat=True)
        .get()
    )


def slots_offer_queue(*, support_request: SupportRequest) -> None:
    """Queues a worker to offer slots for an accepted request (called when an expert
    accepts; the task is idempotent)."""
    outbox.enqueue(OFFER_TASK, support_request_id=support_request.pk)


def session_slots_offer(
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
        expert = _accepted_expert(support_request)
        # Lock the expert before reading their sessions: see the module docstring.
        ExpertProfile.objects.select_for_update().get(pk=expert.pk)
        live_offers = Session.objects.filter(request=support_request, status=SessionStatus.OFFERED)
        if live_offers.exists() and not replace:
            return []
        if replace:
            _cancel_many(live_offers, by=by, reason="The school asked for other times.")
        turned_down = Session.objects.filter(
            request=support_request, status=SessionStatus.CANCELLED, confirmed_at=None
        ).values_list("starts_at", "ends_at")
        session_format = _session_format(support_request)
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
        offered = [
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
        people = school_people(support_request)
        if offered:
            times = "\n".join(f"• {_when(s.starts_at)}" for s in offered)
            notify(
                users=people,
                kind=NotificationKind.SLOTS_OFFERED,
                title=f"Times offered for “{support_request.title}”",
                body=f"Please confirm one of these times:\n{times}",
                request_id=support_request.pk,
            )
        elif (
            replace
            or not Notification.objects.filter(
                request=support_request,
                kind=NotificationKind.NO_SLOTS,
                created_at__gte=support_request.status_changed_at,
            ).exists()
        ):
            # A redelivered task tells nobody twice.
            notify(
                users=[*people, expert.user],
                kind=NotificationKind.NO_SLOTS,
                title=f"No common time found for “{support_request.title}”",
                body="The expert's availability and the school's calendar share no time in "
                "the coming weeks. Add availability or preferred windows and ask again.",
                request_id=support_request.pk,
            )
    return offered


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
    _check_free(expert_id=expert.pk, starts_at=starts_at, ends_at=ends_at)
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
        raise _clash() from None
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


def _clash() -> ConflictError:
    return ConflictError("The expert already has a session at that time.", code="session_clash")


def _check_free(
    *, expert_id: int, starts_at: datetime, ends_at: datetime, ignore: Iterable[int] = ()
) -> None:
    """Half-open intervals: a session may start the minute another ends."""
    overlapping = Session.objects.filter(
        expert_id=expert_id,
        status__in=LIVE_SESSION_STATUSES,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).exclude(pk__in=list(ignore))
    if overlapping.exists():
        raise _clash()


def _check_slot_allowed(
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
        # Lock order everywhere: the request, then the expert.
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
        expert = _accepted_expert(support_request)
        ExpertProfile.objects.select_for_update().get(pk=expert.pk)
        session_format = _session_format(support_request)
        offers = Session.objects.filter(request=support_request, status=SessionStatus.OFFERED)
        ends_at = _check_slot_allowed(
            support_request=support_request,
            expert=expert,
            session_format=session_format,
            starts_at=starts_at,
            # The request's own offers are released by this booking: they block nothing.
            ignore_session_ids=list(offers.values_list("pk", flat=True)),
        )
        _cancel_many(
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
        # Lock order everywhere: the request, then the expert.
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
            raise _illegal(session.pk, "confirmed")
        session.refresh_from_db()
        SessionChange.objects.create(
            session=session, kind=SessionChangeKind.CONFIRMED, changed_by=by
        )
        _cancel_many(
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
        reason=f"Session booked for {_when(session.starts_at)}.",
        from_statuses=[RequestStatus.ACCEPTED],
    )
    _arm_reminders(session)
    notify(
        users=session.attendees.all(),
        kind=NotificationKind.SESSION_CONFIRMED,
        title=f"Session confirmed: {_when(session.starts_at)}",
        body=f"“{session.request.title}” is booked for {_when(session.starts_at)}. "
        "The calendar invitation is attached.",
        session=session,
    )


def _arm_reminders(session: Session) -> None:
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


# --- changing -------------------------------------------------------------------------------


def _is_late(session: Session, now: datetime) -> bool:
    cutoff = timedelta(hours=settings.SCHEDULING["LATE_CHANGE_HOURS"])
    return session.starts_at - now < cutoff


def _illegal(session_id: int, action: str) -> ConflictError:
    current = Session.objects.values_list("status", flat=True).get(pk=session_id)
    return ConflictError(
        f"A session that is {current} cannot be {action}.",
        code="illegal_transition",
        details={"current_status": current},
    )


def session_reschedule(*, session: Session, by: User, starts_at: datetime, reason: str) -> Session:
    """Moves a confirmed session to another time with the same expert (checked like a new
    booking). SEQUENCE goes up, reminders move, and the other side is told; a move within
    the cut-off is recorded as late."""
    with transaction.atomic():
        ExpertProfile.objects.select_for_update().get(pk=session.expert_id)
        # The session's row too: a cancel racing this move waits, then finds it moved (or
        # this move finds it cancelled).
        session = (
            Session.objects.select_for_update(of=("self",))
            .select_related("request__school", "expert__user")
            .get(pk=session.pk)
        )
        if session.status != SessionStatus.CONFIRMED:
            raise _illegal(session.pk, "rescheduled")
        now = timezone.now()
        if session.starts_at <= now:
            raise ConflictError("A session that has started cannot be moved.", code="started")
        ends_at = _check_slot_allowed(
            support_request=session.request,
            expert=session.expert,
            session_format=session.format,
            starts_at=starts_at,
            ignore_session_ids=[session.pk],
        )
        _check_free(
            expert_id=session.expert_id, starts_at=starts_at, ends_at=ends_at, ignore=[session.pk]
        )
        SessionChange.objects.create(
            session=session,
            kind=SessionChangeKind.RESCHEDULED,
            changed_by=by,
            reason=reason,
            is_late=_is_late(session, now),
            previous_starts_at=session.starts_at,
            previous_ends_at=session.ends_at,
        )
        previous = session.starts_at
        try:
            with transaction.atomic():
                session.starts_at, session.ends_at = starts_at, ends_at
                session.sequence += 1
                session.save(update_fields=["starts_at", "ends_at", "sequence", "updated_at"])
        except IntegrityError:
            raise _clash() from None
        _arm_reminders(session)
        notify(
            users=_others(session, by),
            kind=NotificationKind.SESSION_CHANGED,
            title=f"Session moved to {_when(starts_at)}",
            body=f"“{session.request.title}” moved from {_when(previous)} to "
            f"{_when(starts_at)}. Reason: {reason}",
            session=session,
        )
    return session


def session_cancel(*, session: Session, by: User, reason: str) -> Session:
    """``offered | confirmed → cancelled`` by either side, with a reason: the time is freed
    (and the expert's weekly and monthly session count with it), reminders stop, the other
    side is told and the request goes back to ``accepted`` to be booked again."""
    with transaction.atomic():
        # Lock order everywhere: the request, then the session. With the request locked,
        # two offers of it cancelled at once queue, so exactly one of them sees it was the
        # last.
        SupportRequest.objects.select_for_update().values_list("pk").get(pk=session.request_id)
        # Locked, so the status read here is the one cancelled (a confirm racing this
        # cancel waits, then finds it cancelled).
        session = (
            Session.objects.select_for_update(of=("self",))
            .select_related("request", "expert__user")
            .get(pk=session.pk)
        )
        was = session.status
        if was not in LIVE_SESSION_STATUSES:
            raise _illegal(session.pk, "cancelled")
        now = timezone.now()
        if was == SessionStatus.CONFIRMED and session.starts_at <= now:
            raise ConflictError(
                "A session that has started cannot be cancelled: mark it completed or a no-show.",
                code="started",
            )
        _cancel_many(Session.objects.filter(pk=session.pk), by=by, reason=reason)
        session.refresh_from_db()
        if was == SessionStatus.OFFERED:
            _on_offer_cancelled(session, by=by, reason=reason)
        else:
            SessionChange.objects.filter(session=session, kind=SessionChangeKind.CANCELLED).update(
                is_late=_is_late(session, now)
            )
            support_request_transition(
                support_request_id=session.request_id,
                to_status=RequestStatus.ACCEPTED,
                by=by,
                reason=f"Session cancelled: {reason}"[:500],
                from_statuses=[RequestStatus.SCHEDULED],
            )
            notify(
                users=_others(session, by),
                kind=NotificationKind.SESSION_CANCELLED,
                title=f"Session cancelled: {_when(session.starts_at)}",
                body=f"“{session.request.title}” on {_when(session.starts_at)} was cancelled. "
                f"Reason: {reason}",
                session=session,
            )
    return session


def _on_offer_cancelled(session: Session, *, by: User, reason: str) -> None:
    """An offered time was withdrawn (the expert is no longer free then, or the school does
    not want it): the others are told, and when it was the request's last live offer new
    times are offered. The caller holds the request's lock."""
    support_request = session.request
    reoffer = (
        support_request.status == RequestStatus.ACCEPTED
        and not Session.objects.filter(
            request_id=support_request.pk, status=SessionStatus.OFFERED
        ).exists()
    )
    then = " New times will be offered." if reoffer else ""
    notify(
        users=_others(session, by),
        kind=NotificationKind.SESSION_CANCELLED,
        title=f"Offered time withdrawn: {_when(session.starts_at)}",
        body=f"The time offered for “{support_request.title}” on {_when(session.starts_at)} "
        f"is no longer available. Reason: {reason}{then}",
        session=session,
    )
    if reoffer:
        # The withdrawn time is never offered again (a cancelled offer is a turned-down one).
        slots_offer_queue(support_request=support_request)


def _cancel_many(sessions: QuerySet[Session], *, by: User | None, reason: str) -> int:
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


def sessions_cancel_for_request(*, support_request_id: int, by: User | None, reason: str) -> int:
    """The request itself was cancelled: its live sessions go with it (the expert's time is
    freed, reminders stop) and the expert and the school's other attendees are told. The
    request's status is the caller's."""
    live = Session.objects.filter(
        request_id=support_request_id, status__in=LIVE_SESSION_STATUSES
    ).select_related("request", "expert__user")
    confirmed = [s for s in live if s.status == SessionStatus.CONFIRMED]
    count = _cancel_many(live, by=by, reason=reason or "The request was cancelled.")
    for session in confirmed:
        session.refresh_from_db()
        notify(
            users=_others(session, by),
            kind=NotificationKind.SESSION_CANCELLED,
            title=f"Session cancelled: {_when(session.starts_at)}",
            body=f"“{session.request.title}” was cancelled by the school.",
            session=session,
        )
    return count


def _others(session: Session, by: User | None) -> list[User]:
    """Who hears of a change: every attendee and the expert, except whoever made it (a
    second SENCO must not keep a stale calendar entry because the first one acted)."""
    people = [session.expert.user, *session.attendees.all()]
    return [u for u in people if by is None or u.pk != by.pk]


def session_complete(*, session: Session, by: User, no_show: bool = False) -> Session:
    """``confirmed → completed`` (the request ``scheduled → completed``), or ``→ no_show``
    (the request goes back to ``accepted`` to be booked again). Only once it has started."""
    to_status = SessionStatus.NO_SHOW if no_show else SessionStatus.COMPLETED
    with transaction.atomic():
        now = timezone.now()
        moved = Session.objects.filter(
            pk=session.pk, status=SessionStatus.CONFIRMED, starts_at__lte=now
        ).update(status=to_status, updated_at=now)
        if moved != 1:
            if Session.objects.filter(pk=session.pk, status=SessionStatus.CONFIRMED).exists():
                raise ConflictError(
                    "A session can be completed only once it has started.", code="not_started"
                )
            raise _illegal(session.pk, "completed")
        SessionChange.objects.create(
            session=session,
            kind=SessionChangeKind.NO_SHOW if no_show else SessionChangeKind.COMPLETED,
            changed_by=by,
        )
        Reminder.objects.filter(session=session, sent_at=None).delete()
        support_request_transition(
            support_request_id=session.request_id,
            to_status=RequestStatus.ACCEPTED if no_show else RequestStatus.COMPLETED,
            by=by,
            reason="The session was a no-show." if no_show else "The session took place.",
            from_statuses=[RequestStatus.SCHEDULED],
        )
    session.refresh_from_db()
    return session


# --- beat: reminders and lapsed offers ----------------------------------------------------------


def reminders_send(*, batch: int = 200) -> int:
    """Sends due reminders of confirmed sessions, each once: rows are claimed under
    ``select_for_update(skip_locked=True)`` and marked sent in the same transaction, so two
    beats (or a redelivered task) never send one twice."""
    now = timezone.now()
    sent = 0
    with transaction.atomic():
        # A reminder for a session that has already started (beat was down) helps nobody:
        # drop it rather than send it late or retry it for ever.
        Reminder.objects.filter(sent_at=None, due_at__lte=now, session__starts_at__lte=now).delete()
        due = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                sent_at=None,
                due_at__lte=now,
                session__status=SessionStatus.CONFIRMED,
                session__starts_at__gt=now,
            )
            .select_related("session__request")
            .order_by("due_at")[:batch]
        )
        for reminder in due:
            Reminder.objects.filter(pk=reminder.pk).update(sent_at=now)
            session = reminder.session
            notify(
                users=session.attendees.all(),
                kind=NOTIFICATION_FOR_REMINDER[reminder.kind],
                title=f"Reminder: session {_when(session.starts_at)}",
                body=f"“{session.request.title}” starts {_when(session.starts_at)}.",
                session=session,
            )
            sent += 1
    return sent


def offers_lapse(*, batch: int = 500) -> int:
    """Offers the school left unconfirmed past their hold → ``cancelled``, freeing the
    expert's time; the school is told it can ask for new times."""
    now = timezone.now()
    with transaction.atomic():
        lapsed = list(
            Session.objects.select_for_update(skip_locked=True)
            .filter(status=SessionStatus.OFFERED, offered_until__lte=now)
            .values_list("pk", flat=True)[:batch]
        )
        count = _cancel_many(
            Session.objects.filter(pk__in=lapsed), by=None, reason="The offer lapsed."
        )
        # Told once, when the last of a request's offers has lapsed: while one is live the
        # school can still confirm it.
        requests = SupportRequest.objects.filter(
            pk__in=Session.objects.filter(pk__in=lapsed).values("request_id"),
            status=RequestStatus.ACCEPTED,
        ).exclude(pk__in=Session.objects.filter(status=SessionStatus.OFFERED).values("request_id"))
        for support_request in requests:
            notify(
                users=school_people(support_request),
                kind=NotificationKind.NO_SLOTS,
                title=f"Offered times lapsed for “{support_request.title}”",
                body="The times offered were not confirmed in time and have been released. "
                "Ask for new times when you are ready.",
                request_id=support_request.pk,
            )
    return count


# --- calendar feeds -----------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_create(*, user: User) -> str:
    """A new private feed token (shown once); any earlier feed URL stops working."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        # Two creates at once queue here instead of both inserting a live feed.
        User.objects.select_for_update().values_list("pk").get(pk=user.pk)
        CalendarFeed.objects.filter(user=user, revoked_at=None).update(revoked_at=timezone.now())
        CalendarFeed.objects.create(user=user, token_digest=_digest(token))
    return token


def calendar_feed_revoke(*, user: User) -> int:
    return CalendarFeed.objects.filter(user=user, revoked_at=None).update(revoked_at=timezone.now())


def calendar_feed_user(*, token: str) -> User | None:
    feed = (
        CalendarFeed.objects.filter(token_digest=_digest(token), revoked_at=None)
        .select_related("user")
        .first()
    )
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


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

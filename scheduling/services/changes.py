"""Rescheduling, cancelling and completing sessions, with the other side told."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from config.errors import ConflictError
from exchange import outbox
from exchange.enums import NotificationKind, RequestStatus
from exchange.models import ExpertProfile, SupportRequest
from exchange.notifications import notify
from exchange.services import support_request_transition
from scheduling.enums import LIVE_SESSION_STATUSES, SessionChangeKind, SessionStatus
from scheduling.models import Reminder, Session, SessionChange
from scheduling.services.booking import (
    OFFER_TASK,
    check_free,
    check_slot_allowed,
    clash_error,
    illegal_action_error,
    live_sessions_cancel,
    reminders_arm,
    spoken_time,
)


def _is_late(session: Session, now: datetime) -> bool:
    cutoff = timedelta(hours=settings.SCHEDULING["LATE_CHANGE_HOURS"])
    return session.starts_at - now < cutoff


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
            raise illegal_action_error(session.pk, "rescheduled")
        now = timezone.now()
        if session.starts_at <= now:
            raise ConflictError("A session that has started cannot be moved.", code="started")
        ends_at = check_slot_allowed(
            support_request=session.request,
            expert=session.expert,
            session_format=session.format,
            starts_at=starts_at,
            ignore_session_ids=[session.pk],
        )
        check_free(
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
            raise clash_error() from None
        reminders_arm(session)
        notify(
            users=_others(session, by),
            kind=NotificationKind.SESSION_CHANGED,
            title=f"Session moved to {spoken_time(starts_at)}",
            body=f"“{session.request.title}” moved from {spoken_time(previous)} to "
            f"{spoken_time(starts_at)}. Reason: {reason}",
            session=session,
        )
    return session


def session_cancel(*, session: Session, by: User, reason: str) -> Session:
    """``offered | confirmed → cancelled`` by either side, with a reason: the time is freed
    (and the expert's weekly and monthly session count with it), reminders stop, the other
    side is told and the request goes back to ``accepted`` to be booked again."""
    with transaction.atomic():
        # Lock order, as in completing: the request, then the session. With the request locked,
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
            raise illegal_action_error(session.pk, "cancelled")
        now = timezone.now()
        if was == SessionStatus.CONFIRMED and session.starts_at <= now:
            raise ConflictError(
                "A session that has started cannot be cancelled: mark it completed or a no-show.",
                code="started",
            )
        live_sessions_cancel(Session.objects.filter(pk=session.pk), by=by, reason=reason)
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
                title=f"Session cancelled: {spoken_time(session.starts_at)}",
                body=f"“{session.request.title}” on {spoken_time(session.starts_at)} was "
                f"cancelled. Reason: {reason}",
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
        title=f"Offered time withdrawn: {spoken_time(session.starts_at)}",
        body=f"The time offered for “{support_request.title}” on {spoken_time(session.starts_at)} "
        f"is no longer available. Reason: {reason}{then}",
        session=session,
    )
    if reoffer:
        # The withdrawn time is never offered again (a cancelled offer is a turned-down one).
        outbox.enqueue(OFFER_TASK, support_request_id=support_request.pk)


def sessions_cancel_for_request(*, support_request_id: int, by: User | None, reason: str) -> int:
    """The request itself was cancelled: its live sessions go with it (the expert's time is
    freed, reminders stop) and the expert and the school's other attendees are told. The
    request's status is the caller's."""
    live = Session.objects.filter(
        request_id=support_request_id, status__in=LIVE_SESSION_STATUSES
    ).select_related("request", "expert__user")
    confirmed = [s for s in live if s.status == SessionStatus.CONFIRMED]
    count = live_sessions_cancel(live, by=by, reason=reason or "The request was cancelled.")
    for session in confirmed:
        session.refresh_from_db()
        notify(
            users=_others(session, by),
            kind=NotificationKind.SESSION_CANCELLED,
            title=f"Session cancelled: {spoken_time(session.starts_at)}",
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
        # The request's row first, as cancelling does: the same lock order on both paths.
        SupportRequest.objects.select_for_update().values_list("pk").get(pk=session.request_id)
        now = timezone.now()
        moved = Session.objects.filter(
            pk=session.pk, status=SessionStatus.CONFIRMED, starts_at__lte=now
        ).update(status=to_status, updated_at=now)
        if moved != 1:
            if Session.objects.filter(pk=session.pk, status=SessionStatus.CONFIRMED).exists():
                raise ConflictError(
                    "A session can be completed only once it has started.", code="not_started"
                )
            raise illegal_action_error(session.pk, "completed")
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

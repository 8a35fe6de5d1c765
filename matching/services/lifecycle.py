"""The proposal lifecycle: accept, decline, expire, remind, withdraw."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from config.errors import ConflictError
from exchange import events, notifications, outbox
from exchange.enums import NotificationKind, RequestStatus
from exchange.events import Event
from exchange.models import ExpertProfile, Notification, SupportRequest
from exchange.services import support_request_transition
from matching import selectors
from matching.enums import LIVE_PROPOSAL_STATUSES, DeclineReason, ProposalStatus
from matching.models import Proposal
from matching.selectors import local_today
from matching.services.proposals import PROPOSE_TASK, answer_deadline


def _conflict(proposal_id: int, action: str) -> ConflictError:
    current = Proposal.objects.values_list("status", flat=True).get(pk=proposal_id)
    return ConflictError(
        f"A proposal that is {current} cannot be {action}.",
        code="illegal_transition",
        details={"current_status": current},
    )


def proposal_accept(*, proposal: Proposal, by: User) -> Proposal:
    """``proposed → accepted``: the request becomes ``accepted`` and its other proposals are
    withdrawn; the school is told, and ``proposal.accepted`` starts scheduling.

    Concurrency: the expert's row is locked first, so accepts for one expert queue and each
    counts the ones before it against the monthly capacity; the proposal and the request
    move by compare-and-swap, so of two experts accepting one request only one wins; the
    partial unique constraint (one accepted proposal per request) is the backstop.
    """
    now = timezone.now()
    with transaction.atomic():
        expert = ExpertProfile.objects.select_for_update().get(pk=proposal.expert_id)
        _check_acceptable(proposal, expert, now)
        _move_to_accepted(proposal, now)
        support_request_transition(
            support_request_id=proposal.request_id,
            to_status=RequestStatus.ACCEPTED,
            by=by,
            reason=f"Accepted by expert #{expert.pk}.",
            from_statuses=[RequestStatus.PROPOSED],
        )
        Proposal.objects.filter(
            request_id=proposal.request_id, status=ProposalStatus.PROPOSED
        ).update(status=ProposalStatus.WITHDRAWN, decided_at=now, status_changed_at=now)
        support_request = SupportRequest.objects.get(pk=proposal.request_id)
        notifications.notify(
            users=notifications.school_people(support_request),
            kind=NotificationKind.PROPOSAL_ACCEPTED,
            title=f"An expert accepted “{support_request.title}”",
            body="Times that suit both of you will follow shortly.",
            request_id=support_request.pk,
        )
        # Scheduling starts: a worker offers the school slots.
        events.record(Event.PROPOSAL_ACCEPTED, support_request_id=support_request.pk)
    return Proposal.objects.get(pk=proposal.pk)


def _check_acceptable(proposal: Proposal, expert: ExpertProfile, now: datetime) -> None:
    """Still proposed and not expired; the expert accepting work with capacity left this
    month (the caller holds the expert's lock, so the count includes every earlier accept)."""
    status, expires_at = Proposal.objects.values_list("status", "expires_at").get(pk=proposal.pk)
    if status != ProposalStatus.PROPOSED:
        raise _conflict(proposal.pk, "accepted")
    if expires_at <= now:
        raise ConflictError("This proposal has expired.", code="proposal_expired")
    if not expert.accepting_work:
        raise ConflictError(
            "Your profile is not accepting work (unverified, suspended or paused).",
            code="not_accepting_work",
        )
    accepted = Proposal.objects.filter(
        expert=expert,
        status=ProposalStatus.ACCEPTED,
        decided_at__gte=selectors.month_start(local_today()),
    ).count()
    if accepted >= expert.sessions_per_month:
        raise ConflictError(
            f"You have already accepted {accepted} of your {expert.sessions_per_month} "
            "sessions this month.",
            code="capacity_full",
            details={"accepted": accepted, "sessions_per_month": expert.sessions_per_month},
        )


def _move_to_accepted(proposal: Proposal, now: datetime) -> None:
    """Compare-and-swap; losing to another expert's accept (or the one-accepted-per-request
    index catching it) is a 409."""
    try:
        with transaction.atomic():
            moved = Proposal.objects.filter(pk=proposal.pk, status=ProposalStatus.PROPOSED).update(
                status=ProposalStatus.ACCEPTED, decided_at=now, status_changed_at=now
            )
    except IntegrityError:
        moved = 0
    if moved != 1:
        raise ConflictError(
            "Another expert has already accepted this request.", code="already_accepted"
        )


def proposal_decline(
    *, proposal: Proposal, by: User, reason: str, code: str = DeclineReason.OTHER
) -> Proposal:
    """``proposed → declined`` with the expert's reason (its ``DeclineReason`` code and
    their words); the request is matched again without them."""
    now = timezone.now()
    with transaction.atomic():
        moved = Proposal.objects.filter(pk=proposal.pk, status=ProposalStatus.PROPOSED).update(
            status=ProposalStatus.DECLINED,
            decline_reason=reason,
            decline_reason_code=code,
            decided_at=now,
            status_changed_at=now,
        )
        if moved != 1:
            raise _conflict(proposal.pk, "declined")
        _rematch(proposal.request_id, f"An expert declined: {reason}"[:500])
    return Proposal.objects.get(pk=proposal.pk)


def _rematch(request_id: int, reason: str) -> None:
    """After a decline or expiry: back to ``matching`` if no proposal is left, and a worker
    proposes a replacement (never the same expert)."""
    request = SupportRequest.objects.select_for_update().get(pk=request_id)
    if request.status != RequestStatus.PROPOSED:
        return
    if not Proposal.objects.filter(request_id=request_id, status=ProposalStatus.PROPOSED).exists():
        support_request_transition(
            support_request_id=request_id, to_status=RequestStatus.MATCHING, by=None, reason=reason
        )
    outbox.enqueue(PROPOSE_TASK, support_request_id=request_id)


def proposals_withdraw_for_request(*, support_request_id: int) -> int:
    """Live proposals of a cancelled request (``proposed | accepted → withdrawn``),
    releasing the experts: an accepted one no longer holds its expert's capacity this month
    nor counts as a session the school was given, as a cancelled session stops counting
    towards the expert's limits in scheduling."""
    now = timezone.now()
    return Proposal.objects.filter(
        request_id=support_request_id, status__in=LIVE_PROPOSAL_STATUSES
    ).update(status=ProposalStatus.WITHDRAWN, decided_at=now, status_changed_at=now)


def proposals_expire(*, batch: int = 200) -> int:
    """Overdue ``proposed → expired``, each request matched again. Rows another worker holds
    are skipped (``skip_locked``), so two beats never expire one proposal twice."""
    now = timezone.now()
    expired = 0
    with transaction.atomic():
        overdue = list(
            Proposal.objects.select_for_update(skip_locked=True)
            .filter(status=ProposalStatus.PROPOSED, expires_at__lte=now)
            .order_by("expires_at")
            .values_list("pk", "request_id")[:batch]
        )
        for proposal_id, request_id in overdue:
            Proposal.objects.filter(pk=proposal_id).update(
                status=ProposalStatus.EXPIRED, decided_at=now, status_changed_at=now
            )
            _rematch(request_id, "A proposal expired without an answer.")
            expired += 1
    return expired


def proposals_remind(*, batch: int = 200) -> int:
    """Tells each expert once, in-app and by email, about an undecided proposal nearing its
    expiry. Returns how many were reminded.

    The reminder is marked sent and its notification stored in one transaction; the email
    goes out after commit through the notifications' delivery, which claims each one before
    sending. So an email that fails is retried on its own, and none is sent twice.
    """
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Proposal.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=ProposalStatus.PROPOSED, remind_at__lte=now, reminder_sent_at=None)
            .select_related("expert__user", "request")
            .order_by("remind_at")[:batch]
        )
        Proposal.objects.filter(pk__in=[p.pk for p in due]).update(reminder_sent_at=now)
        notifications.notify_many(
            [
                Notification(
                    user=proposal.expert.user,
                    kind=NotificationKind.PROPOSAL_REMINDER,
                    title="A support request is waiting for your answer",
                    body=f"You were proposed for “{proposal.request.title}”. Please accept or "
                    f"decline by {answer_deadline(proposal)}; after that it goes to another "
                    "expert.",
                    request_id=proposal.request_id,
                )
                for proposal in due
            ]
        )
    return len(due)

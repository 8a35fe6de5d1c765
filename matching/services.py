"""Every write in matching: policies, proposals for one request, matching rounds over all
waiting requests, and the proposal lifecycle (accept, decline, expire, withdraw)."""

import logging
import time as clock
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from config.bulk import bulk_insert
from config.errors import ConflictError
from exchange import outbox
from exchange.enums import RequestStatus
from exchange.models import ExpertProfile, Notification, StatusChange, SupportRequest
from exchange.scheduling import notifications
from exchange.scheduling import services as scheduling
from exchange.scheduling.enums import NotificationKind
from exchange.services import support_request_transition
from matching import candidates, scoring, selectors, solver
from matching.enums import LIVE_PROPOSAL_STATUSES, ProposalStatus, RunStatus, RunTrigger
from matching.models import MatchingPolicy, MatchingRun, Proposal, UnmatchedRequest
from matching.school_days import add_school_days
from matching.selectors import LONDON, STALE_RUN, WAITING_STATUSES, local_today

logger = logging.getLogger(__name__)

PROPOSE_TASK = "matching.propose_for_request"
ROUND_TASK = "matching.run_round"
# Proposals expire at the end of the school day.
EXPIRY_TIME = time(17, 0)
# Scores are 0–100 with two decimals; the solver works in integers.
SCORE_SCALE = 100
CHUNK = 2000

# --- policy ---------------------------------------------------------------------------------

POLICY_FIELDS = [
    field.name
    for field in MatchingPolicy._meta.get_fields()
    if field.concrete
    and field.name not in {"id", "version", "is_active", "created_by", "created_at"}
]


def matching_policy_publish(*, by: User | None, **changes: Any) -> MatchingPolicy:
    """A new active version: the current one with ``changes`` applied. Old versions stay
    as they were, so every proposal still names the exact weights that produced it."""
    with transaction.atomic():
        current = _active_policy_locked()
        values = {name: getattr(current, name) for name in POLICY_FIELDS} if current else {}
        values.update({k: v for k, v in changes.items() if k in POLICY_FIELDS})
        latest = MatchingPolicy.objects.order_by("-version").values_list("version", flat=True)
        version = (latest.first() or 0) + 1
        MatchingPolicy.objects.filter(is_active=True).update(is_active=False)
        policy = MatchingPolicy(version=version, is_active=True, created_by=by, **values)
        policy.full_clean()
        policy.save()
    return policy


def _active_policy_locked() -> MatchingPolicy | None:
    """The active version, locked until the transaction ends; ``None`` only when no version
    is active at all.

    Two publishers queue on the active row's lock. When the first commits, that row is no
    longer active, so PostgreSQL skips it and the waiter's query returns nothing: building
    on that would silently reset the policy to the defaults. Asking again (a new statement
    sees what the first committed) locks the version the first published instead.
    """
    while True:
        current = MatchingPolicy.objects.select_for_update().filter(is_active=True).first()
        if current is not None or not MatchingPolicy.objects.filter(is_active=True).exists():
            return current


# --- writing proposals (one path for per-request proposals and rounds) ----------------------


def _expiry(policy: MatchingPolicy, today: date) -> tuple[datetime, datetime]:
    """When a proposal made today expires, and when its expert is reminded."""
    expires = add_school_days(today, policy.proposal_expiry_school_days)
    remind = add_school_days(
        today, policy.proposal_expiry_school_days - policy.expiry_reminder_school_days
    )
    return (
        datetime.combine(expires, EXPIRY_TIME, tzinfo=LONDON),
        datetime.combine(remind, EXPIRY_TIME, tzinfo=LONDON),
    )


def _breakdown(match: scoring.Match) -> list[dict[str, Any]]:
    return [
        {
            "criterion": c.criterion,
            "label": scoring.CRITERION_LABELS[c.criterion],
            "weight": c.weight,
            "value": round(c.value, 3),
            "points": round(c.points, 2),
            "explanation": c.explanation,
        }
        for c in match.criteria
    ]


def _write_proposals(
    *,
    matches: Sequence[scoring.Match],
    policy: MatchingPolicy,
    today: date,
    per_request: dict[int, int],
    run: MatchingRun | None = None,
    ranked_before: int = 0,
) -> list[Proposal]:
    """Creates proposals from ``matches`` (best first), at most ``per_request[id]`` per
    request and never beyond an expert's capacity, ranked after the ``ranked_before``
    proposals a request already has. Call inside a transaction.

    The experts' rows are locked (in id order, so two writers cannot deadlock) and their
    holds recounted, so a concurrent writer's proposals or accepts are seen.
    """
    expert_ids = sorted({m.expert_id for m in matches})
    capacity: dict[int, int] = {}
    for chunk in _pk_batches(expert_ids):
        capacity.update(
            ExpertProfile.objects.select_for_update()
            .filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", "sessions_per_month")
        )
    loads = {}
    for chunk in _pk_batches(expert_ids):
        loads.update(selectors.expert_loads(expert_ids=chunk, today=today))
    remaining = {pk: cap - loads.get(pk, 0) for pk, cap in capacity.items()}
    expires_at, remind_at = _expiry(policy, today)
    wanted = dict(per_request)
    ranks: Counter[int] = Counter(dict.fromkeys(wanted, ranked_before))
    proposals = []
    for match in matches:
        if wanted.get(match.request_id, 0) <= 0 or remaining.get(match.expert_id, 0) <= 0:
            continue
        wanted[match.request_id] -= 1
        remaining[match.expert_id] -= 1
        ranks[match.request_id] += 1
        proposals.append(
            Proposal(
                request_id=match.request_id,
                expert_id=match.expert_id,
                policy=policy,
                run=run,
                rank=ranks[match.request_id],
                score=match.score,
                delivery_format=match.delivery_format,
                distance_km=None if match.distance_km is None else round(match.distance_km, 2),
                breakdown=_breakdown(match),
                summary=match.summary,
                expires_at=expires_at,
                remind_at=remind_at,
            )
        )
    created = bulk_insert(proposals)
    _notify_experts(created)
    return created


def _notify_experts(proposals: Sequence[Proposal]) -> None:
    """Tells each proposed expert, in-app and by email (after commit): one notification for
    one proposal, and one digest for an expert a round proposed for several requests."""
    by_expert: dict[int, list[Proposal]] = {}
    for proposal in proposals:
        by_expert.setdefault(proposal.expert_id, []).append(proposal)
    users = dict(ExpertProfile.objects.filter(pk__in=by_expert.keys()).values_list("pk", "user_id"))
    notifications.notify_many(
        [_proposal_notification(users[expert_id], mine) for expert_id, mine in by_expert.items()]
    )


def _proposal_notification(user_id: int, proposals: Sequence[Proposal]) -> Notification:
    # Every proposal written together expires together.
    answer_by = f"Please accept or decline by {_deadline(proposals[0])}."
    if len(proposals) == 1:
        return Notification(
            user_id=user_id,
            kind=NotificationKind.PROPOSAL_NEW,
            title="You have been proposed for a support request",
            body=f"{proposals[0].summary}\n{answer_by}",
            request_id=proposals[0].request_id,
        )
    listed = "\n".join(f"- Request #{p.request_id}: {p.summary}" for p in proposals)
    return Notification(
        user_id=user_id,
        kind=NotificationKind.PROPOSAL_NEW,
        title=f"You have been proposed for {len(proposals)} support requests",
        body=f"{listed}\n{answer_by} Each is in your proposals inbox.",
    )


def _pk_batches(ids: Sequence[int]) -> Iterable[Any]:
    """What to filter ``pk__in`` by, batch after batch: on PostgreSQL every id at once, as
    one array parameter (tens of thousands of separate parameters cost more to bind and
    parse than the query takes to run); elsewhere chunks of ``CHUNK`` ids."""
    if connection.vendor == "postgresql":
        if ids:
            yield RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))
        return
    yield from _chunks(ids)


def _chunks(items: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- proposals for one request ----------------------------------------------------------------


def proposals_create_for_request(*, support_request_id: int) -> list[Proposal]:
    """Tops a waiting request up to the policy's N live proposals (``submitted | matching |
    unmatched | proposed → proposed``), or records why no expert could take it
    (``→ unmatched``). Safe to run twice: a request with N live proposals is left alone.
    """
    policy = selectors.matching_policy_active()
    today = local_today()
    with transaction.atomic():
        # Lock the request: a redelivered task or a round waits here, then sees our work.
        support_request = (
            SupportRequest.objects.select_for_update()
            .select_related("school")
            .get(pk=support_request_id)
        )
        if support_request.status not in (*WAITING_STATUSES, RequestStatus.PROPOSED):
            return []
        if support_request.status == RequestStatus.SUBMITTED:
            support_request = support_request_transition(
                support_request_id=support_request.pk, to_status=RequestStatus.MATCHING, by=None
            )
        previous = Proposal.objects.filter(request=support_request)
        live = previous.filter(status=ProposalStatus.PROPOSED).count()
        wanted = policy.proposals_per_request - live
        if wanted <= 0:
            return []
        experts = selectors.candidate_experts(
            support_request=support_request,
            policy=policy,
            today=today,
            # Never the same expert twice for one request: not after a decline or expiry.
            exclude_expert_ids=previous.values_list("expert_id", flat=True),
        )
        ranking = scoring.rank(
            selectors.request_facts(
                requests=SupportRequest.objects.filter(pk=support_request.pk), today=today
            )[0],
            selectors.expert_facts(
                experts=experts, today=today, horizon_weeks=policy.availability_weeks
            ),
            policy.scoring_policy(),
            today,
        )
        eligible = [m for m in ranking.matches if m.score >= policy.min_score]
        created = _write_proposals(
            matches=eligible,
            policy=policy,
            today=today,
            per_request={support_request.pk: wanted},
            # A top-up after a decline ranks below the proposals still live.
            ranked_before=previous.aggregate(rank=Max("rank"))["rank"] or 0,
        )
        if created and support_request.status != RequestStatus.PROPOSED:
            support_request_transition(
                support_request_id=support_request.pk,
                to_status=RequestStatus.PROPOSED,
                by=None,
                reason=f"{len(created)} experts proposed (policy v{policy.version}).",
            )
        elif not created and not live and support_request.status != RequestStatus.UNMATCHED:
            exclusions = (
                selectors.candidate_funnel(
                    support_request=support_request,
                    policy=policy,
                    today=today,
                    exclude_expert_ids=previous.values_list("expert_id", flat=True),
                )
                + ranking.exclusions
                + Counter({scoring.Exclusion.LOW_SCORE: len(ranking.matches) - len(eligible)})
            )
            reason = scoring.describe_exclusions(exclusions)
            support_request_transition(
                support_request_id=support_request.pk,
                to_status=RequestStatus.UNMATCHED,
                by=None,
                reason=reason[:500],
            )
    return created


# --- matching rounds ------------------------------------------------------------------------


def matching_round_run(
    *, trigger: str, by: User | None = None, objective: str | None = None
) -> MatchingRun:
    """Solves the capacitated assignment for every waiting request at once and proposes the
    chosen expert to each (``submitted | matching | unmatched → proposed``); requests left
    without one become ``unmatched``, each with its reason recorded on the run."""
    policy = selectors.matching_policy_active()
    run = _run_start(policy=policy, trigger=trigger, by=by, objective=objective)
    started = clock.perf_counter()
    timings: dict[str, int] = {}
    try:
        today = local_today()
        request_facts = selectors.request_facts(requests=selectors.waiting_requests(), today=today)
        # Never the same expert twice for one request: not after a decline or an expiry.
        proposed_before = selectors.proposed_pairs(requests=selectors.waiting_requests())
        expert_facts = selectors.expert_facts(
            experts=selectors.experts_accepting_work(today=today),
            today=today,
            horizon_weeks=policy.availability_weeks,
        )
        timings["load"] = _ms_since(started)
        mark = clock.perf_counter()
        graph = candidates.round_candidates(
            requests=request_facts,
            experts=expert_facts,
            policy=policy.scoring_policy(),
            today=today,
            per_request=policy.round_candidates_per_request,
            min_score=policy.min_score,
            proposed_before=proposed_before,
        )
        timings["candidates"] = _ms_since(mark)
        mark = clock.perf_counter()
        assignment = solver.solve_arrays(
            graph.request_ids,
            graph.expert_ids,
            np.rint(graph.scores * SCORE_SCALE).astype(np.int64),
            {e.id: e.remaining for e in expert_facts},
            run.objective,
        )
        timings["solve"] = _ms_since(mark)
        mark = clock.perf_counter()
        matched = _round_write(
            run=run,
            policy=policy,
            today=today,
            requests={r.id: r for r in request_facts},
            experts={e.id: e for e in expert_facts},
            assignment=assignment,
            graph=graph,
        )
        timings["write"] = _ms_since(mark)
        # What was written, not what was solved: the write skips requests a worker holds
        # (no row for them; the next round serves them) and pairs whose expert filled up.
        unmatched, objective_value = selectors.matching_run_outcome(
            run=run, score_scale=SCORE_SCALE
        )
    except Exception as error:
        MatchingRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            duration_ms=_ms_since(started),
            error=f"{type(error).__name__}: {error}"[:500],
        )
        raise
    MatchingRun.objects.filter(pk=run.pk).update(
        status=RunStatus.SUCCEEDED,
        finished_at=timezone.now(),
        duration_ms=_ms_since(started),
        requests_considered=len(request_facts),
        experts_considered=len(expert_facts),
        candidate_pairs=len(graph),
        matched_count=matched,
        unmatched_count=unmatched,
        objective_value=objective_value,
        timings_ms=timings,
    )
    run.refresh_from_db()
    return run


def matching_round_request(*, by: User) -> None:
    """Queues a round for a worker (an admin asked for one)."""
    with transaction.atomic():
        outbox.enqueue(ROUND_TASK, trigger=RunTrigger.ADMIN, by_user_id=by.pk)


def _ms_since(mark: float) -> int:
    return round((clock.perf_counter() - mark) * 1000)


def _run_start(
    *, policy: MatchingPolicy, trigger: str, by: User | None, objective: str | None
) -> MatchingRun:
    """One round at a time: a round that died with its worker is marked failed first."""
    MatchingRun.objects.filter(
        status=RunStatus.RUNNING, started_at__lt=timezone.now() - STALE_RUN
    ).update(status=RunStatus.FAILED, error="Abandoned: the worker stopped.")
    try:
        with transaction.atomic():
            return MatchingRun.objects.create(
                policy=policy,
                objective=objective or policy.objective,
                trigger=trigger,
                triggered_by=by,
            )
    except IntegrityError:
        raise ConflictError(
            "A matching round is already running; try again when it has finished.",
            code="round_running",
        ) from None


def _round_write(
    *,
    run: MatchingRun,
    policy: MatchingPolicy,
    today: date,
    requests: dict[int, scoring.RequestFacts],
    experts: dict[int, scoring.ExpertFacts],
    assignment: solver.Assignment,
    graph: "candidates.CandidateGraph",
) -> int:
    """Writes the round's proposals, status changes and unmatched reasons in one
    transaction. Requests that changed since they were read (cancelled, or served by a
    worker meanwhile) are skipped; returns how many requests got a proposal."""
    scoring_policy = policy.scoring_policy()
    now = timezone.now()
    with transaction.atomic():
        # Lock the requests still waiting; a worker busy with one (locked) is skipped.
        still_waiting: dict[int, str] = {}
        for chunk in _pk_batches(sorted(requests)):
            still_waiting.update(
                selectors.waiting_requests()
                .select_for_update(skip_locked=True, of=("self",))
                .filter(pk__in=chunk)
                .values_list("pk", "status")
            )
        matches = []
        for request_id, expert_id in assignment.pairs.items():
            if request_id not in still_waiting:
                continue
            result = scoring.evaluate(
                requests[request_id], experts[expert_id], scoring_policy, today, explain=True
            )
            if isinstance(result, scoring.Match):
                matches.append(result)
        created = _write_proposals(
            matches=matches,
            policy=policy,
            today=today,
            per_request={m.request_id: 1 for m in matches},
            run=run,
        )
        served = {p.request_id for p in created}
        unmatched = [pk for pk in still_waiting if pk not in served]
        _bulk_move(
            {pk: still_waiting[pk] for pk in served},
            RequestStatus.PROPOSED,
            now,
            f"Proposed by matching round #{run.pk} (policy v{policy.version}).",
        )
        _bulk_move(
            {pk: s for pk in unmatched if (s := still_waiting[pk]) != RequestStatus.UNMATCHED},
            RequestStatus.UNMATCHED,
            now,
            f"No expert available in matching round #{run.pk}.",
        )
        bulk_insert([_unmatched_reason(run, pk, graph) for pk in unmatched])
    return len(served)


def _unmatched_reason(
    run: MatchingRun, request_id: int, graph: "candidates.CandidateGraph"
) -> UnmatchedRequest:
    if request_id in graph.feasible:
        return UnmatchedRequest(
            run=run,
            request_id=request_id,
            reason=UnmatchedRequest.Reason.CAPACITY_TAKEN,
            explanation="Every suitable expert's capacity went to requests that scored higher.",
        )
    return UnmatchedRequest(
        run=run,
        request_id=request_id,
        reason=UnmatchedRequest.Reason.NO_FEASIBLE_EXPERT,
        explanation=scoring.describe_exclusions(graph.exclusions.get(request_id, Counter())),
    )


def _bulk_move(statuses: dict[int, str], to_status: str, now: datetime, reason: str) -> None:
    """Moves many locked requests at once, with the same audit trail as one transition."""
    ids = sorted(statuses)
    for chunk in _pk_batches(ids):
        SupportRequest.objects.filter(pk__in=chunk).update(status=to_status, status_changed_at=now)
    bulk_insert(
        [
            StatusChange(
                request_id=pk, from_status=statuses[pk], to_status=to_status, reason=reason
            )
            for pk in ids
        ]
    )


# --- the proposal lifecycle -----------------------------------------------------------------


def _conflict(proposal_id: int, action: str) -> ConflictError:
    current = Proposal.objects.values_list("status", flat=True).get(pk=proposal_id)
    return ConflictError(
        f"A proposal that is {current} cannot be {action}.",
        code="illegal_transition",
        details={"current_status": current},
    )


def proposal_accept(*, proposal: Proposal, by: User) -> Proposal:
    """``proposed → accepted``: the request becomes ``accepted`` and its other proposals are
    withdrawn.

    Concurrency: the expert's row is locked first, so accepts for one expert queue and each
    counts the ones before it against the monthly capacity; the proposal and the request
    move by compare-and-swap, so of two experts accepting one request only one wins; the
    partial unique constraint (one accepted proposal per request) is the backstop.
    """
    now = timezone.now()
    with transaction.atomic():
        expert = ExpertProfile.objects.select_for_update().get(pk=proposal.expert_id)
        status, expires_at = Proposal.objects.values_list("status", "expires_at").get(
            pk=proposal.pk
        )
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
        try:
            with transaction.atomic():
                moved = Proposal.objects.filter(
                    pk=proposal.pk, status=ProposalStatus.PROPOSED
                ).update(status=ProposalStatus.ACCEPTED, decided_at=now, status_changed_at=now)
        except IntegrityError:
            moved = 0
        if moved != 1:
            raise ConflictError(
                "Another expert has already accepted this request.", code="already_accepted"
            )
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
        scheduling.slots_offer_queue(support_request=support_request)
    return Proposal.objects.get(pk=proposal.pk)


def proposal_decline(*, proposal: Proposal, by: User, reason: str) -> Proposal:
    """``proposed → declined`` with the expert's reason; the request is matched again
    without them."""
    now = timezone.now()
    with transaction.atomic():
        moved = Proposal.objects.filter(pk=proposal.pk, status=ProposalStatus.PROPOSED).update(
            status=ProposalStatus.DECLINED,
            decline_reason=reason,
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
                    f"decline by {_deadline(proposal)}; after that it goes to another expert.",
                    request_id=proposal.request_id,
                )
                for proposal in due
            ]
        )
    return len(due)


def _deadline(proposal: Proposal) -> str:
    return f"{timezone.localtime(proposal.expires_at, LONDON):%A %d %B at %H:%M}"

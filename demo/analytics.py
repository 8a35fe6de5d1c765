"""The demo's past demand: a year of requests from the demo SENCO's school, its trust's other
schools and their neighbours, so the analytics (``/api/v1/analytics/…``) have figures big
enough to publish through suppression, for the demo coordinator's trust and for the admin.

These are history, written as rows (as ``bench/analytics.py`` does): requests submitted
over the past twelve months and since closed — most after an expert was accepted and a
session held, some given up while unmatched (with the matching round's reason), some
cancelled. A matched request has its accepted proposal, a few days after it was raised, and
about a third of them an earlier decline with its coded reason, so the flow shows waits and
decline reasons. None is live, so the demo's matching round and its other stories are
untouched.
Deterministic: the choices come from ``random.Random(2026)``.
"""

import random
from datetime import datetime, timedelta
from typing import cast

from django.utils import timezone

from accounts.models import School, User
from exchange.enums import RequestStatus as S
from exchange.models import ExpertProfile, Need, StatusChange, SupportRequest
from matching.enums import DeclineReason, Objective, ProposalStatus, RunStatus, RunTrigger
from matching.models import MatchingPolicy, MatchingRun, Proposal, UnmatchedRequest
from matching.selectors import matching_policy_active

TITLE = "Earlier request"
# Primary needs in the proportions the sector sees most (ASD, SEMH, SLCN first).
NEED_WEIGHTS = {"ASD": 9, "SEMH": 6, "SLCN": 5, "SPLD": 3, "MLD": 2}
MATCHED: list[tuple[str, str]] = [
    (S.SUBMITTED, S.PROPOSED),
    (S.PROPOSED, S.ACCEPTED),
    (S.ACCEPTED, S.SCHEDULED),
    (S.SCHEDULED, S.COMPLETED),
    (S.COMPLETED, S.CLOSED),
]
GAVE_UP: list[tuple[str, str]] = [(S.SUBMITTED, S.UNMATCHED), (S.UNMATCHED, S.CLOSED)]
CANCELLED: list[tuple[str, str]] = [(S.SUBMITTED, S.CANCELLED)]
# Why the earlier experts declined, in rough proportion.
DECLINE_WEIGHTS = {
    DeclineReason.NO_CAPACITY: 5,
    DeclineReason.TOO_FAR: 3,
    DeclineReason.TIMES: 3,
    DeclineReason.OUTSIDE_EXPERTISE: 2,
    DeclineReason.OTHER: 1,
}


def analytics_history_seed(*, schools: list[School], by: User, count: int = 220) -> int:
    """``count`` closed requests of the past year at ``schools`` (once: skipped when they
    exist). Returns how many there are."""
    if SupportRequest.objects.filter(title__startswith=TITLE).exists():
        return SupportRequest.objects.filter(title__startswith=TITLE).count()
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    needs = {need.code: need for need in Need.objects.filter(code__in=NEED_WEIGHTS)}
    now = timezone.now()
    made: list[tuple[SupportRequest, list[tuple[str, str]]]] = []
    for index in range(count):
        need = rng.choices(list(NEED_WEIGHTS), weights=list(NEED_WEIGHTS.values()))[0]
        # Most of it from the first schools (the SENCO's and its trust's), the rest around.
        school = schools[min(int(rng.expovariate(0.5)), len(schools) - 1)]
        roll = rng.random()
        moves = MATCHED if roll < 0.62 else GAVE_UP if roll < 0.88 else CANCELLED
        request = SupportRequest(
            school=school,
            created_by=by,
            title=f"{TITLE} #{index + 1}",
            scope="class",
            primary_need=needs[need],
            phase="secondary" if school.phase == "secondary" else "primary",
            sen_status="sen_support",
            context="An earlier request (demo history).",
            desired_outcome="Staff confident with the strategies.",
            format=rng.choice(["observation_visit", "consultation", "video_call"]),
            status=moves[-1][1],
            submitted_at=now - timedelta(days=rng.randint(20, 365), hours=rng.randint(0, 8)),
        )
        made.append((request, moves))
    requests = SupportRequest.objects.bulk_create([r for r, _ in made])
    SupportRequest.needs.through.objects.bulk_create(
        SupportRequest.needs.through(supportrequest_id=r.pk, need_id=r.primary_need_id)
        for r in requests
    )
    StatusChange.objects.bulk_create(
        StatusChange(request_id=r.pk, from_status=f, to_status=t, reason="Demo history.")
        for r, moves in made
        for f, t in moves
    )
    experts = list(ExpertProfile.objects.order_by("pk")[:12])
    matched = [r for r, moves in made if moves is MATCHED]
    if len(experts) >= 2:
        _proposals(rng, matched, experts, matching_policy_active())
    gave_up = [r for r, moves in made if moves is GAVE_UP]
    if gave_up:
        run = MatchingRun.objects.create(
            policy=matching_policy_active(),
            objective=Objective.MAX_SCORE,
            trigger=RunTrigger.COMMAND,
            status=RunStatus.SUCCEEDED,
            finished_at=now - timedelta(days=20),
            requests_considered=len(gave_up),
            unmatched_count=len(gave_up),
        )
        MatchingRun.objects.filter(pk=run.pk).update(started_at=now - timedelta(days=20))
        reasons = UnmatchedRequest.Reason.values
        UnmatchedRequest.objects.bulk_create(
            UnmatchedRequest(run=run, request=r, reason=reasons[i % len(reasons)])
            for i, r in enumerate(gave_up)
        )
    return len(requests)


def _proposals(
    rng: random.Random,
    requests: list[SupportRequest],
    experts: list[ExpertProfile],
    policy: MatchingPolicy,
) -> None:
    """Each matched request's accepted proposal, after an earlier decline for about a third."""
    proposals: list[tuple[Proposal, datetime]] = []
    for request in requests:
        chosen, other = rng.sample(experts, 2)
        submitted = cast(datetime, request.submitted_at)  # every history request has one
        proposed_at = submitted + timedelta(days=rng.uniform(1, 12))
        if rng.random() < 0.35:
            code = rng.choices(list(DECLINE_WEIGHTS), weights=list(DECLINE_WEIGHTS.values()))[0]
            declined = _proposal(request, other, policy, proposed_at, ProposalStatus.DECLINED, code)
            proposals.append((declined, proposed_at))
            proposed_at += timedelta(days=rng.uniform(1, 6))
        accepted = _proposal(request, chosen, policy, proposed_at, ProposalStatus.ACCEPTED)
        proposals.append((accepted, proposed_at))
    written = Proposal.objects.bulk_create(p for p, _ in proposals)
    # ``created_at`` is set on insert (``auto_now_add``): put each back to its own time.
    for proposal, (_, at) in zip(written, proposals, strict=True):
        proposal.created_at = proposal.status_changed_at = at
    Proposal.objects.bulk_update(written, ["created_at", "status_changed_at"])


def _proposal(
    request: SupportRequest,
    expert: ExpertProfile,
    policy: MatchingPolicy,
    at: datetime,
    status: str,
    code: str = "",
) -> Proposal:
    return Proposal(
        request=request,
        expert=expert,
        policy=policy,
        status=status,
        score=60,
        delivery_format=request.format,  # the history's requests name one format
        expires_at=at + timedelta(days=14),
        remind_at=at + timedelta(days=10),
        decided_at=at + timedelta(days=1),
        decline_reason=DeclineReason(code).label if code else "",
        decline_reason_code=code,
        summary="Demo history.",
    )

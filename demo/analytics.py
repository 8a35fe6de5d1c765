"""The demo's past demand: a year of requests from the demo SENCO's school, its trust's other
schools and their neighbours, so the analytics (``/api/v1/analytics/…``) have figures big
enough to publish through suppression, for the demo coordinator's trust and for the admin.

These are history, written as rows (as ``bench/analytics.py`` does): requests submitted
over the past twelve months and since closed — most after an expert was accepted and a
session held, some given up while unmatched (with the matching round's reason), some
cancelled. None is live, so the demo's matching round and its other stories are untouched.
Deterministic: the choices come from ``random.Random(2026)``.
"""

import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import School, User
from exchange.enums import RequestStatus as S
from exchange.models import Need, StatusChange, SupportRequest
from matching.enums import Objective, RunStatus, RunTrigger
from matching.models import MatchingRun, UnmatchedRequest
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

"""Matching rounds: the capacitated assignment of every waiting request at once."""

import time as clock
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from config.bulk import insert_values, pk_batches
from config.errors import ConflictError
from config.metrics import MATCHING_ROUND_SECONDS
from exchange import outbox
from exchange.enums import RequestStatus
from exchange.services import support_requests_transition_bulk
from matching import candidates, scoring, selectors, solver
from matching.enums import RunStatus, RunTrigger, UnmatchedReason
from matching.models import MatchingPolicy, MatchingRun, UnmatchedRequest
from matching.selectors import STALE_RUN, local_today
from matching.services.proposals import proposals_write_rows
from matching.unmet import unmatched_reason

ROUND_TASK = "matching.run_round"
# Scores are 0–100 with two decimals; the solver works in integers.
SCORE_SCALE = 100


def matching_round_run(
    *, trigger: str, by: User | None = None, objective: str | None = None
) -> MatchingRun:
    """Solves the capacitated assignment for every waiting request at once and proposes the
    chosen expert to each (``submitted | matching | unmatched → proposed``); requests left
    without one become ``unmatched``, each with its reason recorded on the run."""
    policy = selectors.matching_policy_active()
    run = _run_start(policy=policy, trigger=trigger, by=by, objective=objective)
    watch = _Stopwatch()
    try:
        today = local_today()
        with watch.stage("load"):
            request_facts, expert_facts, proposed_before = round_facts(policy=policy, today=today)
        with watch.stage("candidates"):
            graph = round_graph(
                policy=policy,
                today=today,
                request_facts=request_facts,
                expert_facts=expert_facts,
                proposed_before=proposed_before,
            )
        with watch.stage("solve"):
            assignment = solver.solve_arrays(
                graph.request_ids,
                graph.expert_ids,
                np.rint(graph.scores * SCORE_SCALE).astype(np.int64),
                {e.id: e.remaining for e in expert_facts},
                run.objective,
            )
        with watch.stage("write"):
            matched = _round_write(
                run=run,
                policy=policy,
                today=today,
                requests={r.id: r for r in request_facts},
                experts={e.id: e for e in expert_facts},
                assignment=assignment,
                graph=graph,
                watch=watch,
            )
        # What was written, not what was solved: the write skips requests a worker holds
        # (no row for them; the next round serves them) and pairs whose expert filled up.
        unmatched, objective_value = selectors.matching_run_outcome(
            run=run, score_scale=SCORE_SCALE
        )
    except Exception as error:
        _run_finish(run, watch, RunStatus.FAILED, error=f"{type(error).__name__}: {error}"[:500])
        raise
    _run_finish(
        run,
        watch,
        RunStatus.SUCCEEDED,
        requests_considered=len(request_facts),
        experts_considered=len(expert_facts),
        candidate_pairs=len(graph),
        matched_count=matched,
        unmatched_count=unmatched,
        objective_value=objective_value,
        timings_ms=watch.timings,
    )
    run.refresh_from_db()
    return run


def _run_finish(run: MatchingRun, watch: "_Stopwatch", status: str, **outcome: Any) -> None:
    MATCHING_ROUND_SECONDS.labels(status).observe(watch.elapsed_ms() / 1000)
    MatchingRun.objects.filter(pk=run.pk).update(
        status=status, finished_at=timezone.now(), duration_ms=watch.elapsed_ms(), **outcome
    )


class _Stopwatch:
    """The round's wall clock and each stage's milliseconds (``MatchingRun.timings_ms``)."""

    def __init__(self) -> None:
        self.started = clock.perf_counter()
        self.timings: dict[str, int] = {}
        self._step: tuple[str, float] | None = None

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        mark = clock.perf_counter()
        yield
        self.timings[name] = _ms_since(mark)

    def start(self, name: str) -> None:
        """Starts timing ``name``, ending the step started before it (if any)."""
        self.stop()
        self._step = (name, clock.perf_counter())

    def stop(self) -> None:
        if self._step is not None:
            name, mark = self._step
            self.timings[name] = _ms_since(mark)
            self._step = None

    def elapsed_ms(self) -> int:
        return _ms_since(self.started)


def round_facts(
    *, policy: MatchingPolicy, today: date
) -> tuple[list[scoring.RequestFacts], list[scoring.ExpertFacts], tuple[np.ndarray, np.ndarray]]:
    """A round's reads: every waiting request, every expert accepting work, and the
    (request, expert) pairs proposed before, which are never proposed again (not after a
    decline or an expiry). ``bench/matching.py`` times this step alone."""
    request_facts = selectors.request_facts(requests=selectors.waiting_requests(), today=today)
    proposed_before = selectors.proposed_pairs(requests=selectors.waiting_requests())
    expert_facts = selectors.expert_facts(
        experts=selectors.experts_accepting_work(today=today),
        today=today,
        horizon_weeks=policy.availability_weeks,
    )
    return request_facts, expert_facts, proposed_before


def round_graph(
    *,
    policy: MatchingPolicy,
    today: date,
    request_facts: list[scoring.RequestFacts],
    expert_facts: list[scoring.ExpertFacts],
    proposed_before: tuple[np.ndarray, np.ndarray],
) -> "candidates.CandidateGraph":
    """The round's candidate graph under ``policy``."""
    return candidates.round_candidates(
        requests=request_facts,
        experts=expert_facts,
        policy=policy.scoring_policy(),
        today=today,
        per_request=policy.round_candidates_per_request,
        min_score=policy.min_score,
        proposed_before=proposed_before,
    )


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
    watch: "_Stopwatch",
) -> int:
    """Writes the round's proposals, status changes and unmatched reasons in one
    transaction. Requests that changed since they were read (cancelled, or served by a
    worker meanwhile) are skipped; returns how many requests got a proposal. Each step's
    time is in ``timings_ms`` as ``write.<step>``."""
    scoring_policy = policy.scoring_policy()
    now = timezone.now()
    with transaction.atomic():
        with watch.stage("write.lock"):
            # Lock the requests still waiting; a worker busy with one (locked) is skipped.
            still_waiting: dict[int, str] = {}
            for chunk in pk_batches(sorted(requests)):
                still_waiting.update(
                    selectors.waiting_requests()
                    .select_for_update(skip_locked=True, of=("self",))
                    .filter(pk__in=chunk)
                    .values_list("pk", "status")
                )
        with watch.stage("write.explain"):
            matches = []
            for request_id, expert_id in assignment.pairs.items():
                if request_id not in still_waiting:
                    continue
                result = scoring.evaluate(
                    requests[request_id], experts[expert_id], scoring_policy, today, explain=True
                )
                if isinstance(result, scoring.Match):
                    matches.append(result)
        with watch.stage("write.proposals"):
            created = proposals_write_rows(matches=matches, policy=policy, today=today, run=run)
        served = {p.request_id for p in created}
        unmatched = [pk for pk in still_waiting if pk not in served]
        watch.start("write.statuses")
        support_requests_transition_bulk(
            statuses={pk: still_waiting[pk] for pk in served},
            to_status=RequestStatus.PROPOSED,
            reason=f"Proposed by matching round #{run.pk} (policy v{policy.version}).",
            now=now,
        )
        support_requests_transition_bulk(
            statuses={
                pk: s for pk in unmatched if (s := still_waiting[pk]) != RequestStatus.UNMATCHED
            },
            to_status=RequestStatus.UNMATCHED,
            reason=f"No expert available in matching round #{run.pk}.",
            now=now,
        )
        watch.start("write.unmatched")
        insert_values(
            UnmatchedRequest,
            ("run_id", "request_id", "reason", "explanation"),
            [(run.pk, pk, *_unmatched_reason(pk, graph)) for pk in unmatched],
        )
        # The deferred foreign-key checks of every row written run at COMMIT.
        watch.start("write.commit")
    watch.stop()
    return len(served)


def _unmatched_reason(request_id: int, graph: "candidates.CandidateGraph") -> tuple[str, str]:
    """Why a request of the round got no proposal: its reason and explanation. Most share
    them (a national round leaves ~30,000), so they are written as plain values."""
    if request_id in graph.feasible:
        return (
            UnmatchedReason.CAPACITY_TAKEN,
            "Every suitable expert's capacity went to requests that scored higher.",
        )
    exclusions = graph.exclusions.get(request_id, Counter())
    return unmatched_reason(exclusions), scoring.describe_exclusions(exclusions)

"""The candidate graph of a matching round: which experts each waiting request may get.

Pure (no ORM). A round sees every waiting request and every expert with capacity, so the
coarse filters — a shared need, the phase, the reach on the British National Grid — run as
vectorised NumPy over all experts at once; only the nearest few that pass are scored in
full — by ``vectorised.evaluate_pairs``, ``scoring.evaluate`` for many pairs at once, bit
for bit — and the best ``per_request`` of those become the solver's edges. The solver is
exact over this graph. Only the pairs a round proposes are explained (``scoring.evaluate``).
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from exchange.enums import IN_PERSON_FORMATS
from matching.scoring import (
    Exclusion,
    ExpertFacts,
    RequestFacts,
    ScoringPolicy,
    acceptable_formats,
    usable_needs,
)
from matching.vectorised import REASONS, build_tables, evaluate_pairs

# Scored in full per request, as a multiple of the edges kept.
SCORED_PER_EDGE = 3


def _empty_ints() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


@dataclass(slots=True)
class CandidateGraph:
    """The solver's edges as parallel arrays: for each request (in the order given) its
    best pairs, best first (score, then nearer, then lower expert id)."""

    request_ids: np.ndarray = field(default_factory=_empty_ints)
    expert_ids: np.ndarray = field(default_factory=_empty_ints)
    # 0–100, rounded to two decimals exactly as ``scoring.evaluate`` rounds them.
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # Requests with at least one feasible expert.
    feasible: set[int] = field(default_factory=set)
    # For requests with none: how many experts each hard constraint excluded.
    exclusions: dict[int, Counter[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.request_ids)


def round_candidates(
    *,
    requests: Sequence[RequestFacts],
    experts: Sequence[ExpertFacts],
    policy: ScoringPolicy,
    today: date,
    per_request: int,
    min_score: float,
) -> CandidateGraph:
    graph = CandidateGraph()
    pool = [e for e in experts if e.remaining > 0]
    if not pool:
        for request in requests:
            graph.exclusions[request.id] = Counter({Exclusion.NO_CAPACITY: len(experts)})
        return graph
    pair_requests, pair_experts, beyond = _nearest(requests, pool, policy, per_request)
    tables = build_tables(requests, pool, policy, today)
    scored = evaluate_pairs(tables, pair_requests, pair_experts)
    fits = scored.reason == 0
    eligible = fits & (scored.score >= min_score)

    # Best first within each request: score, then distance (unknown as 0), then expert id.
    expert_ids = np.array([e.id for e in pool], dtype=np.int64)[pair_experts]
    chosen = np.flatnonzero(eligible)
    order = chosen[
        np.lexsort(
            (
                expert_ids[chosen],
                np.nan_to_num(scored.distance[chosen], nan=0.0),
                -scored.score[chosen],
                pair_requests[chosen],
            )
        )
    ]
    ranked_requests = pair_requests[order]
    starts = np.searchsorted(ranked_requests, ranked_requests, side="left")
    top = order[np.arange(len(order)) - starts < per_request]
    request_ids = np.array([r.id for r in requests], dtype=np.int64)
    graph.request_ids = request_ids[pair_requests[top]]
    graph.expert_ids = expert_ids[top]
    graph.scores = scored.score[top]
    graph.feasible = set(graph.request_ids.tolist())

    # Requests with no candidate: why each scored expert was excluded, and how many were
    # beyond reach of the coarse filter.
    reasons = np.where(fits, REASONS.index(Exclusion.LOW_SCORE), scored.reason)
    has_match = np.zeros(len(requests), dtype=bool)
    has_match[pair_requests[top]] = True
    for index in np.flatnonzero(~has_match).tolist():
        excluded: Counter[str] = Counter()
        graph.exclusions[requests[index].id] = excluded
        if beyond[index]:
            excluded[Exclusion.TOO_FAR] += int(beyond[index])
    unserved = np.flatnonzero(~has_match[pair_requests])
    for index, code in zip(
        pair_requests[unserved].tolist(), reasons[unserved].tolist(), strict=True
    ):
        graph.exclusions[requests[index].id][REASONS[code]] += 1
    return graph


def _nearest(
    requests: Sequence[RequestFacts],
    pool: Sequence[ExpertFacts],
    policy: ScoringPolicy,
    per_request: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The coarse filter: for each request, the ``per_request × SCORED_PER_EDGE`` nearest
    experts (ties: pool order) sharing a need and the phase and within reach. Returns the
    pairs (request index, pool index) and, per request, how many experts shared a need and
    the phase but were out of reach."""
    need_bits = {
        code: 1 << i for i, code in enumerate(sorted({c for r in requests for c in r.needs}))
    }
    phase_bits = {phase: 1 << i for i, phase in enumerate(sorted({r.phase for r in requests}))}

    def mask(codes: Iterable[str], bits: dict[str, int]) -> int:
        return sum(bits.get(code, 0) for code in codes)

    expert_needs = np.array([mask(usable_needs(e), need_bits) for e in pool], dtype=np.int64)
    expert_phases = np.array([mask(e.phases, phase_bits) for e in pool], dtype=np.int64)
    east = np.array([np.nan if e.easting is None else e.easting for e in pool], dtype=float)
    north = np.array([np.nan if e.northing is None else e.northing for e in pool], dtype=float)
    travel = np.array([e.max_travel_km for e in pool], dtype=float)
    keep = per_request * SCORED_PER_EDGE
    chosen_per_request: list[np.ndarray] = [_empty_ints()] * len(requests)
    beyond = np.zeros(len(requests), dtype=np.int64)
    nowhere = np.zeros(len(pool), dtype=bool)
    # Shared by many requests, so computed once: who covers a need set in a phase, and each
    # school's distances and reach (schools raise several requests).
    covers_cache: dict[tuple[int, str], tuple[np.ndarray, int]] = {}
    by_location: dict[tuple[int, int] | None, list[int]] = {}
    for index, request in enumerate(requests):
        located = request.easting is not None and request.northing is not None
        key = (request.easting, request.northing) if located else None
        by_location.setdefault(key, []).append(index)  # type: ignore[arg-type]

    for location, indexes in by_location.items():
        if location is None:
            # Unknown location: only a remote format can serve it, at any distance.
            distance = np.zeros(len(pool))
            reach_ok = {True: ~nowhere, False: nowhere}
        else:
            distance = np.hypot(east - location[0], north - location[1]) / 1000
            unknown = np.isnan(distance)
            reach_ok = {
                True: (distance <= np.maximum(travel, policy.video_reach_km)) | unknown,
                False: distance <= travel,
            }
        for index in indexes:
            request = requests[index]
            need_key = (mask(request.needs, need_bits), request.phase)
            if need_key not in covers_cache:
                covers = ((expert_needs & need_key[0]) != 0) & (
                    (expert_phases & phase_bits[request.phase]) != 0
                )
                covers_cache[need_key] = (covers, int(np.count_nonzero(covers)))
            covers, covering = covers_cache[need_key]
            formats = acceptable_formats(request.format, request.video_acceptable)
            remote = any(f not in IN_PERSON_FORMATS for f in formats)
            chosen = np.flatnonzero(covers & reach_ok[remote])
            beyond[index] = covering - len(chosen)
            if len(chosen) > keep:
                chosen = _nearest_k(chosen, distance[chosen], keep)
            chosen_per_request[index] = chosen
    sizes = [len(c) for c in chosen_per_request]
    pair_requests = np.repeat(np.arange(len(requests), dtype=np.int64), sizes)
    pair_experts = (
        np.concatenate(chosen_per_request).astype(np.int64) if chosen_per_request else _empty_ints()
    )
    return pair_requests, pair_experts, beyond


def _nearest_k(chosen: np.ndarray, distance: np.ndarray, keep: int) -> np.ndarray:
    """The ``keep`` entries of ``chosen`` with the smallest ``distance`` (NaN last), ties
    going to the earlier entry — the set a stable argsort's first ``keep`` would give —
    in linear time."""
    kth = np.partition(distance, keep - 1)[keep - 1]
    if np.isnan(kth):
        take = ~np.isnan(distance)
        tied = np.flatnonzero(~take)
    else:
        take = distance < kth
        tied = np.flatnonzero(distance == kth)
    take[tied[: keep - int(np.count_nonzero(take))]] = True
    return chosen[take]

"""The candidate graph of a matching round: which experts each waiting request may get.

Pure (no ORM). A round sees every waiting request and every expert with capacity, so the
coarse filter runs as vectorised NumPy over all experts at once: every hard constraint of
``scoring.HARD_CONSTRAINTS`` and the delivery format's rules (through
``vectorised.Feasibility``), and no expert already proposed for the request. Only the
nearest few that pass are scored in full — by ``vectorised.evaluate_pairs``, which runs
``scoring``'s own criteria on arrays — and the best ``per_request`` of those become the
solver's edges, in ``scoring.ranking_key``'s order. The solver is exact over this graph.
Only the pairs a round proposes are explained (``scoring.evaluate``).
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from matching.scoring import (
    CODE,
    HARD_CONSTRAINTS,
    REASONS,
    Exclusion,
    ExpertFacts,
    RequestFacts,
    ScoringPolicy,
    negate,
    ranking_key,
    unknown_last,
)
from matching.vectorised import (
    Feasibility,
    Ints,
    Tables,
    TableView,
    build_tables,
    distances_from,
    distances_km,
    evaluate_pairs,
    exclusion_reasons,
)

# Scored in full per request, as a multiple of the edges kept.
SCORED_PER_EDGE = 3
# The coarse filter looks for a request's nearest experts within these distances of its
# school first (km), then among every expert (``_nearest``).
NEAR_RADII_KM = (30.0, 60.0)
# Schools are taken in square blocks of this side (metres), each against the experts near it.
BLOCK_M = 20_000.0
# At most this many [request, expert] cells in one block's matrices (memory, not speed).
MATRIX_CELLS = 1_000_000
# The square searched reaches this far beyond the radius, so no rounding of a distance
# can put an expert inside the radius but outside the square.
SQUARE_MARGIN_M = 1.0


def _empty_ints() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


@dataclass(slots=True)
class CandidateGraph:
    """The solver's edges as parallel arrays: for each request (in the order given) its
    best pairs, best first (``scoring.ranking_key``: score, then nearer with an unknown
    distance last, then lower expert id)."""

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
    proposed_before: tuple[np.ndarray, np.ndarray] | None = None,
) -> CandidateGraph:
    """``proposed_before`` holds (request id, expert id) pairs as two parallel arrays: the
    pairs that already had a proposal, of any status, which a round never proposes again."""
    graph = CandidateGraph()
    pool = [e for e in experts if e.remaining > 0]
    if not pool:
        for request in requests:
            graph.exclusions[request.id] = Counter({Exclusion.NO_CAPACITY: len(experts)})
        return graph
    tables = build_tables(requests, pool, policy, today)
    expert_ids = np.array([e.id for e in pool], dtype=np.int64)
    request_ids = np.array([r.id for r in requests], dtype=np.int64)
    before = _pairs_by_request(request_ids, expert_ids, proposed_before)
    pair_requests, pair_experts = _nearest(tables, expert_ids, before, per_request)
    scored = evaluate_pairs(tables, pair_requests, pair_experts)
    eligible = (scored.reason == 0) & (scored.score >= min_score)

    # Best first within each request, in ``ranking_key``'s order (lexsort's last key leads).
    pair_expert_ids = expert_ids[pair_experts]
    chosen = np.flatnonzero(eligible)
    keys = ranking_key(scored.score[chosen], scored.distance[chosen], pair_expert_ids[chosen])
    order = chosen[np.lexsort((*reversed(keys), pair_requests[chosen]))]
    ranked_requests = pair_requests[order]
    starts = np.searchsorted(ranked_requests, ranked_requests, side="left")
    top = order[np.arange(len(order)) - starts < per_request]
    graph.request_ids = request_ids[pair_requests[top]]
    graph.expert_ids = pair_expert_ids[top]
    graph.scores = scored.score[top]
    graph.feasible = set(graph.request_ids.tolist())
    has_match = np.zeros(len(requests), dtype=bool)
    has_match[pair_requests[top]] = True
    unserved = np.flatnonzero(~has_match)
    if len(unserved):
        graph.exclusions = _exclusions(tables, unserved, before)
    return graph


def _pairs_by_request(
    request_ids: np.ndarray,
    expert_ids: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray] | None,
) -> dict[int, np.ndarray]:
    """The (request id, expert id) pairs as request index → sorted pool indexes of its
    experts; pairs of requests or experts not in the round are dropped."""
    if pairs is None or not len(pairs[0]):
        return {}
    requests = np.asarray(pairs[0], dtype=np.int64)
    experts = np.asarray(pairs[1], dtype=np.int64)
    request_order = np.argsort(request_ids, kind="stable")
    expert_order = np.argsort(expert_ids, kind="stable")
    r = np.minimum(
        np.searchsorted(request_ids, requests, sorter=request_order), len(request_ids) - 1
    )
    e = np.minimum(np.searchsorted(expert_ids, experts, sorter=expert_order), len(expert_ids) - 1)
    r, e = request_order[r], expert_order[e]
    known = (request_ids[r] == requests) & (expert_ids[e] == experts)
    r, e = r[known], e[known]
    order = np.lexsort((e, r))
    r, e = r[order], e[order]
    bounds = np.flatnonzero(np.diff(r)) + 1
    return {
        int(group[0]): experts_of
        for group, experts_of in zip(np.split(r, bounds), np.split(e, bounds), strict=True)
        if len(group)
    }


def _nearest(
    tables: Tables,
    expert_ids: np.ndarray,
    before: dict[int, np.ndarray],
    per_request: int,
    radii_km: Sequence[float] = NEAR_RADII_KM,
) -> tuple[np.ndarray, np.ndarray]:
    """The coarse filter: for each request, the ``per_request × SCORED_PER_EDGE`` nearest
    experts (``nearest_k``) who pass every hard constraint and were not proposed for it
    before. Returns the pairs (request index, pool index).

    Most requests find theirs near their school, among the experts within the first of
    ``radii_km`` (``_nearest_within``, many requests at once); the others are looked for
    within the next radius, then among every expert, request by request."""
    feasibility = Feasibility(tables)
    keep = per_request * SCORED_PER_EDGE
    n_requests = len(tables.requests)
    chosen_per_request: list[np.ndarray] = [_empty_ints()] * n_requests
    left = np.arange(n_requests, dtype=np.int64)
    for radius in radii_km if keep > 0 else ():
        left = _nearest_within(
            tables, feasibility, expert_ids, left, before, keep, radius, chosen_per_request
        )
    # Schools raise several requests: distances and reach are computed once per location.
    by_location: dict[tuple[float, float] | None, list[int]] = {}
    for index in left.tolist():
        east, north = float(tables.r_east[index]), float(tables.r_north[index])
        key = None if np.isnan(east) or np.isnan(north) else (east, north)
        by_location.setdefault(key, []).append(index)

    for indexes in by_location.values():
        distance = distances_from(tables, indexes[0])
        visit_ok, remote_ok = feasibility.deliverable(distance)
        for index in indexes:
            chosen = feasibility.experts(index, visit_ok, remote_ok)
            if index in before:
                chosen = chosen[~np.isin(chosen, before[index], assume_unique=True)]
            if len(chosen) > keep:
                chosen = nearest_k(chosen, distance[chosen], expert_ids[chosen], keep)
            chosen_per_request[index] = chosen
    sizes = [len(c) for c in chosen_per_request]
    pair_requests = np.repeat(np.arange(n_requests, dtype=np.int64), sizes)
    pair_experts = (
        np.concatenate(chosen_per_request).astype(np.int64) if chosen_per_request else _empty_ints()
    )
    return pair_requests, pair_experts


def _nearest_within(
    tables: Tables,
    feasibility: Feasibility,
    expert_ids: Ints,
    requests: Ints,
    before: dict[int, np.ndarray],
    keep: int,
    radius_km: float,
    chosen_per_request: list[np.ndarray],
) -> Ints:
    """The nearest ``keep`` experts who can take each of ``requests`` (``_nearest``'s)
    when at least that many within ``radius_km`` of its school can: they are then the
    nearest, as every expert beyond is farther than each of them. Written into
    ``chosen_per_request``; returns the requests left (fewer within the radius, or a
    school of unknown location).

    Many requests at once: schools in square blocks of ``BLOCK_M``, each block's requests
    against the experts near it as [request, expert] matrices (``Feasibility.matrix``), so
    a request costs a few rows of arrays instead of a dozen calls over every expert."""
    t = tables
    located = np.flatnonzero(~np.isnan(t.east) & ~np.isnan(t.north))
    known = ~np.isnan(t.r_east[requests]) & ~np.isnan(t.r_north[requests])
    left = [requests[~known]]
    requests = requests[known]
    if not len(requests) or not len(located):
        return np.concatenate([*left, requests])
    east, north = t.r_east[requests], t.r_north[requests]
    column = ((east - east.min()) // BLOCK_M).astype(np.int64)
    row = ((north - north.min()) // BLOCK_M).astype(np.int64)
    order = np.lexsort((column, row))
    requests, block = requests[order], (row * (int(column.max()) + 1) + column)[order]
    # Every expert within the radius of a school is inside its block's square widened by
    # the radius (and a margin against rounding).
    reach = radius_km * 1000 + SQUARE_MARGIN_M
    expert_east, expert_north = t.east[located], t.north[located]
    for rows in np.split(requests, np.flatnonzero(np.diff(block)) + 1):
        east, north = t.r_east[rows], t.r_north[rows]
        near = located[
            (expert_east >= east.min() - reach)
            & (expert_east <= east.max() + reach)
            & (expert_north >= north.min() - reach)
            & (expert_north <= north.max() + reach)
        ]
        if not len(near):
            left.append(rows)
            continue
        # Bounded matrices: a crowded block is taken a slice of its requests at a time.
        step = max(1, MATRIX_CELLS // len(near))
        for start in range(0, len(rows), step):
            part = rows[start : start + step]
            left.append(
                _nearest_in_block(
                    t,
                    feasibility,
                    part,
                    near,
                    expert_ids[near],
                    before,
                    keep,
                    radius_km,
                    chosen_per_request,
                )
            )
    return np.sort(np.concatenate(left))


def _nearest_in_block(
    tables: Tables,
    feasibility: Feasibility,
    rows: Ints,
    near: Ints,
    near_ids: Ints,
    before: dict[int, np.ndarray],
    keep: int,
    radius_km: float,
    chosen_per_request: list[np.ndarray],
) -> Ints:
    """``_nearest_within`` for the requests ``rows`` against the experts ``near``
    (ascending; their ids ``near_ids``); returns the requests left."""
    distance = distances_km(tables, rows[:, None], near[None, :])
    mask = feasibility.matrix(rows, near, distance) & (distance <= radius_km)
    for i, index in enumerate(rows.tolist()):
        if index in before:
            mask[i, np.isin(near, before[index])] = False
    counts = mask.sum(axis=1)
    enough = np.flatnonzero(counts >= keep)
    if not len(enough):
        return rows
    take = mask[enough]
    over = np.flatnonzero(counts[enough] > keep)
    if len(over):
        take[over] = _nearest_rows(
            np.where(take[over], distance[enough[over]], np.inf), near_ids, keep
        )
    which, column = np.nonzero(take)
    bounds = np.flatnonzero(np.diff(which)) + 1
    for index, chosen in zip(rows[enough].tolist(), np.split(near[column], bounds), strict=True):
        chosen_per_request[index] = chosen
    return np.delete(rows, enough)


def _nearest_rows(distance: np.ndarray, expert_ids: Ints, keep: int) -> np.ndarray:
    """``nearest_k`` row by row: [row, column], whether the column is among the row's
    ``keep`` nearest — nearer first, then the lower expert id (``scoring.ranking_key``'s
    order). ``distance`` is infinite where a column is not a candidate, and each row has
    more than ``keep`` candidates, all of known distance."""
    kth = np.partition(distance, keep - 1, axis=1)[:, keep - 1 : keep]
    take = distance < kth
    tied = distance == kth
    missing = keep - take.sum(axis=1)
    simple = tied.sum(axis=1) == missing
    take[simple] |= tied[simple]
    # Ties at the cut: the lower expert ids (rare).
    for row in np.flatnonzero(~simple).tolist():
        columns = np.flatnonzero(tied[row])
        columns = columns[np.argsort(expert_ids[columns], kind="stable")[: missing[row]]]
        take[row, columns] = True
    return take


def _exclusions(
    tables: Tables, unserved: np.ndarray, before: dict[int, np.ndarray]
) -> dict[int, Counter[str]]:
    """Why each request without an edge has none, over the experts with capacity who share
    one of its needs and its phase: the first hard constraint each fails, in
    ``scoring.evaluate``'s order; an expert proposed for it before; or, for one who fits,
    a score below the minimum (the nearest few were scored, all below it)."""
    covering_rules = [
        failing
        for code, _, failing in HARD_CONSTRAINTS
        if code in (Exclusion.NO_NEED_OVERLAP, Exclusion.PHASE)
    ]
    pair_requests: list[np.ndarray] = []
    pair_experts: list[np.ndarray] = []
    pair_proposed: list[np.ndarray] = []
    for index in unserved.tolist():
        covers = np.ones(len(tables.accepting), dtype=bool)
        everyone = TableView(tables, index, slice(None))
        for failing in covering_rules:
            covers &= negate(failing(everyone))
        experts = np.flatnonzero(covers)
        pair_requests.append(np.full(len(experts), index, dtype=np.int64))
        pair_experts.append(experts)
        pair_proposed.append(
            np.isin(experts, before[index]) if index in before else np.zeros(len(experts), bool)
        )
    ri = np.concatenate(pair_requests)
    ei = np.concatenate(pair_experts)
    proposed = np.concatenate(pair_proposed)
    reason, _, _ = exclusion_reasons(tables, ri, ei)
    fits = reason == 0
    reason[fits] = np.where(
        proposed[fits], CODE[Exclusion.PROPOSED_BEFORE], CODE[Exclusion.LOW_SCORE]
    )
    exclusions = {tables.requests[index].id: Counter[str]() for index in unserved.tolist()}
    counts = Counter(zip(ri.tolist(), reason.tolist(), strict=True))
    for (index, code), count in counts.items():
        exclusions[tables.requests[index].id][REASONS[code]] += count
    return exclusions


def nearest_k(
    chosen: np.ndarray, distance: np.ndarray, expert_ids: np.ndarray, keep: int
) -> np.ndarray:
    """The ``keep`` entries of ``chosen`` first by distance in ``scoring.ranking_key``'s
    order — nearer first, an unknown (NaN) distance last, then the lower expert id — as a
    subset in ``chosen``'s order, in linear time (only ties at the cut are sorted)."""
    # ``np.partition`` sorts NaN last too; only when unknown distances reach the cut do
    # they need a value to compare.
    kth = np.partition(distance, keep - 1)[keep - 1]
    if np.isnan(kth):
        distance, kth = unknown_last(distance), np.inf
    take = distance < kth
    tied = np.flatnonzero(distance == kth)
    missing = keep - int(np.count_nonzero(take))
    if len(tied) > missing:
        tied = tied[np.argsort(expert_ids[tied], kind="stable")[:missing]]
    take[tied] = True
    return chosen[take]

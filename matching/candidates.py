"""The candidate graph of a matching round: which experts each waiting request may get.

Pure (no ORM). A round sees every waiting request and every expert with capacity, so the
coarse filters — a shared need, the phase, the reach on the British National Grid — run as
vectorised NumPy over all experts at once; only the nearest few that pass are scored in
full by ``scoring.evaluate``, and the best ``per_request`` of those become the solver's
edges. The solver is exact over this graph.
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
    Match,
    RequestFacts,
    ScoringPolicy,
    acceptable_formats,
    evaluate,
    usable_needs,
)

# Scored in full per request, as a multiple of the edges kept.
SCORED_PER_EDGE = 3


@dataclass(slots=True)
class CandidateGraph:
    matches: list[Match] = field(default_factory=list)
    # Requests with at least one feasible expert.
    feasible: set[int] = field(default_factory=set)
    # For requests with none: how many experts each hard constraint excluded.
    exclusions: dict[int, Counter[str]] = field(default_factory=dict)


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

    for request in requests:
        covers = ((expert_needs & mask(request.needs, need_bits)) != 0) & (
            (expert_phases & phase_bits[request.phase]) != 0
        )
        formats = acceptable_formats(request.format, request.video_acceptable)
        remote = any(f not in IN_PERSON_FORMATS for f in formats)
        if request.easting is None or request.northing is None:
            # Unknown location: only a remote format can serve it, at any distance.
            distance = np.zeros(len(pool))
            within = covers if remote else np.zeros(len(pool), dtype=bool)
        else:
            distance = np.hypot(east - request.easting, north - request.northing) / 1000
            reach = np.maximum(travel, policy.video_reach_km) if remote else travel
            within = covers & ((distance <= reach) | (np.isnan(distance) & remote))
        chosen = np.flatnonzero(within)
        if len(chosen) > keep:
            chosen = chosen[np.argsort(distance[chosen], kind="stable")[:keep]]
        matches: list[Match] = []
        excluded: Counter[str] = Counter()
        for index in chosen:
            result = evaluate(request, pool[index], policy, today, explain=False)
            if isinstance(result, Match):
                if result.score >= min_score:
                    matches.append(result)
                else:
                    excluded[Exclusion.LOW_SCORE] += 1
            else:
                excluded[result.reason] += 1
        if matches:
            matches.sort(key=lambda m: (-m.score, m.distance_km or 0.0, m.expert_id))
            graph.matches.extend(matches[:per_request])
            graph.feasible.add(request.id)
        else:
            beyond = int(covers.sum()) - int(within.sum())
            if beyond:
                excluded[Exclusion.TOO_FAR] += beyond
            graph.exclusions[request.id] = excluded
    return graph

"""The capacitated assignment of waiting requests to experts, solved exactly.

Pure: integer scores in, an assignment out. Each request gets at most one expert, no expert
more requests than their remaining capacity, and the total score is as high as it can be.
It is a min-cost flow (OR-Tools ``SimpleMinCostFlow``, exact on integer costs):

    source ─(1, 0)→ request ─(1, −score)→ expert ─(capacity, 0)→ sink
    source ─────────────(n, 0)──────────────────────────────────→ sink

The source must push one unit per request; the bypass arc lets a request go unserved at no
gain, so the cheapest flow is the highest-scoring assignment. For "most requests served",
each pair's gain is lifted by a bonus larger than any possible sum of scores, so serving one
more request always beats any difference in score, and score breaks the ties.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from matching.enums import Objective


@dataclass(frozen=True, slots=True)
class Edge:
    request: int
    expert: int
    score: int  # > 0; the matching scales its 0–100 scores by 100


@dataclass(frozen=True, slots=True)
class Assignment:
    pairs: dict[int, int]  # request id → expert id
    total_score: int

    def load(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for expert in self.pairs.values():
            counts[expert] = counts.get(expert, 0) + 1
        return counts


class SolverError(RuntimeError):
    pass


def solve(
    edges: Iterable[Edge],
    capacities: Mapping[int, int],
    objective: str = Objective.MAX_SCORE,
) -> Assignment:
    """The optimal assignment over ``edges`` (candidate pairs) within ``capacities``."""
    edges = list(edges)
    return solve_arrays(
        np.fromiter((e.request for e in edges), dtype=np.int64, count=len(edges)),
        np.fromiter((e.expert for e in edges), dtype=np.int64, count=len(edges)),
        np.fromiter((e.score for e in edges), dtype=np.int64, count=len(edges)),
        capacities,
        objective,
    )


def solve_arrays(
    request_ids: np.ndarray,
    expert_ids: np.ndarray,
    scores: np.ndarray,
    capacities: Mapping[int, int],
    objective: str = Objective.MAX_SCORE,
) -> Assignment:
    """:func:`solve` over parallel arrays (request id, expert id, integer score), the graph
    built in bulk: no Python object per edge."""
    request_ids = np.asarray(request_ids, dtype=np.int64)
    expert_ids = np.asarray(expert_ids, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.int64)
    experts, expert_index = np.unique(expert_ids, return_inverse=True)
    expert_capacity = np.array([capacities.get(int(x), 0) for x in experts], dtype=np.int64)
    usable = (scores > 0) & (expert_capacity[expert_index] > 0)
    if not usable.all():
        return solve_arrays(
            request_ids[usable], expert_ids[usable], scores[usable], capacities, objective
        )
    if not len(scores):
        return Assignment({}, 0)
    requests, request_index = np.unique(request_ids, return_inverse=True)
    n, k = len(requests), len(experts)
    # Nodes: 0 source, 1 sink, then requests, then experts (each in id order).
    request_node = 2 + request_index
    expert_node = 2 + n + expert_index
    bonus = 0
    if objective == Objective.MAX_SERVED:
        best = np.zeros(n, dtype=np.int64)
        np.maximum.at(best, request_index, scores)
        bonus = int(best.sum()) + 1

    tails = np.concatenate([np.zeros(n, dtype=np.int64), request_node, 2 + n + np.arange(k), [0]])
    heads = np.concatenate([2 + np.arange(n), expert_node, np.ones(k, dtype=np.int64), [1]])
    arc_capacities = np.concatenate(
        [np.ones(n + len(scores), dtype=np.int64), np.minimum(expert_capacity, n), [n]]
    )
    costs = np.concatenate(
        [np.zeros(n, dtype=np.int64), -(scores + bonus), np.zeros(k + 1, dtype=np.int64)]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, arc_capacities, costs)
    flow.set_node_supply(0, n)
    flow.set_node_supply(1, -n)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise SolverError(f"min-cost flow ended with status {status}")
    used = flow.flows(arcs[n : n + len(scores)]) > 0
    pairs = dict(zip(request_ids[used].tolist(), expert_ids[used].tolist(), strict=True))
    return Assignment(pairs, int(scores[used].sum()))


def greedy(edges: Iterable[Edge], capacities: Mapping[int, int]) -> Assignment:
    """Best pair first, while capacity lasts: the baseline the benchmark compares against."""
    remaining = dict(capacities)
    pairs: dict[int, int] = {}
    total = 0
    for e in sorted(edges, key=lambda e: (-e.score, e.request, e.expert)):
        if e.request in pairs or remaining.get(e.expert, 0) <= 0 or e.score <= 0:
            continue
        pairs[e.request] = e.expert
        remaining[e.expert] -= 1
        total += e.score
    return Assignment(pairs, total)

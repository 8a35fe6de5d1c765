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
    edges = [e for e in edges if e.score > 0 and capacities.get(e.expert, 0) > 0]
    if not edges:
        return Assignment({}, 0)
    requests = sorted({e.request for e in edges})
    experts = sorted({e.expert for e in edges})
    # Nodes: 0 source, 1 sink, then requests, then experts.
    request_node = {r: 2 + i for i, r in enumerate(requests)}
    expert_node = {x: 2 + len(requests) + i for i, x in enumerate(experts)}
    bonus = 0
    if objective == Objective.MAX_SERVED:
        best: dict[int, int] = {}
        for e in edges:
            best[e.request] = max(best.get(e.request, 0), e.score)
        bonus = sum(best.values()) + 1

    n = len(requests)
    scores = np.fromiter((e.score for e in edges), dtype=np.int64, count=len(edges))
    tails = np.concatenate(
        [
            np.zeros(n, dtype=np.int64),
            np.fromiter((request_node[e.request] for e in edges), dtype=np.int64),
            np.fromiter(expert_node.values(), dtype=np.int64),
            [0],
        ]
    )
    heads = np.concatenate(
        [
            np.fromiter(request_node.values(), dtype=np.int64),
            np.fromiter((expert_node[e.expert] for e in edges), dtype=np.int64),
            np.ones(len(experts), dtype=np.int64),
            [1],
        ]
    )
    arc_capacities = np.concatenate(
        [
            np.ones(n + len(edges), dtype=np.int64),
            np.fromiter((min(capacities[x], n) for x in experts), dtype=np.int64),
            [n],
        ]
    )
    costs = np.concatenate(
        [np.zeros(n, dtype=np.int64), -(scores + bonus), np.zeros(len(experts) + 1, dtype=np.int64)]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, arc_capacities, costs)
    flow.set_node_supply(0, n)
    flow.set_node_supply(1, -n)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise SolverError(f"min-cost flow ended with status {status}")
    used = flow.flows(arcs[n : n + len(edges)]) > 0
    pairs = {e.request: e.expert for e, chosen in zip(edges, used, strict=True) if chosen}
    total = int(scores[used].sum())
    return Assignment(pairs, total)


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

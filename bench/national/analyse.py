"""Stage 2: the round's candidate graph rebuilt as the round builds it, and solved three
ways (exact max-score, exact max-served, greedy)."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import date
from typing import Any

from bench.national.database import setup_django
from bench.national.england import peak_rss_mb
from bench.national.exact import feasibility_problems, scipy_sparse_optimum


def stage_analyse(args: argparse.Namespace) -> dict[str, Any]:
    """The round's inputs, read and built by ``matching_round_run``'s own steps, solved by
    the exact solver (both objectives) and by the greedy baseline."""
    setup_django()
    from matching import selectors

    policy = selectors.matching_policy_active()
    inputs = round_inputs(policy, selectors.local_today())
    graph, expert_facts = inputs["graph"], inputs["expert_facts"]
    edges = solver_edges(graph)
    capacities = {e.id: e.remaining for e in expert_facts}
    solved = solve_three_ways(edges, capacities)
    result: dict[str, Any] = {
        "policy_version": policy.version,
        "per_request": policy.round_candidates_per_request,
        "min_score": policy.min_score,
        "requests": len(inputs["request_facts"]),
        "experts_accepting": len(expert_facts),
        "capacity": sum(max(0, c) for c in capacities.values()),
        "edges": len(edges),
        "feasible_requests": len(graph.feasible),
        "experts_with_edges": len({e.expert for e in edges}),
        "no_candidate_reasons": dict(
            sum((Counter(c) for c in graph.exclusions.values()), Counter()).most_common(5)
        ),
        "load_s": inputs["load_s"],
        "candidates_s": inputs["candidates_s"],
        **solved,
        "peak_rss_mb": peak_rss_mb(),
    }
    if args.check_full:
        mark = time.perf_counter()
        result["scipy_total"] = scipy_sparse_optimum(edges, capacities)
        result["scipy_s"] = time.perf_counter() - mark
    return result


def round_inputs(policy: Any, today: date) -> dict[str, Any]:
    """The round's facts and candidate graph, by its own two steps, each timed."""
    from matching.services.rounds import round_facts, round_graph

    mark = time.perf_counter()
    request_facts, expert_facts, proposed_before = round_facts(policy=policy, today=today)
    load_s = time.perf_counter() - mark
    mark = time.perf_counter()
    graph = round_graph(
        policy=policy,
        today=today,
        request_facts=request_facts,
        expert_facts=expert_facts,
        proposed_before=proposed_before,
    )
    return {
        "request_facts": request_facts,
        "expert_facts": expert_facts,
        "graph": graph,
        "load_s": load_s,
        "candidates_s": time.perf_counter() - mark,
    }


def solver_edges(graph: Any) -> list[Any]:
    """The graph's pairs as the solver's edges, scores scaled to integers as the round does."""
    from matching import solver
    from matching.services import SCORE_SCALE

    return [
        solver.Edge(request, expert, round(score * SCORE_SCALE))
        for request, expert, score in zip(
            graph.request_ids.tolist(),
            graph.expert_ids.tolist(),
            graph.scores.tolist(),
            strict=True,
        )
    ]


def timed(function: Any, *call: Any, repeat: int = 3) -> tuple[Any, float]:
    """The function's result and its best time of ``repeat`` calls."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        mark = time.perf_counter()
        result = function(*call)
        best = min(best, time.perf_counter() - mark)
    return result, best


def solve_three_ways(edges: list[Any], capacities: dict[int, int]) -> dict[str, Any]:
    """Exact (both objectives) and greedy on the same graph: totals, times and problems."""
    from matching import solver
    from matching.enums import Objective

    exact, solve_s = timed(solver.solve, edges, capacities, Objective.MAX_SCORE)
    served, served_s = timed(solver.solve, edges, capacities, Objective.MAX_SERVED)
    greedy, greedy_s = timed(solver.greedy, edges, capacities)
    problems = [
        *feasibility_problems("exact", exact, edges, capacities),
        *feasibility_problems("max_served", served, edges, capacities),
        *feasibility_problems("greedy", greedy, edges, capacities),
    ]
    if greedy.total_score > exact.total_score:
        problems.append("greedy beat the exact solver")
    if len(served.pairs) < len(exact.pairs) or len(served.pairs) < len(greedy.pairs):
        problems.append("max_served served fewer requests than another assignment")
    return {
        "solve_s": solve_s,
        "solve_max_served_s": served_s,
        "greedy_s": greedy_s,
        "exact_total": exact.total_score,
        "exact_matched": len(exact.pairs),
        "exact_max_load": max(exact.load().values(), default=0),
        "served_total": served.total_score,
        "served_matched": len(served.pairs),
        "greedy_total": greedy.total_score,
        "greedy_matched": len(greedy.pairs),
        "problems": problems,
    }

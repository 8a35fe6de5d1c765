"""Second exact solvers (SciPy): the national graph, and small published and random cases."""

from __future__ import annotations

from collections import Counter
from typing import Any


def scipy_sparse_optimum(edges: list[Any], capacities: dict[int, int]) -> int:
    """The optimum by a different algorithm: SciPy's sparse LAPJV on the capacity-expanded
    bipartite graph (each expert one column per unit of capacity, plus one dummy column per
    request so it may stay unserved). Minimises Σ(BIG − score), i.e. maximises Σ score."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    edges = [e for e in edges if e.score > 0 and capacities.get(e.expert, 0) > 0]
    if not edges:
        return 0
    requests = sorted({e.request for e in edges})
    row = {r: i for i, r in enumerate(requests)}
    degree = Counter(e.expert for e in edges)
    first_column: dict[int, int] = {}
    columns = 0
    for expert in sorted(degree):
        first_column[expert] = columns
        columns += min(capacities[expert], degree[expert])  # more copies could never be used
    big = max(e.score for e in edges) + 1
    rows, cols, weights = [], [], []
    for e in edges:
        start = first_column[e.expert]
        for copy in range(min(capacities[e.expert], degree[e.expert])):
            rows.append(row[e.request])
            cols.append(start + copy)
            weights.append(big - e.score)
    for i in range(len(requests)):
        rows.append(i)
        cols.append(columns + i)
        weights.append(big)
    matrix = csr_matrix(
        (np.array(weights, dtype=np.float64), (rows, cols)),
        shape=(len(requests), columns + len(requests)),
    )
    row_index, column_index = min_weight_full_bipartite_matching(matrix)
    chosen = np.asarray(matrix[row_index, column_index]).ravel()
    return round(len(requests) * big - float(chosen.sum()))


def scipy_dense_optimum(
    requests: list[int],
    experts: list[int],
    edges: list[Any],
    capacities: dict[int, int],
    bonus: int = 0,
) -> tuple[int, int]:
    """(total score, requests served) by ``scipy.optimize.linear_sum_assignment`` on the
    capacity-expanded matrix with one zero-score dummy column per request; ``bonus`` is
    added to every pair's gain, as the solver does for "most requests served"."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    copies = [x for x in experts for _ in range(capacities[x])]
    gain = np.zeros((len(requests), len(copies) + len(requests)), dtype=np.int64)
    score = np.zeros_like(gain)
    row = {r: i for i, r in enumerate(requests)}
    columns: dict[int, list[int]] = {}
    for j, x in enumerate(copies):
        columns.setdefault(x, []).append(j)
    for e in edges:
        for j in columns.get(e.expert, []):
            gain[row[e.request], j] = e.score + bonus
            score[row[e.request], j] = e.score
    rows, cols = linear_sum_assignment(gain, maximize=True)
    picked = gain[rows, cols] > 0
    return int(score[rows, cols][picked].sum()), int(picked.sum())


Case = tuple[str, list[int], list[int], list[Any], dict[int, int]]  # name, requests, experts, …


def check_small(instances: int, seed: int) -> dict[str, Any]:
    """OR-Tools against SciPy (and greedy) on small random instances and the two published
    examples from DOMAIN.md."""
    import numpy as np

    rng = np.random.default_rng(seed + 1000)
    cases = [*published_cases(), *(random_case(rng, k) for k in range(instances))]
    rows = [check_case(*case) for case in cases]
    ratios = [row.pop("ratio") for row in rows]
    return {
        "instances": len(cases),
        "equal": sum(row["equal"] for row in rows),
        "served_equal": sum(row["served_equal"] for row in rows),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "ratio_mean": sum(ratios) / len(ratios),
        "rows": rows,
    }


def published_cases() -> list[Case]:
    """Published: scores = M − cost; full 0/1 assignment, so the optimum is n·M − min cost."""
    from matching.solver import Edge

    cases: list[Case] = []
    for name, costs, optimum in (
        (
            "OR-Tools example",
            [[90, 76, 75, 70], [35, 85, 55, 65], [125, 95, 90, 105], [45, 110, 95, 115]],
            265,
        ),
        ("SciPy example", [[4, 1, 3], [2, 0, 5], [3, 2, 2]], 5),
    ):
        m = 1000
        edges = [
            Edge(100 + r, 500 + c, m - cost)
            for r, line in enumerate(costs)
            for c, cost in enumerate(line)
        ]
        caps = {500 + c: 1 for c in range(len(costs[0]))}
        cases.append(
            (
                f"{name} (optimum {len(costs) * m - optimum})",
                [100 + r for r in range(len(costs))],
                sorted(caps),
                edges,
                caps,
            )
        )
    return cases


def random_case(rng: Any, k: int) -> Case:
    """Mostly the round's shape (300 × 80, sparse, capacities 1–3); every fourth dense and
    small, where ties and crowding are common."""
    from matching.solver import Edge

    dense = k % 4 == 3
    n_requests, n_experts = (40, 12) if dense else (300, 80)
    requests = list(range(1, n_requests + 1))
    experts = list(range(10001, 10001 + n_experts))
    caps = {x: int(c) for x, c in zip(experts, rng.integers(1, 4, size=n_experts), strict=True)}
    edges = []
    for r in requests:
        degree = n_experts if dense else int(rng.integers(0, 9))
        for x in rng.choice(experts, size=degree, replace=False):
            # Coarse scores in the dense cases force ties.
            score = int(rng.integers(1, 20)) * 500 if dense else int(rng.integers(2000, 10001))
            edges.append(Edge(r, int(x), score))
    name = f"random #{k + 1} ({n_requests}×{n_experts}{', dense' if dense else ''})"
    return (name, requests, experts, edges, caps)


def check_case(
    name: str, requests: list[int], experts: list[int], edges: list[Any], caps: dict[int, int]
) -> dict[str, Any]:
    """One case solved by OR-Tools (both objectives), SciPy (both) and greedy."""
    from matching.enums import Objective
    from matching.solver import greedy, solve

    ortools = solve(edges, caps, Objective.MAX_SCORE)
    reference, _ = scipy_dense_optimum(requests, experts, edges, caps)
    most = solve(edges, caps, Objective.MAX_SERVED)
    best: dict[int, int] = {}
    for e in edges:
        best[e.request] = max(best.get(e.request, 0), e.score)
    bonus = sum(best.values()) + 1
    reference_served_score, reference_served = scipy_dense_optimum(
        requests, experts, edges, caps, bonus
    )
    baseline = greedy(edges, caps)
    problems = feasibility_problems("ortools", ortools, edges, caps) + feasibility_problems(
        "max_served", most, edges, caps
    )
    return {
        "case": name,
        "ortools": ortools.total_score,
        "scipy": reference,
        "greedy": baseline.total_score,
        "equal": ortools.total_score == reference and not problems,
        "served_equal": (len(most.pairs), most.total_score)
        == (reference_served, reference_served_score),
        "problems": problems,
        "ratio": ortools.total_score / baseline.total_score if baseline.total_score else 1.0,
    }


def feasibility_problems(
    name: str, assignment: Any, edges: list[Any], capacities: dict[int, int]
) -> list[str]:
    scores = {(e.request, e.expert): e.score for e in edges}
    problems = [
        f"{name}: {pair} is not a candidate pair"
        for pair in assignment.pairs.items()
        if pair not in scores
    ][:3]
    problems += [
        f"{name}: expert {expert} given {load} > capacity {capacities.get(expert, 0)}"
        for expert, load in assignment.load().items()
        if load > capacities.get(expert, 0)
    ][:3]
    if not problems and assignment.total_score != sum(scores[p] for p in assignment.pairs.items()):
        problems.append(f"{name}: total_score is not the sum of its pairs' scores")
    return problems

"""The printed report: what was built, the analysis, the round, and the targets."""

from __future__ import annotations

import argparse
import os
import platform
from typing import Any

from bench.national.england import out
from bench.national.limits import ROUND_LIMIT_S, ROUND_TARGET_S, SOLVE_TARGET_S


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def report_build(args: argparse.Namespace, build: dict[str, Any]) -> None:
    t, c = build["timings_s"], build["counts"]
    out()
    out(f"== instance (seed {args.seed})")
    out(
        f"  {c['requests']:,} submitted requests from {c['requesting_schools']:,} of "
        f"{c['mainstream_schools']:,} mainstream schools; {c['experts']:,} experts at "
        f"{c['schools'] - c['mainstream_schools']:,} special schools"
    )
    out(f"  {c['local_authorities']} local authorities, {c['trusts']:,} trusts")
    out(
        f"  rows: {c['specialisms']:,} specialisms, {c['credentials']:,} credentials, "
        f"{c['availability_windows']:,} weekly windows, {c['days_off']:,} days off,"
    )
    out(
        f"        {c['request_needs']:,} request needs, {c['request_topics']:,} request topics, "
        f"{c['preferred_windows']:,} preferred windows"
    )
    parts = ", ".join(
        f"{key.split('.', 1)[1]} {value:.1f}"
        for key, value in t.items()
        if key.startswith("build.")
    )
    out(f"  build {t['build']:.1f} s ({parts}); migrate {t['migrate']:.1f} s")


def report_analysis(a: dict[str, Any]) -> list[str]:
    problems = list(a["problems"])
    n = a["requests"]
    out()
    out("== candidate graph (the round's inputs, rebuilt the same way before the round)")
    out(
        f"  {n:,} waiting requests; {a['experts_accepting']:,} experts accepting work with "
        f"{a['capacity']:,} sessions of capacity"
    )
    out(
        f"  {a['edges']:,} candidate pairs ({a['edges'] / max(1, n):.1f} per request, "
        f"at most {a['per_request']}); {a['experts_with_edges']:,} experts in the graph"
    )
    feasible = a["feasible_requests"]
    out(f"  {feasible:,} requests ({share(feasible, n)}) have at least one candidate")
    if a["no_candidate_reasons"]:
        reasons = ", ".join(f"{k} {v:,}" for k, v in a["no_candidate_reasons"].items())
        out(f"  the others' exclusions (expert × request): {reasons}")
    out(
        f"  load {a['load_s']:.2f} s, candidates {a['candidates_s']:.2f} s, "
        f"solve {a['solve_s']:.3f} s (best of 3)"
    )
    out()
    out("== objective on the same graph")
    out(f"  {'solver':<24}{'seconds':>9}{'total score':>14}{'matched':>10}{'share':>8}")
    for name, seconds, total, matched in (
        ("exact, max_score", a["solve_s"], a["exact_total"], a["exact_matched"]),
        ("exact, max_served", a["solve_max_served_s"], a["served_total"], a["served_matched"]),
        ("greedy (baseline)", a["greedy_s"], a["greedy_total"], a["greedy_matched"]),
    ):
        out(f"  {name:<24}{seconds:>9.3f}{total / 100:>14,.2f}{matched:>10,}{share(matched, n):>8}")
    if a["greedy_total"]:
        out(f"  exact / greedy = {a['exact_total'] / a['greedy_total']:.4f}")
    if "scipy_total" in a:
        same = a["scipy_total"] == a["exact_total"]
        out(
            f"  second exact solver, SciPy sparse LAPJV ({a['scipy_s']:.1f} s): "
            f"{a['scipy_total'] / 100:,.2f} — {'equal' if same else 'DIFFERENT'}"
        )
        if not same:
            problems.append("SciPy's optimum of the national graph differs")
    return problems


def report_round(args: argparse.Namespace, r: dict[str, Any], greedy_total: int | None) -> None:
    tm = r["timings_ms"]
    rows: list[tuple[str, str]] = [
        ("requests", f"{r['requests']:,}"),
        ("experts accepting work", f"{r['experts']:,}"),
        ("candidate pairs", f"{r['candidate_pairs']:,}"),
        *(
            (f"{key} (ms)", f"{tm.get(key, 0):,}")
            for key in ("load", "candidates", "solve", "write")
        ),
        ("whole round, wall clock (s)", f"{r['wall_s']:.2f}"),
        ("peak RSS of the round process (MB)", f"{r['peak_rss_mb']:.0f}"),
        ("  of which before the round (MB)", f"{r['peak_rss_before_mb']:.0f}"),
        ("requests matched", f"{r['matched']:,} ({share(r['matched'], r['requests'])})"),
        ("largest load on an expert", f"{r['max_load']} (their capacity {r['max_load_capacity']})"),
        ("objective value (score × 100)", f"{r['objective_value']:,}"),
    ]
    if greedy_total:
        rows.append(("objective / greedy", f"{r['objective_value'] / greedy_total:.4f}"))
    out()
    out(f"== the round: matching_round_run(trigger='command'), run #{r['run_id']} {r['status']}")
    for label, value in rows:
        out(f"  {label:<38}{value:>16}")
    if args.profile:
        out("  (run under cProfile: the times above are inflated)")
    out()
    out("== by region: requests, accepting capacity (sessions), matched")
    for region, n, capacity, matched in r["regions"]:
        out(f"  {region:<26}{n:>8,}{capacity:>8,}{matched:>8,}  ({share(matched, n)})")


def report_small(small: dict[str, Any]) -> None:
    out()
    out("== exactness on small instances: OR-Tools vs SciPy linear_sum_assignment")
    for row in small["rows"]:
        published = row["case"].startswith(("OR-Tools", "SciPy"))
        if published or not (row["equal"] and row["served_equal"]):
            out(
                f"  {row['case']:<34} ortools {row['ortools']:>9,} scipy {row['scipy']:>9,} "
                f"greedy {row['greedy']:>9,} {'equal' if row['equal'] else 'DIFFERENT'}"
                + ("" if row["served_equal"] else "; max_served DIFFERENT")
                + "".join(f"; {p}" for p in row["problems"])
            )
    out(f"  exact: {small['equal']}/{small['instances']} instances equal (max_score)")
    out(f"  exact: {small['served_equal']}/{small['instances']} instances equal (max_served)")
    out(
        f"  exact / greedy on these: min {small['ratio_min']:.4f}, "
        f"mean {small['ratio_mean']:.4f}, max {small['ratio_max']:.4f}"
    )


def report(
    args: argparse.Namespace,
    build: dict[str, Any] | None,
    analysis: dict[str, Any] | None,
    round_: dict[str, Any] | None,
    small: dict[str, Any] | None,
    database: str,
) -> bool:
    """Prints the figures; returns False when an exactness or capacity check failed."""
    problems: list[str] = []
    report_machine(database)
    if build:
        report_build(args, build)
    if analysis:
        problems += report_analysis(analysis)
    if round_:
        report_round(args, round_, analysis["greedy_total"] if analysis else None)
        problems += round_problems(round_)
    if small:
        report_small(small)
    targets = round_targets(round_) if round_ else []
    targets += exactness_targets(analysis, round_, small, problems)
    report_targets(targets, problems)
    if round_ and args.profile:
        for order in ("cumulative", "tottime"):
            out()
            out(f"== cProfile of the round, top 20 by {order}")
            out(round_[f"profile_{order}"].rstrip())
    return not problems


def report_machine(database: str) -> None:
    out()
    out("== machine")
    cpu = platform.processor() or platform.machine()
    out(f"  {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}")
    out(f"  {database}; DEBUG={os.environ.get('DEBUG')}")


def round_problems(round_: dict[str, Any]) -> list[str]:
    problems = []
    if round_["over_capacity"]:
        problems.append(f"experts over capacity after the round: {round_['over_capacity']}")
    if round_["requests_with_two"]:
        problems.append(f"{round_['requests_with_two']} requests got two proposals in the round")
    return problems


Target = tuple[str, str, bool]  # label, value, met


def round_targets(round_: dict[str, Any]) -> list[Target]:
    """The issue's time targets, against the round's own wall clock and solve timing."""
    wall = round_["wall_s"]
    solve_s = round_["timings_ms"].get("solve", 0) / 1000
    return [
        (
            f"whole round < {ROUND_TARGET_S:.0f} s, reads and writes included",
            f"{wall:.2f} s",
            wall < ROUND_TARGET_S,
        ),
        (
            f"whole round never over {ROUND_LIMIT_S:.0f} s",
            f"{wall:.2f} s",
            wall <= ROUND_LIMIT_S,
        ),
        (
            f"solve < {SOLVE_TARGET_S:.0f} s (the round's own timing)",
            f"{solve_s:.3f} s",
            solve_s < SOLVE_TARGET_S,
        ),
    ]


def exactness_targets(
    analysis: dict[str, Any] | None,
    round_: dict[str, Any] | None,
    small: dict[str, Any] | None,
    problems: list[str],
) -> list[Target]:
    """The exactness checks that ran; appends a problem for each that failed."""
    targets: list[Target] = []
    if analysis and round_:
        # The run records what it wrote (its proposals' scores), not the solver's total: with
        # no other writer here, the two agree only if the solve is exact and the write
        # dropped no pair of it.
        same = (round_["objective_value"], round_["candidate_pairs"]) == (
            analysis["exact_total"],
            analysis["edges"],
        )
        targets.append(
            ("round's written objective == exact optimum", f"{round_['objective_value']:,}", same)
        )
        if not same:
            problems.append(
                "the objective the round wrote is not the exact optimum of its graph "
                "(a wrong solve, or pairs dropped by the write)"
            )
    if analysis and "scipy_total" in analysis:
        targets.append(
            (
                "national graph: OR-Tools == SciPy LAPJV",
                f"{analysis['scipy_total']:,}",
                analysis["scipy_total"] == analysis["exact_total"],
            )
        )
    if small:
        ok = small["equal"] == small["instances"] and small["served_equal"] == small["instances"]
        targets.append(
            ("small instances: OR-Tools == SciPy", f"{small['equal']}/{small['instances']}", ok)
        )
        if not ok:
            problems.append("OR-Tools and SciPy disagree on a small instance")
    return targets


def report_targets(targets: list[Target], problems: list[str]) -> None:
    out()
    out("== targets")
    for label, value, ok in targets:
        out(f"  {label:<50}{value:>14}  {verdict(ok)}")
    for problem in problems:
        out(f"  PROBLEM: {problem}")

"""``--scale``: the round at growing sizes, each built afresh, its round in its own
interpreter (so the peak memory is that round's), with the time of each stage."""

from __future__ import annotations

import argparse
from typing import Any

from bench.national.england import out

# Requests × experts: up to the 7,500 specialists the 2026 Schools White Paper plans for.
DEFAULT_SIZES = "5000x1250,10000x2500,20000x5000,50000x7500"
# The goals: seconds (and MB) by size.
GOALS = {(20000, 5000): (6.0, None), (50000, 7500): (20.0, 1024.0)}


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for item in text.split(","):
        requests, _, experts = item.strip().partition("x")
        sizes.append((int(requests), int(experts)))
    return sizes


STAGES = ("load", "candidates", "solve", "write")
WRITE_STEPS = ("lock", "explain", "proposals", "statuses", "unmatched", "commit")


def report_scale(rows: list[dict[str, Any]], baseline: str | None = None) -> bool:
    out()
    out("== the round at growing scale (each instance built afresh; the round in its own process)")
    out("  (stage times in seconds, the round's own timings; peak RSS of the round's process;")
    out("   loadavg: the machine's 1-minute load average as the round started;")
    if baseline:
        out(f"   base: the round of {baseline}'s code on a copy of the same instance, in")
        out("   alternating order; ×: this / base)")
    else:
        out("   --baseline REF also runs another commit's round on the same instance)")
    head = f"  {'requests × experts':<20}{'':<5}{'pairs':>9}{'matched':>8}{'objective':>13}"
    head += f"{'load':>7}{'cand.':>7}{'solve':>7}{'write':>7}{'round s':>9}{'peak MB':>8}"
    out(head + f"{'loadavg':>8}  goal")
    met = True
    for r in rows:
        goal = GOALS.get((r["n_requests"], r["n_experts"]))
        verdict = ""
        if goal:
            seconds, megabytes = goal
            ok = r["wall_s"] < seconds and (megabytes is None or r["peak_rss_mb"] < megabytes)
            met &= ok
            limit = f"< {seconds:.0f} s" + (f", < {megabytes:.0f} MB" if megabytes else "")
            verdict = f"{limit}: {'PASS' if ok else 'FAIL'}"
        size = f"{r['n_requests']:>7,} × {r['n_experts']:<10,}"
        out(f"  {size}{'this':<5}{_figures(r)}  {verdict}")
        if "baseline" in r:
            base = r["baseline"]
            result = ("matched", "objective_value")
            same = [base[k] for k in result] == [r[k] for k in result]
            out(f"  {'':<20}{'base':<5}{_figures(base)}")
            ratios = "".join(
                f"{_ratio(r['timings_ms'].get(k), base['timings_ms'].get(k)):>7}" for k in STAGES
            )
            out(
                f"  {'':<20}{'×':<5}{'':>30}{ratios}{_ratio(r['wall_s'], base['wall_s']):>9}"
                f"{_ratio(r['peak_rss_mb'], base['peak_rss_mb']):>8}"
                f"  result {'the same' if same else 'DIFFERENT'}"
            )
        tm = r["timings_ms"]
        steps = ", ".join(f"{s} {tm.get(f'write.{s}', 0) / 1000:.2f}" for s in WRITE_STEPS)
        out(f"  {'':<25}write: {steps}")
    return met


def _figures(r: dict[str, Any]) -> str:
    tm = r["timings_ms"]
    stages = "".join(f"{tm.get(key, 0) / 1000:>7.2f}" for key in STAGES)
    return (
        f"{r['candidate_pairs']:>9,}{r['matched']:>8,}{r['objective_value']:>13,}{stages}"
        f"{r['wall_s']:>9.2f}{r['peak_rss_mb']:>8.0f}{r['load_average']:>8.1f}"
    )


def _ratio(this: float | None, base: float | None) -> str:
    return f"{this / base:.2f}" if this is not None and base else "–"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scale",
        nargs="?",
        const=DEFAULT_SIZES,
        help=f"The round at several sizes, REQUESTSxEXPERTS,… (default {DEFAULT_SIZES}).",
    )
    parser.add_argument(
        "--baseline",
        metavar="REF",
        help="With --scale: also run the round of commit REF's code (e.g. main) on a copy of "
        "each instance, alternating with this code's, and print the ratios.",
    )

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


def report_scale(rows: list[dict[str, Any]]) -> bool:
    out()
    out("== the round at growing scale (each instance built afresh; the round in its own process)")
    head = f"  {'requests × experts':<20}{'pairs':>10}{'matched':>9}{'objective':>12}"
    head += f"{'load':>7}{'cand.':>7}{'solve':>7}{'write':>7}{'round s':>9}{'peak MB':>9}  goal"
    out(head)
    met = True
    for r in rows:
        tm = r["timings_ms"]
        goal = GOALS.get((r["n_requests"], r["n_experts"]))
        verdict = ""
        if goal:
            seconds, megabytes = goal
            ok = r["wall_s"] < seconds and (megabytes is None or r["peak_rss_mb"] < megabytes)
            met &= ok
            limit = f"< {seconds:.0f} s" + (f", < {megabytes:.0f} MB" if megabytes else "")
            verdict = f"{limit}: {'PASS' if ok else 'FAIL'}"
        stages = "".join(
            f"{tm.get(key, 0) / 1000:>7.2f}" for key in ("load", "candidates", "solve", "write")
        )
        out(
            f"  {r['n_requests']:>7,} × {r['n_experts']:<10,}{r['candidate_pairs']:>10,}"
            f"{r['matched']:>9,}{r['objective_value']:>12,}{stages}"
            f"{r['wall_s']:>9.2f}{r['peak_rss_mb']:>9.0f}  {verdict}"
        )
    out("  (stage times in seconds, the round's own timings; peak RSS of the round's process)")
    return met


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scale",
        nargs="?",
        const=DEFAULT_SIZES,
        help=f"The round at several sizes, REQUESTSxEXPERTS,… (default {DEFAULT_SIZES}).",
    )

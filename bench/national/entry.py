"""The command line: runs each stage in its own interpreter and prints the report."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.national.analyse import stage_analyse
from bench.national.database import (
    database_config,
    database_description,
    recreate_database,
    setup_django,
)
from bench.national.england import out
from bench.national.exact import check_small
from bench.national.limits import DEFAULT_DATABASE_URL, ROOT, SCRIPT
from bench.national.report import report, report_machine
from bench.national.rounds import run_round
from bench.national.scale import add_arguments as add_scale_arguments
from bench.national.scale import parse_sizes, report_scale
from bench.national.stage_build import stage_build


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="National-scale benchmark of a matching round (docs/benchmarks.md)."
    )
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--experts", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        help="Default: $DATABASE_URL, else " + DEFAULT_DATABASE_URL + ". Dropped and recreated.",
    )
    parser.add_argument(
        "--check-small", action="store_true", help="OR-Tools vs SciPy on small instances."
    )
    parser.add_argument("--small-instances", type=int, default=40)
    parser.add_argument(
        "--check-full",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Also solve the national graph with SciPy's sparse LAPJV (default: on).",
    )
    parser.add_argument("--profile", action="store_true", help="Run the round under cProfile.")
    parser.add_argument("--no-national", action="store_true", help="Only the small checks.")
    add_scale_arguments(parser)
    parser.add_argument("--stage", choices=["build", "analyse", "round"], help=argparse.SUPPRESS)
    parser.add_argument("--results", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_stage(stage: str, argv: list[str]) -> dict[str, Any]:
    """Runs a stage in a fresh interpreter, so each stage's memory is its own."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        path = handle.name
    try:
        subprocess.run(  # noqa: S603 — our own script, our own arguments
            [sys.executable, str(SCRIPT), *argv, "--stage", stage, "--results", path], check=True
        )
        return json.loads(Path(path).read_text())
    finally:
        Path(path).unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    url = args.database_url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # As a worker runs in production: DEBUG would record every query (and format each
    # 2,000-row INSERT) in connection.queries.
    os.environ.setdefault("DEBUG", "false")
    # As in production, the round's on-commit task publishing goes to the broker (here the
    # in-memory one) for a worker, instead of sending the notification emails in-process.
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")
    os.environ.setdefault("MAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")

    if args.stage:
        stages = {"build": stage_build, "analyse": stage_analyse, "round": stage_round}
        result = stages[args.stage](args)
        Path(args.results).write_text(json.dumps(result, default=str))
        return 0
    if args.scale:
        return run_scale(args, url)

    build = analysis = round_ = small = None
    database = "no database"
    if not args.no_national:
        recreate_database(url)
        name = database_config(url)["NAME"]
        out(f"Building {args.requests:,} requests × {args.experts:,} experts in {name} …")
        build = run_stage("build", argv)
        out("Rebuilding the round's candidate graph and solving it (exact, max-served, greedy) …")
        analysis = run_stage("analyse", argv)
        out("Running the round …")
        setup_django()
        database = database_description()
        round_ = run_round(args.profile)
    if args.check_small:
        out("Checking the solver against SciPy on small instances …")
        small = check_small(args.small_instances, args.seed)
    sound = report(args, build, analysis, round_, small, database)
    return 0 if sound else 1


def stage_round(args: argparse.Namespace) -> dict[str, Any]:
    setup_django()
    return run_round(args.profile)


def run_scale(args: argparse.Namespace, url: str) -> int:
    """Builds each size afresh and runs its round in a fresh interpreter: no analysis (the
    default run checks the objective against the exact optimum), only the round."""
    rows = []
    for n_requests, n_experts in parse_sizes(args.scale):
        recreate_database(url)
        out(f"Building {n_requests:,} requests × {n_experts:,} experts and running the round …")
        sized = ["--requests", str(n_requests), "--experts", str(n_experts)]
        sized += ["--seed", str(args.seed)]
        run_stage("build", sized)
        rows.append({"n_requests": n_requests, "n_experts": n_experts, **run_stage("round", sized)})
    setup_django()
    report_machine(database_description())
    report_scale(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The command line: runs each stage in its own interpreter and prints the report."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from psycopg import sql

from bench.national.analyse import stage_analyse
from bench.national.database import (
    admin_connection,
    database_config,
    database_description,
    drop_database,
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


def run_stage(stage: str, argv: list[str], root: Path = ROOT) -> dict[str, Any]:
    """Runs a stage in a fresh interpreter, so each stage's memory is its own; ``root``: the
    checkout whose bench (and code) runs it."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        path = handle.name
    try:
        script = root / SCRIPT.relative_to(ROOT)
        subprocess.run(  # noqa: S603 — our own script, our own arguments
            [sys.executable, str(script), *argv, "--stage", stage, "--results", path],
            check=True,
            cwd=root,
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
    default run checks the objective against the exact optimum), only the round. With
    ``--baseline REF`` the round of that commit's code runs too, on a copy of the same
    instance, the two in alternating order (A B, then B A at the next size)."""
    baseline = export_commit(args.baseline) if args.baseline else None
    rows = []
    try:
        for index, (n_requests, n_experts) in enumerate(parse_sizes(args.scale)):
            recreate_database(url)
            out(f"Building {n_requests:,} requests × {n_experts:,} experts and running the round …")
            sized = ["--requests", str(n_requests), "--experts", str(n_experts)]
            sized += ["--seed", str(args.seed)]
            run_stage("build", sized)
            row: dict[str, Any] = {"n_requests": n_requests, "n_experts": n_experts}
            if baseline is None:
                rows.append({**row, **timed_round(sized)})
                continue
            with snapshot(url) as restore:
                order = ["this", "baseline"] if index % 2 == 0 else ["baseline", "this"]
                for position, side in enumerate(order):
                    if position:
                        restore()
                    if side == "this":
                        row.update(timed_round(sized))
                    else:
                        row["baseline"] = timed_round(sized, baseline)
            rows.append(row)
    finally:
        if baseline is not None:
            shutil.rmtree(baseline, ignore_errors=True)
    setup_django()
    report_machine(database_description())
    report_scale(rows, args.baseline)
    # Exit 1 when a baseline commit's round gave another result on the same instance.
    result = ("matched", "objective_value")
    differs = [r for r in rows if "baseline" in r and any(r[k] != r["baseline"][k] for k in result)]
    return 1 if differs else 0


def timed_round(sized: list[str], root: Path = ROOT) -> dict[str, Any]:
    """The round's results, with the machine's load average (1 minute) just before it."""
    load = os.getloadavg()[0]
    return {"load_average": load, **run_stage("round", sized, root)}


def export_commit(ref: str) -> Path:
    """The files of commit ``ref`` in a temporary folder (``git archive``; no worktree)."""
    folder = Path(tempfile.mkdtemp(prefix="exchange-bench-baseline-"))
    archive = subprocess.run(  # noqa: S603 — git, our own arguments
        ["git", "archive", "--format=tar", ref],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(  # noqa: S603
        ["tar", "-x", "-C", str(folder)],  # noqa: S607
        input=archive,
        check=True,
    )
    return folder


@contextmanager
def snapshot(url: str) -> Iterator[Callable[[], None]]:
    """A copy of the bench database as built; yields how to put it back."""
    config = database_config(url)
    name = str(config["NAME"])
    if config["ENGINE"] == "django.db.backends.sqlite3":
        copy = name + ".snapshot"
        shutil.copyfile(name, copy)
        try:
            yield lambda: shutil.copyfile(copy, name)
        finally:
            Path(copy).unlink(missing_ok=True)
        return
    copy = name + "_snapshot"

    def clone(source: str, target: str) -> None:
        with admin_connection(config) as connection:
            drop_database(connection, target)
            connection.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(target), sql.Identifier(source)
                )
            )

    clone(name, copy)
    try:
        yield lambda: clone(copy, name)
    finally:
        with admin_connection(config) as connection:
            drop_database(connection, copy)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

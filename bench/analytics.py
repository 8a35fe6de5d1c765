"""The analytics endpoints at national scale, at 4 connections (docs/benchmarks.md).

    .venv/bin/python bench/analytics.py            # national: 20,000 requests × 5,000 experts
    .venv/bin/python bench/analytics.py --smoke    # CI: a tiny instance, ~1 s of load each

Builds the national instance with bench/matching.py (through bench/web/dataset.py, as
bench/api.py does; reused when the database holds it), adds once, reproducibly (seeded by
row id), what analytics read beyond a matching round: submission dates over twelve months,
accepted, declined and expired proposals, sessions held and no-shows, outcome reviews with
T-scores and feedback. Serves the API with gunicorn (bench/web/load.py) and, for each
endpoint, asks it once cold (its suppression not yet cached) and then drives it with wrk;
beside them, in the same run, ``GET /api/v1/me`` (a token check and one row) as the
baseline. Prints p50, p99, errors and the p99 against the baseline's; goal p99 < 300 ms.
Exit status 1 when an endpoint does not answer 200. PostgreSQL only; the database name must
contain "bench".
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api import combine
from bench.national.england import out
from bench.national.limits import ROOT
from bench.web import dataset, load

DEFAULT_URL = "postgres://exchange:exchange@127.0.0.1:54330/exchange_analytics_bench"
GOAL_P99_MS = 300.0
MONTHS = 12


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="Tiny instance, ~1 s per run.")
    parser.add_argument("--database-url", help=f"Default: $BENCH_DATABASE_URL, else {DEFAULT_URL}.")
    parser.add_argument("--rebuild", action="store_true", help="Build the instance again.")
    parser.add_argument("--seconds", type=float, help="Per run (default 5; smoke 1).")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--runs", type=int, help="wrk runs per endpoint (default 2; smoke 1).")
    return parser.parse_args(argv)


def add_analytics_rows() -> None:
    """Once (skipped when reviews exist): the rows analytics read, each chosen by its id."""
    from datetime import UTC, datetime, timedelta

    from django.db import transaction

    from exchange.models import StatusChange, SupportRequest
    from knowledge.models import Feedback, OutcomeReview
    from matching.models import Proposal
    from scheduling.models import Session

    if OutcomeReview.objects.exists():
        return
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    with transaction.atomic():
        requests = list(SupportRequest.objects.only("id", "submitted_at"))
        for r in requests:
            r.submitted_at = start + timedelta(days=(r.pk * 7919) % (MONTHS * 30), hours=r.pk % 8)
        SupportRequest.objects.bulk_update(requests, ["submitted_at"], batch_size=2000)
        booked = dict(Session.objects.values_list("request_id", "expert_id"))
        for p in Proposal.objects.filter(status="proposed").only("id", "request_id", "expert_id"):
            if booked.get(p.request_id) == p.expert_id:
                p.status = "accepted"
            elif p.pk % 5 == 0:
                p.status, p.decline_reason = "declined", "Bench: no capacity this term."
                p.decline_reason_code = "no_capacity"
            elif p.pk % 5 == 1:
                p.status = "expired"
            else:
                continue
            p.save(update_fields=["status", "decline_reason", "decline_reason_code"])
        # Their history says an expert accepted (what analytics count as matched); their
        # status stays, so bench/api.py still finds its proposed requests in the instance.
        StatusChange.objects.bulk_create(
            (
                StatusChange(request_id=pk, from_status="proposed", to_status="accepted")
                for pk in booked
            ),
            batch_size=2000,
        )
        sessions = list(Session.objects.only("id", "request_id", "status"))
        held = []
        for s in sessions:
            if s.pk % 17 == 0:
                s.status = "no_show"
            elif s.pk % 3 != 0:
                s.status = "completed"
                held.append(s)
        Session.objects.bulk_update(sessions, ["status"], batch_size=2000)
        attendee = dict(Session.attendees.through.objects.values_list("session_id", "user_id"))
        OutcomeReview.objects.bulk_create(
            (
                OutcomeReview(
                    request_id=s.request_id,
                    status="completed",
                    t_score=50 + (s.pk * 37) % 41 - 20,
                    confidence_before=2 + (s.pk % 3) / 2,
                    confidence_after=1 + s.pk % 5,
                )
                for s in held
            ),
            batch_size=2000,
        )
        Feedback.objects.bulk_create(
            (
                Feedback(
                    session_id=s.pk,
                    author_id=attendee[s.pk],
                    side="school",
                    useful=1 + s.pk % 5,
                    practical=1 + (s.pk // 5) % 5,
                    would_recommend=1 + (s.pk // 25) % 5,
                )
                for s in held
                if s.pk in attendee
            ),
            batch_size=2000,
        )


def endpoints(c: dataset.Callers) -> list[load.Endpoint]:
    a = "/api/v1/analytics"
    return [
        load.Endpoint("baseline: GET /me", "/api/v1/me", c.admin),
        load.Endpoint("demand need × month", f"{a}/demand?rows=need&columns=month", c.admin),
        load.Endpoint("demand LA × need", f"{a}/demand?rows=la&columns=need", c.admin),
        load.Endpoint("demand (coordinator)", f"{a}/demand", c.coordinator),
        load.Endpoint("demand CSV", f"{a}/demand?format=csv", c.admin),
        load.Endpoint("per 1,000 pupils", f"{a}/demand/prevalence", c.admin),
        load.Endpoint("supply need × month", f"{a}/supply?rows=need", c.admin),
        load.Endpoint("supply phase × month", f"{a}/supply?rows=phase", c.admin),
        load.Endpoint("flow by need", f"{a}/flow?rows=need", c.admin),
        load.Endpoint("flow by region", f"{a}/flow?rows=region", c.coordinator),
        load.Endpoint("unmet need × LA", f"{a}/unmet", c.admin),
        load.Endpoint("outcomes by need", f"{a}/outcomes", c.admin),
    ]


def cold(base: str, endpoint: load.Endpoint) -> tuple[int, float]:
    """One request before any load: the status and how long it took (ms)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 — loopback
        base + endpoint.path, headers={"Authorization": f"Bearer {endpoint.token}"}
    )
    began = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, (time.perf_counter() - began) * 1000


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    url, n_requests, n_experts = dataset.open_instance(
        args.database_url, DEFAULT_URL, bench="analytics", smoke=args.smoke, rebuild=args.rebuild
    )
    seconds = args.seconds or (1.0 if args.smoke else 5.0)
    args.runs = args.runs or (1 if args.smoke else 2)
    callers = dataset.prepare_callers()  # adds the sessions bench/api.py reads, once
    add_analytics_rows()
    from django.core.management import call_command

    call_command("import_sen_statistics", str(ROOT / "data" / "sen_in_england_sample.csv"))

    env = {
        "DATABASE_URL": url,
        "DEBUG": "false",
        "GIL_SWITCH_INTERVAL_MS": os.environ.get("GIL_SWITCH_INTERVAL_MS", "0.5"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "THROTTLE_USER": "100000000/min",
        "THROTTLE_ANON": "100000000/min",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    problems: list[str] = []
    rows: list[tuple[load.Endpoint, float, load.Figures]] = []
    with load.serve("config.wsgi", env) as api:
        out(f"API {api}; {args.connections} connections, {seconds:g} s a run")
        for endpoint in endpoints(callers):
            status, first_ms = cold(api, endpoint)
            if status != 200:
                problems.append(f"{endpoint.name}: status {status}")
                continue
            runs = [load.wrk(api, endpoint, seconds, args.connections) for _ in range(args.runs)]
            rows.append((endpoint, first_ms, combine(runs)))
            out(f"  {endpoint.name}: cold {first_ms:.0f} ms, p99 {rows[-1][2].p99_ms:.1f} ms")
    report(rows, args, n_requests, n_experts)
    for problem in problems:
        out(f"PROBLEM: {problem}")
    return 1 if problems else 0


def report(
    rows: list[tuple[load.Endpoint, float, load.Figures]],
    args: argparse.Namespace,
    n_requests: int,
    n_experts: int,
) -> None:
    baseline = rows[0][2].p99_ms if rows else 0.0
    out()
    out(
        f"== analytics, {n_requests:,} requests × {n_experts:,} experts; {os.cpu_count()} CPUs; "
        f"wrk at {args.connections} connections, {args.runs} run(s) each"
    )
    out(
        f"  {'endpoint':<24}{'cold':>8}{'req/s':>8}{'p50':>8}{'p99':>8}{'×base':>7}"
        f"{'errors':>8}  goal"
    )
    for endpoint, first_ms, f in rows:
        ratio = f.p99_ms / baseline if baseline else 0.0
        goal = "PASS" if f.p99_ms < GOAL_P99_MS and f.errors == 0 else "FAIL"
        out(
            f"  {endpoint.name:<24}{first_ms:>8.0f}{f.requests_per_s:>8.0f}{f.p50_ms:>8.1f}"
            f"{f.p99_ms:>8.1f}{ratio:>7.1f}{f.errors:>8}  p99 < {GOAL_P99_MS:.0f} ms {goal}"
        )
    out("  (ms; cold: the first request, before its suppression is cached; ×base: p99 / GET /me's)")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The API at national scale against its raw limit, measured in one run (docs/benchmarks.md).

    .venv/bin/python bench/api.py                 # national: 20,000 requests × 5,000 experts
    .venv/bin/python bench/api.py --smoke         # CI: a tiny instance, A B of ~1 s each

Builds the national instance with bench/matching.py (or reuses it when the database already
holds it), serves the API with gunicorn (2 workers, gthread, 4 threads; DEBUG off, throttles
raised) and, beside it, the raw baseline (bench/web/baseline.py: the same token check and the
same page from one SQL statement) under the same settings. For each endpoint it checks that
both give the same page, then drives them with wrk from loopback at 16 connections in turn,
A B A B, and prints requests/s, p50 and p99 of each side and the ratio API / baseline.
Exit status 1 when a page differs or a run failed; the speed targets are reported, not
asserted. PostgreSQL only: the database name must contain "bench" (it may be rebuilt).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.national.england import out
from bench.web import dataset, load

DEFAULT_URL = "postgres://exchange:exchange@127.0.0.1:54330/exchange_api_bench"

# The drafts it raises are deleted before and after each run (bench/web/dataset.py).
CREATE_BODY = {
    "title": "Bench: sensory regulation for a Year 4 class",
    "scope": "class",
    "needs": ["ASD", "SLCN"],
    "primary_need": "ASD",
    "phase": "primary",
    "year_groups": [4],
    "sen_status": "sen_support",
    "context": "Two pupils leave the classroom when it gets loud.",
    "desired_outcome": "Staff can plan sensory breaks and calmer transitions.",
    "format": "consultation",
    "urgency": "soon",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="Tiny instance, ~1 s per run.")
    parser.add_argument("--database-url", help=f"Default: $BENCH_DATABASE_URL, else {DEFAULT_URL}.")
    parser.add_argument("--rebuild", action="store_true", help="Build the instance again.")
    parser.add_argument("--seconds", type=float, help="Per run (default 10; smoke 1).")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--only", help="Comma-separated endpoint names to run.")
    return parser.parse_args(argv)


def endpoints(c: dataset.Callers) -> list[load.Endpoint]:
    page = "page_size=50"
    return [
        load.Endpoint("requests (admin)", f"/api/v1/requests?{page}", c.admin),
        load.Endpoint("requests (coordinator)", f"/api/v1/requests?{page}", c.coordinator),
        load.Endpoint("requests (SENCO)", f"/api/v1/requests?{page}", c.senco),
        load.Endpoint(
            "experts near a school", f"/api/v1/experts?near={c.senco_school}&{page}", c.senco
        ),
        load.Endpoint(
            "proposals of a request",
            f"/api/v1/requests/{c.proposed_request}/proposals",
            c.senco,
        ),
        load.Endpoint(
            "sessions in a date range",
            "/api/v1/sessions?starts_after=2027-01-11T00:00:00Z"
            f"&starts_before=2027-01-25T00:00:00Z&{page}",
            c.admin,
        ),
        load.Endpoint(
            "request detail", f"/api/v1/requests/{c.proposed_request}", c.senco, kind="detail"
        ),
        load.Endpoint(
            "request create",
            "/api/v1/requests",
            c.senco,
            method="POST",
            body=CREATE_BODY,
            kind="create",
        ),
    ]


def targets(endpoint: load.Endpoint, api: load.Figures, ratio: float) -> list[str]:
    """The issue's targets for this endpoint, each PASS or FAIL."""
    checks = [("zero errors", api.errors == 0)]
    if endpoint.kind == "list":
        checks += [("≥ 0.5× baseline", ratio >= 0.5), ("p99 ≤ 100 ms", api.p99_ms <= 100)]
    elif endpoint.kind == "detail":
        checks += [("p99 ≤ 50 ms", api.p99_ms <= 50)]
    else:
        checks += [("≥ 150/s", api.requests_per_s >= 150)]
    return [f"{name} {'PASS' if ok else 'FAIL'}" for name, ok in checks]


def combine(runs: list[load.Figures]) -> load.Figures:
    """The runs of one side: mean requests/s, the worse p50 and p99, all errors."""
    return load.Figures(
        requests_per_s=sum(r.requests_per_s for r in runs) / len(runs),
        p50_ms=max(r.p50_ms for r in runs),
        p99_ms=max(r.p99_ms for r in runs),
        requests=sum(r.requests for r in runs),
        errors=sum(r.errors for r in runs),
    )


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    url, n_requests, n_experts = dataset.open_instance(
        args.database_url, DEFAULT_URL, bench="API", smoke=args.smoke, rebuild=args.rebuild
    )
    seconds = args.seconds or (1.0 if args.smoke else 10.0)
    dataset.remove_created(CREATE_BODY["title"])
    callers = dataset.prepare_callers()
    chosen = endpoints(callers)
    if args.only:
        names = {name.strip() for name in args.only.split(",")}
        chosen = [e for e in chosen if e.name in names]

    env = {
        "DATABASE_URL": url,
        "BENCH_DSN": dataset.dsn(url),
        "DEBUG": "false",
        "GIL_SWITCH_INTERVAL_MS": os.environ.get("GIL_SWITCH_INTERVAL_MS", "0.5"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "THROTTLE_USER": "100000000/min",
        "THROTTLE_ANON": "100000000/min",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    problems: list[str] = []
    rows: list[tuple[load.Endpoint, load.Figures, load.Figures, float]] = []
    load_before = os.getloadavg()
    with load.serve("config.wsgi", env) as api, load.serve("bench.web.baseline:app", env) as raw:
        out(f"API {api}, baseline {raw}; {args.connections} connections, {seconds:g} s a run")
        for endpoint in chosen:
            difference = load.same_page(
                load.fetch(api, endpoint), load.fetch(raw, endpoint), endpoint.kind == "create"
            )
            if difference:
                problems.append(f"{endpoint.name}: pages differ: {difference}")
                out(f"  {endpoint.name}: PAGES DIFFER ({difference})")
                continue
            runs: dict[str, list[load.Figures]] = {"api": [], "raw": []}
            for _ in range(1 if args.smoke else 2):  # A B A B (the smoke run: A B)
                runs["api"].append(load.wrk(api, endpoint, seconds, args.connections))
                runs["raw"].append(load.wrk(raw, endpoint, seconds, args.connections))
            a, b = combine(runs["api"]), combine(runs["raw"])
            ratio = a.requests_per_s / b.requests_per_s if b.requests_per_s else 0.0
            rows.append((endpoint, a, b, ratio))
            out(
                f"  {endpoint.name}: same page; API {a.requests_per_s:.0f}/s, "
                f"baseline {b.requests_per_s:.0f}/s"
            )
    dataset.remove_created(CREATE_BODY["title"])
    report(rows, args, n_requests, n_experts, (load_before, os.getloadavg()))
    for problem in problems:
        out(f"PROBLEM: {problem}")
    return 1 if problems else 0


def report(
    rows: list[tuple[load.Endpoint, load.Figures, load.Figures, float]],
    args: argparse.Namespace,
    n_requests: int,
    n_experts: int,
    loads: tuple[tuple[float, float, float], tuple[float, float, float]],
) -> None:
    """The table; the machine's load average (1, 5, 15 min) before and after, as ``uptime``
    prints it, since the figures are only comparable between runs at a similar load."""
    out()
    before, after = (", ".join(f"{x:.2f}" for x in average) for average in loads)
    out(
        f"== {n_requests:,} requests × {n_experts:,} experts; {os.cpu_count()} CPUs; "
        f"wrk at {args.connections} connections; A B A B; "
        f"load average {before} before, {after} after"
    )
    head = f"  {'endpoint':<28}{'API/s':>8}{'p50':>8}{'p99':>8}{'raw/s':>8}{'p50':>8}{'p99':>8}"
    out(head + f"{'ratio':>7}{'errors':>8}  targets")
    for endpoint, a, b, ratio in rows:
        out(
            f"  {endpoint.name:<28}{a.requests_per_s:>8.0f}{a.p50_ms:>8.1f}{a.p99_ms:>8.1f}"
            f"{b.requests_per_s:>8.0f}{b.p50_ms:>8.1f}{b.p99_ms:>8.1f}{ratio:>7.2f}"
            f"{a.errors:>8}  {', '.join(targets(endpoint, a, ratio))}"
        )
    out("  (latencies in ms; errors: the API's socket errors and non-2xx answers)")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Stage 1: migrate the bench database and build the instance in it, step by step."""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.national.context import Build, lap
from bench.national.database import setup_django
from bench.national.england import synthetic_mix
from bench.national.expertise import build_expert_details
from bench.national.experts import build_experts, build_users
from bench.national.geography import build_geography
from bench.national.requests import build_requests


def stage_build(args: argparse.Namespace) -> dict[str, Any]:
    setup_django()
    from django.core.management import call_command

    timings: dict[str, float] = {}
    mark = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    timings["migrate"] = time.perf_counter() - mark
    mark = time.perf_counter()
    counts = build_instance(args.requests, args.experts, args.seed, timings)
    timings["build"] = time.perf_counter() - mark
    return {"timings_s": timings, "counts": counts}


def build_instance(
    n_requests: int, n_experts: int, seed: int, timings: dict[str, float]
) -> dict[str, int]:
    """Bulk-inserts the synthetic instance in one transaction; returns row counts."""
    import numpy as np
    from django.db import transaction
    from django.utils import timezone

    from exchange.models import Need, Topic
    from matching.selectors import local_today

    ctx = Build(
        rng=np.random.default_rng(seed),
        mix=synthetic_mix(),
        n_requests=n_requests,
        n_experts=n_experts,
        today=local_today(),
        now=timezone.now(),
        needs={n.code: n for n in Need.objects.all()},
        topics={t.slug: t for t in Topic.objects.filter(is_active=True)},
    )
    with transaction.atomic():
        mark = time.perf_counter()
        geography = build_geography(ctx)
        mark = lap(timings, "geography", mark)
        people = build_users(ctx, geography)
        mark = lap(timings, "users", mark)
        profiles = build_experts(ctx, geography, people)
        mark = lap(timings, "experts", mark)
        build_expert_details(ctx, profiles)
        mark = lap(timings, "expert_details", mark)
        build_requests(ctx, geography, people)
        lap(timings, "requests", mark)
    return ctx.counts

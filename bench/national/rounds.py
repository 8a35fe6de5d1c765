"""Stage 3: ``matching_round_run`` itself, with the loads and the regions it served."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from bench.national.england import REGIONS, peak_rss_mb


def run_round(profile: bool) -> dict[str, Any]:
    from matching.enums import RunTrigger
    from matching.services import matching_round_run

    # Accepting capacity per region, read before the round takes some of it.
    capacity_by_region = accepting_capacity_by_region()
    rss_before = peak_rss_mb()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    mark = time.perf_counter()
    run = matching_round_run(trigger=RunTrigger.COMMAND)
    wall_s = time.perf_counter() - mark
    if profiler is not None:
        profiler.disable()
    rss_after = peak_rss_mb()
    result: dict[str, Any] = {
        "run_id": run.pk,
        "status": run.status,
        "wall_s": wall_s,
        "duration_ms": run.duration_ms,
        "timings_ms": run.timings_ms,
        "requests": run.requests_considered,
        "experts": run.experts_considered,
        "candidate_pairs": run.candidate_pairs,
        "matched": run.matched_count,
        "unmatched": run.unmatched_count,
        "objective_value": run.objective_value,
        "objective": run.objective,
        **round_loads(run),
        "peak_rss_before_mb": rss_before,
        "peak_rss_mb": rss_after,
        "regions": round_regions(run, capacity_by_region),
    }
    if profiler is not None:
        result.update(profile_text(profiler))
    return result


def accepting_capacity_by_region() -> Counter[str]:
    from matching import selectors

    capacity_by_region: Counter[str] = Counter()
    for region, sessions in selectors.experts_accepting_work(
        today=selectors.local_today()
    ).values_list("school__region", "sessions_per_month"):
        capacity_by_region[region] += sessions
    return capacity_by_region


def round_loads(run: Any) -> dict[str, Any]:
    """The proposals the round wrote: each expert's load against their capacity, the
    busiest expert, and any request proposed twice."""
    from django.db.models import Count

    from exchange.models import ExpertProfile
    from matching import selectors
    from matching.models import Proposal

    loads = dict(
        Proposal.objects.filter(run=run)
        .values("expert_id")
        .annotate(n=Count("id"))
        .values_list("expert_id", "n")
    )
    per_request = (
        Proposal.objects.filter(run=run)
        .values("request_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    capacity = dict(
        ExpertProfile.objects.filter(pk__in=list(loads)).values_list("pk", "sessions_per_month")
    )
    holds = selectors.expert_loads(expert_ids=list(loads), today=selectors.local_today())
    over = sorted(pk for pk, n in holds.items() if n > capacity[pk])
    busiest = max(loads, key=lambda pk: (loads[pk], -pk)) if loads else None
    return {
        "proposals": sum(loads.values()),
        "max_load": loads[busiest] if busiest else 0,
        "max_load_capacity": capacity[busiest] if busiest else 0,
        "requests_with_two": per_request,
        "over_capacity": over[:5],
    }


def round_regions(run: Any, capacity_by_region: Counter[str]) -> list[tuple[str, int, int, int]]:
    """By region: requests, accepting capacity (sessions) and requests the round matched."""
    from django.db.models import Count

    from exchange.models import SupportRequest
    from matching.models import Proposal

    requests_by_region = dict(
        SupportRequest.objects.values("school__region")
        .annotate(n=Count("id"))
        .values_list("school__region", "n")
    )
    matched_by_region = dict(
        Proposal.objects.filter(run=run)
        .values("request__school__region")
        .annotate(n=Count("id"))
        .values_list("request__school__region", "n")
    )
    return [
        (
            region,
            requests_by_region.get(region, 0),
            capacity_by_region.get(region, 0),
            matched_by_region.get(region, 0),
        )
        for region, _, _ in REGIONS
    ]


def profile_text(profiler: Any) -> dict[str, str]:
    import io
    import pstats

    texts = {}
    for order in ("cumulative", "tottime"):
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats(order).print_stats(20)
        texts[f"profile_{order}"] = stream.getvalue()
    return texts

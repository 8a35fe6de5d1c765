"""Building the waiting support requests and their preferred windows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bench.national.context import (
    Build,
    Geography,
    People,
    choose,
    sample_without,
    weighted,
    window_times,
)
from bench.national.england import REQUEST_NEED_WEIGHTS
from bench.national.limits import BATCH


def build_requests(ctx: Build, geography: Geography, people: People) -> None:
    """The submitted requests, each waiting up to 30 days, then their needs, topics and
    preferred windows."""
    from exchange.models import PreferredWindow, SupportRequest

    rng, n = ctx.rng, ctx.n_requests
    primary_needs = weighted(rng, REQUEST_NEED_WEIGHTS, n)
    formats = choose(rng, ctx.mix.request_formats, n)
    urgencies = choose(rng, ctx.mix.urgencies, n)
    waited = rng.uniform(0, 30 * 86400, size=n)
    requests = []
    for i in range(n):
        s = int(people.request_school[i])
        requests.append(
            support_request(
                ctx,
                school=geography.mainstream[s],
                senco=people.senco_of[s],
                primary_need=primary_needs[i],
                request_format=str(formats[i]),
                urgency=str(urgencies[i]),
                waited_s=float(waited[i]),
            )
        )
    SupportRequest.objects.bulk_create(requests, batch_size=BATCH)
    NeedLink = SupportRequest.needs.through
    TopicLink = SupportRequest.topics.through
    request_needs: list[Any] = []
    request_topics: list[Any] = []
    preferred: list[Any] = []
    for request, primary_need in zip(requests, primary_needs, strict=True):
        codes = [
            primary_need,
            *sample_without(rng, REQUEST_NEED_WEIGHTS, int(rng.integers(1, 3)), {primary_need}),
        ]
        request_needs.extend(
            NeedLink(supportrequest_id=request.pk, need_id=ctx.needs[c].pk) for c in codes
        )
        for slug in rng.permutation(ctx.topic_pool(codes))[: int(rng.integers(0, 4))]:
            request_topics.append(
                TopicLink(supportrequest_id=request.pk, topic_id=ctx.topics[str(slug)].pk)
            )
        preferred.extend(preferred_windows(ctx, request))
    NeedLink.objects.bulk_create(request_needs, batch_size=BATCH)
    TopicLink.objects.bulk_create(request_topics, batch_size=BATCH)
    PreferredWindow.objects.bulk_create(preferred, batch_size=BATCH)
    ctx.counts.update(
        requests=len(requests),
        request_needs=len(request_needs),
        request_topics=len(request_topics),
        preferred_windows=len(preferred),
    )


def request_phase(ctx: Build, school_phase: str) -> tuple[str, list[int]]:
    """The phase a request is about, in its school's phase, and its year groups (none for
    one request in five)."""
    from accounts.enums import Phase
    from exchange.enums import EducationPhase

    rng = ctx.rng
    drawn: Any
    if school_phase == Phase.PRIMARY:
        drawn = EducationPhase.EARLY_YEARS if rng.random() < 0.10 else EducationPhase.PRIMARY
    elif school_phase == Phase.SECONDARY:
        drawn = EducationPhase.POST_16 if rng.random() < 0.15 else EducationPhase.SECONDARY
    else:
        drawn = rng.choice([EducationPhase.PRIMARY, EducationPhase.SECONDARY])
    phase = str(drawn)
    years = ctx.mix.year_groups[phase]
    start = int(rng.integers(len(years)))
    year_groups = [] if rng.random() < 0.2 else years[start : start + int(rng.integers(1, 3))]
    return phase, year_groups


def support_request(
    ctx: Build,
    *,
    school: Any,
    senco: Any,
    primary_need: str,
    request_format: str,
    urgency: str,
    waited_s: float,
) -> Any:
    from exchange.enums import RequestScope, RequestStatus, SenStatus
    from exchange.models import SupportRequest

    rng = ctx.rng
    phase, year_groups = request_phase(ctx, school.phase)
    scope = str(choose(rng, ctx.mix.scopes))
    one_pupil = scope == RequestScope.ONE_PUPIL
    return SupportRequest(
        school=school,
        created_by=senco,
        title=f"{primary_need} support, {phase.replace('_', ' ')}",
        scope=scope,
        parental_consent_obtained=one_pupil,
        parental_consent_date=ctx.today - timedelta(days=7) if one_pupil else None,
        primary_need=ctx.needs[primary_need],
        phase=phase,
        year_groups=year_groups,
        sen_status=str(rng.choice(list(SenStatus))),
        context="Synthetic benchmark request: the needs as they present in class.",
        tried_so_far="Two assess-plan-do-review cycles.",
        desired_outcome="Staff confident with a shared plan.",
        format=request_format,
        staff_attending=int(rng.integers(1, 13)),
        urgency=urgency,
        video_acceptable=bool(rng.random() < 0.8),
        status=RequestStatus.SUBMITTED,
        submitted_at=ctx.now - timedelta(seconds=waited_s),
    )


def preferred_windows(ctx: Build, request: Any) -> list[Any]:
    """Three requests in ten prefer a few school days of the next three weeks (a weekend
    moves to the Monday after)."""
    from exchange.models import PreferredWindow

    rng = ctx.rng
    if rng.random() >= 0.3:
        return []
    windows = []
    for offset in sorted(set(rng.integers(1, 22, size=int(rng.integers(1, 4))).tolist())):
        day = ctx.today + timedelta(days=offset)
        if day.weekday() > 4:
            day += timedelta(days=7 - day.weekday())
        start, end = window_times(rng)
        windows.append(PreferredWindow(request=request, date=day, start_time=start, end_time=end))
    return windows

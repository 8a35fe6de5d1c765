"""What each expert knows (specialisms, credentials) and when they work."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bench.national.context import Build, sample_without, window_times
from bench.national.england import EXPERT_NEED_WEIGHTS
from bench.national.limits import BATCH


def build_expert_details(ctx: Build, profiles: list[Any]) -> None:
    """Specialisms (needs, then topics those needs touch), credentials, weekly windows and a
    few days off."""
    from exchange.models import AvailabilityException, AvailabilityWindow, Credential, Specialism

    rng, n = ctx.rng, len(profiles)
    specialisms: list[Any] = []
    credentials: list[Any] = []
    windows: list[Any] = []
    days_off: list[Any] = []
    n_needs = rng.choice([1, 2, 3, 4], size=n, p=[0.30, 0.35, 0.25, 0.10])
    n_topics = rng.choice([0, 1, 2, 3], size=n, p=[0.20, 0.35, 0.30, 0.15])
    for i, profile in enumerate(profiles):
        expert_specialisms(
            ctx, profile, int(n_needs[i]), int(n_topics[i]), specialisms, credentials
        )
        credentials.extend(teaching_qualification(ctx, profile))
        windows.extend(weekly_windows(ctx, profile))
        days_off.extend(expert_days_off(ctx, profile))
    Specialism.objects.bulk_create(specialisms, batch_size=BATCH)
    Credential.objects.bulk_create(credentials, batch_size=BATCH)
    AvailabilityWindow.objects.bulk_create(windows, batch_size=BATCH)
    AvailabilityException.objects.bulk_create(days_off, batch_size=BATCH)
    ctx.counts.update(
        specialisms=len(specialisms),
        credentials=len(credentials),
        availability_windows=len(windows),
        days_off=len(days_off),
    )


def expert_specialisms(
    ctx: Build,
    profile: Any,
    n_needs: int,
    n_topics: int,
    specialisms: list[Any],
    credentials: list[Any],
) -> None:
    """Appends the expert's needs (with the mandatory qualification a sensory need asks
    for, verified) and topics."""
    from exchange.enums import MANDATORY_QUALIFICATION_FOR_NEED, VerificationStatus
    from exchange.models import Credential, Specialism

    codes = sample_without(ctx.rng, EXPERT_NEED_WEIGHTS, n_needs, set())
    for code in codes:
        specialisms.append(Specialism(expert=profile, need=ctx.needs[code], level=ctx.level()))
        if code in MANDATORY_QUALIFICATION_FOR_NEED:
            credentials.append(
                Credential(
                    expert=profile,
                    kind=MANDATORY_QUALIFICATION_FOR_NEED[code],
                    status=VerificationStatus.VERIFIED,
                    verified_at=ctx.now,
                )
            )
    for slug in ctx.rng.permutation(ctx.topic_pool(codes))[:n_topics]:
        specialisms.append(
            Specialism(expert=profile, topic=ctx.topics[str(slug)], level=ctx.level())
        )


def teaching_qualification(ctx: Build, profile: Any) -> list[Any]:
    """A verified QTS for four experts in five."""
    from exchange.enums import CredentialKind, VerificationStatus
    from exchange.models import Credential

    if ctx.rng.random() >= 0.8:
        return []
    return [
        Credential(
            expert=profile,
            kind=CredentialKind.QTS,
            status=VerificationStatus.VERIFIED,
            verified_at=ctx.now,
        )
    ]


def weekly_windows(ctx: Build, profile: Any) -> list[Any]:
    """One to three weekdays, each a morning, an afternoon or the whole day."""
    from exchange.models import AvailabilityWindow

    windows = []
    for weekday in sorted(ctx.rng.choice(5, size=int(ctx.rng.integers(1, 4)), replace=False)):
        start, end = window_times(ctx.rng)
        windows.append(
            AvailabilityWindow(expert=profile, weekday=int(weekday), start_time=start, end_time=end)
        )
    return windows


def expert_days_off(ctx: Build, profile: Any) -> list[Any]:
    """One expert in ten is away on a few days of the next three weeks."""
    from exchange.enums import ExceptionKind
    from exchange.models import AvailabilityException

    if ctx.rng.random() >= 0.10:
        return []
    offsets = sorted(set(ctx.rng.integers(1, 21, size=int(ctx.rng.integers(1, 4))).tolist()))
    return [
        AvailabilityException(
            expert=profile,
            date=ctx.today + timedelta(days=offset),
            kind=ExceptionKind.UNAVAILABLE,
        )
        for offset in offsets
    ]

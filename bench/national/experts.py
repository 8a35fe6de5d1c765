"""Building users, memberships and expert profiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bench.national.context import Build, Geography, People
from bench.national.limits import BATCH


def build_users(ctx: Build, geography: Geography) -> People:
    """Which schools raise the requests (bigger schools more often; some raise several), a
    user for each expert and each requesting school's SENCO."""
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

    from accounts.models import User

    n_mainstream, n_experts = len(geography.mainstream), ctx.n_experts
    school_weight = ctx.rng.lognormal(0, 0.6, size=n_mainstream)
    request_school = ctx.rng.choice(
        n_mainstream, size=ctx.n_requests, p=school_weight / school_weight.sum()
    )
    requesting = sorted(set(request_school.tolist()))
    ctx.counts["requesting_schools"] = len(requesting)
    # No password hashing ("!" is Django's unusable-password prefix).
    users = [
        User(
            email=f"expert{i + 1}@bench.exchange.invalid",
            full_name=f"Expert {i + 1}",
            password=UNUSABLE_PASSWORD_PREFIX,
        )
        for i in range(n_experts)
    ] + [
        User(
            email=f"senco{s}@bench.exchange.invalid",
            full_name=f"SENCO {s}",
            password=UNUSABLE_PASSWORD_PREFIX,
        )
        for s in requesting
    ]
    User.objects.bulk_create(users, batch_size=BATCH)
    return People(
        request_school=request_school,
        requesting=requesting,
        expert_users=users[:n_experts],
        senco_of=dict(zip(requesting, users[n_experts:], strict=True)),
    )


@dataclass(frozen=True)
class ExpertDraws:
    """Each expert's draws, one array (a row per expert) each."""

    school: Any  # an index into Geography.special
    standing: Any  # "ok", "unverified", "paused" or "suspended"
    safeguarding: Any  # "valid", "expired" or "none"
    capacity: Any  # sessions a month
    travel: Any  # km
    offers: Any  # a column per format, in Mix.offers' order
    serves: Any  # a column per phase, in Mix.serves' order


def build_experts(ctx: Build, geography: Geography, people: People) -> list[Any]:
    """The experts' profiles at special schools, and everyone's membership of their school."""
    import numpy as np

    from accounts.enums import Role
    from accounts.models import Membership
    from exchange.models import ExpertProfile

    rng, n = ctx.rng, ctx.n_experts
    draws = ExpertDraws(
        school=rng.integers(len(geography.special), size=n),
        standing=rng.choice(
            ["ok", "unverified", "paused", "suspended"], size=n, p=[0.90, 0.05, 0.04, 0.01]
        ),
        safeguarding=rng.choice(["valid", "expired", "none"], size=n, p=[0.90, 0.07, 0.03]),
        capacity=rng.choice(
            np.arange(1, 9), size=n, p=[0.20, 0.25, 0.20, 0.12, 0.08, 0.06, 0.05, 0.04]
        ),
        travel=np.clip(rng.triangular(10, 20, 50, size=n).round(), 10, 50).astype(int),
        offers=rng.random((n, len(ctx.mix.offers))) < list(ctx.mix.offers.values()),
        serves=rng.random((n, len(ctx.mix.serves))) < list(ctx.mix.serves.values()),
    )
    profiles = [
        expert_profile(ctx, draws, i, people.expert_users[i], geography.special) for i in range(n)
    ]
    ExpertProfile.objects.bulk_create(profiles, batch_size=BATCH)
    Membership.objects.bulk_create(
        [Membership(user=p.user, school=p.school, role=Role.EXPERT) for p in profiles]
        + [
            Membership(user=people.senco_of[s], school=geography.mainstream[s], role=Role.SENCO)
            for s in people.requesting
        ],
        batch_size=BATCH,
    )
    ctx.counts["experts"] = len(profiles)
    return profiles


def expert_profile(ctx: Build, draws: ExpertDraws, i: int, user: Any, special: list[Any]) -> Any:
    from exchange.enums import Format
    from exchange.models import FORMAT_FLAGS, PHASE_FLAGS, ExpertProfile

    rng, mix = ctx.rng, ctx.mix
    offers, serves = draws.offers[i], draws.serves[i]
    if not offers.any():
        offers[list(mix.offers).index(Format.VIDEO_CALL)] = True
    if not serves.any():
        serves[int(rng.integers(1, 3))] = True  # primary or secondary
    phases = [p for p, on in zip(mix.serves, serves, strict=True) if on]
    capacity = int(draws.capacity[i])
    per_week = min(capacity, int(rng.integers(1, 3)))
    standing, safeguarding = draws.standing[i], draws.safeguarding[i]
    return ExpertProfile(
        user=user,
        school=special[draws.school[i]],
        **{FORMAT_FLAGS[f]: bool(on) for f, on in zip(mix.offers, offers, strict=True)},
        **{PHASE_FLAGS[p]: bool(on) for p, on in zip(mix.serves, serves, strict=True)},
        age_min=min(mix.phase_ages[p][0] for p in phases),
        age_max=max(mix.phase_ages[p][1] for p in phases),
        max_travel_km=int(draws.travel[i]),
        sessions_per_week=per_week,
        sessions_per_month=capacity,
        is_verified=standing != "unverified",
        verified_at=None if standing == "unverified" else ctx.now,
        is_suspended=standing == "suspended",
        suspended_reason="Benchmark" if standing == "suspended" else "",
        is_paused=standing == "paused",
        safeguarding_confirmed_at=None if safeguarding == "none" else ctx.now,
        safeguarding_expires_on=safeguarding_expiry(ctx, safeguarding),
    )


def safeguarding_expiry(ctx: Build, safeguarding: str) -> date | None:
    if safeguarding == "none":
        return None
    if safeguarding == "valid":
        return ctx.today + timedelta(days=int(ctx.rng.integers(30, 1000)))
    return ctx.today - timedelta(days=int(ctx.rng.integers(1, 200)))

"""National-scale benchmark of a matching round (docs/benchmarks.md).

Builds a synthetic England in a throwaway database — 20,000 waiting requests from mainstream
schools, 5,000 experts at special schools, ~150 local authorities clustered around real
conurbations on the British National Grid — then runs ``matching_round_run`` end to end and
prints where the time went, the peak memory, the share of requests matched, the largest load
on any expert, and the exact objective against a greedy baseline solved on the same graph.

    .venv/bin/python bench/matching.py                       # SQLite, /tmp/exchange-bench.sqlite3
    .venv/bin/python bench/matching.py --check-small         # + exactness against SciPy
    .venv/bin/python bench/matching.py \\
        --database-url postgres://exchange:exchange@127.0.0.1:54330/exchange_bench

The database is dropped and built again on every run, so its name must contain "bench".
Each stage runs in its own process, so the peak memory printed is the round's alone:
  build    migrate and bulk-insert the instance;
  analyse  read the facts and build the candidate graph exactly as the round does, then time
           the exact solver (both objectives), the greedy baseline and, with --check-full, a
           second exact solver (SciPy's sparse LAPJV) on the national graph;
  round    ``matching_round_run(trigger="command")``: reads, candidates, solve, writes.
Exit status: 0 when the figures are a report (targets may fail), 1 when an exactness or
capacity check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "sqlite:////tmp/exchange-bench.sqlite3"
BATCH = 2000
# Targets from the issue.
ROUND_TARGET_S = 10.0
ROUND_LIMIT_S = 30.0
SOLVE_TARGET_S = 1.0

# --- synthetic England ------------------------------------------------------------------------

# Conurbations and county towns (approximate British National Grid centres, metres) and a
# rough population weight: local authorities cluster around them as people do.
CITIES: list[tuple[str, int, int, float]] = [
    ("London", 530000, 180000, 9.0),
    ("Birmingham", 407000, 287000, 2.9),
    ("Manchester", 384000, 398000, 2.8),
    ("Leeds", 430000, 433000, 2.3),
    ("Liverpool", 335000, 390000, 1.5),
    ("Sheffield", 435000, 387000, 1.4),
    ("Newcastle", 425000, 564000, 1.1),
    ("Bristol", 359000, 173000, 1.1),
    ("Nottingham", 457000, 340000, 1.1),
    ("Leicester", 458000, 304000, 1.0),
    ("Southampton", 442000, 112000, 1.0),
    ("Portsmouth", 464000, 100000, 0.5),
    ("Brighton", 531000, 105000, 0.6),
    ("Maidstone", 576000, 155000, 0.8),
    ("Chelmsford", 571000, 207000, 0.7),
    ("Reading", 471000, 173000, 0.6),
    ("Oxford", 451000, 206000, 0.6),
    ("Milton Keynes", 485000, 238000, 0.5),
    ("Northampton", 475000, 260000, 0.5),
    ("Cambridge", 545000, 258000, 0.6),
    ("Peterborough", 519000, 298000, 0.4),
    ("Norwich", 623000, 308000, 0.6),
    ("Ipswich", 616000, 244000, 0.4),
    ("Coventry", 433000, 279000, 0.6),
    ("Stoke-on-Trent", 388000, 346000, 0.5),
    ("Derby", 435000, 336000, 0.5),
    ("Lincoln", 497000, 371000, 0.4),
    ("Hull", 509000, 429000, 0.5),
    ("York", 460000, 452000, 0.3),
    ("Middlesbrough", 449000, 520000, 0.6),
    ("Preston", 354000, 429000, 0.6),
    ("Carlisle", 340000, 556000, 0.2),
    ("Shrewsbury", 349000, 312000, 0.3),
    ("Gloucester", 383000, 218000, 0.4),
    ("Swindon", 415000, 185000, 0.3),
    ("Bournemouth", 408000, 91000, 0.5),
    ("Exeter", 292000, 92000, 0.5),
    ("Plymouth", 248000, 55000, 0.5),
    ("Truro", 182000, 44000, 0.3),
]
REGIONS: list[tuple[str, int, int]] = [
    ("North East", 425000, 560000),
    ("North West", 360000, 440000),
    ("Yorkshire and the Humber", 440000, 440000),
    ("East Midlands", 470000, 330000),
    ("West Midlands", 390000, 290000),
    ("East of England", 580000, 260000),
    ("London", 530000, 180000),
    ("South East", 470000, 140000),
    ("South West", 300000, 120000),
]
EASTING = (100_000, 650_000)
NORTHING = (0, 650_000)
LOCAL_AUTHORITIES = 150

# Needs: how often each is a request's primary need (roughly SEN2's mix) and how often an
# expert knows it. Sensory needs are rare and an expert only claims one with its verified
# mandatory qualification.
REQUEST_NEED_WEIGHTS = {
    "ASD": 30,
    "SLCN": 20,
    "SEMH": 18,
    "MLD": 10,
    "SPLD": 8,
    "SLD": 3,
    "PMLD": 1,
    "PD": 2,
    "HI": 2,
    "VI": 1,
    "MSI": 0.3,
    "OTH": 3,
}
EXPERT_NEED_WEIGHTS = {
    "ASD": 25,
    "SEMH": 18,
    "SLCN": 15,
    "MLD": 10,
    "SLD": 8,
    "SPLD": 7,
    "PMLD": 5,
    "PD": 4,
    "OTH": 3,
    "HI": 2,
    "VI": 2,
    "MSI": 1,
}
# (start, end): a morning, an afternoon, a whole school day.
WINDOW_SHAPES = [
    (clock_time(8, 45), clock_time(12, 0)),
    (clock_time(13, 0), clock_time(15, 30)),
    (clock_time(9, 0), clock_time(15, 0)),
]


@dataclass(frozen=True)
class Mix:
    """The bench's synthetic choices that are keyed by the domain's own codes. Each dict's
    order is the order the draws see, so it is part of the instance the seed builds."""

    mainstream_phases: dict[str, float]  # GIAS phase of a mainstream school
    statutory_ages: dict[str, tuple[int, int]]  # of a mainstream school, by its phase
    offers: dict[str, float]  # share of experts offering each format
    serves: dict[str, float]  # share of experts serving each phase
    # The ages an expert serving a phase works with: wider than the year groups' ages
    # (``matching.selectors.ages_of_year_groups``), as early years starts in nursery at 2
    # and special schools teach to 19.
    phase_ages: dict[str, tuple[int, int]]
    year_groups: dict[str, list[int]]  # a request's year groups by its phase (0 = Reception)
    levels: dict[str, float]
    request_formats: dict[str, float]
    urgencies: dict[str, float]
    scopes: dict[str, float]


def synthetic_mix() -> Mix:
    """The mix, built once Django is set up (the enums are the domain's)."""
    from accounts.enums import Phase
    from exchange.enums import EducationPhase, Format, Level, RequestFormat, RequestScope, Urgency

    return Mix(
        mainstream_phases={Phase.PRIMARY: 0.83, Phase.SECONDARY: 0.15, Phase.ALL_THROUGH: 0.02},
        statutory_ages={
            Phase.PRIMARY: (4, 11),
            Phase.SECONDARY: (11, 18),
            Phase.ALL_THROUGH: (4, 18),
        },
        offers={
            Format.OBSERVATION_VISIT: 0.75,
            Format.CONSULTATION: 0.60,
            Format.STAFF_TRAINING: 0.50,
            Format.VIDEO_CALL: 0.70,
        },
        serves={
            EducationPhase.EARLY_YEARS: 0.20,
            EducationPhase.PRIMARY: 0.65,
            EducationPhase.SECONDARY: 0.55,
            EducationPhase.POST_16: 0.20,
        },
        phase_ages={
            EducationPhase.EARLY_YEARS: (2, 5),
            EducationPhase.PRIMARY: (4, 11),
            EducationPhase.SECONDARY: (11, 16),
            EducationPhase.POST_16: (16, 19),
        },
        year_groups={
            EducationPhase.EARLY_YEARS: [0],
            EducationPhase.PRIMARY: list(range(1, 7)),
            EducationPhase.SECONDARY: list(range(7, 12)),
            EducationPhase.POST_16: [12, 13],
        },
        levels={
            Level.AWARE: 0.10,
            Level.PRACTITIONER: 0.30,
            Level.SPECIALIST: 0.40,
            Level.LEAD: 0.20,
        },
        request_formats={
            RequestFormat.ANY: 0.30,
            RequestFormat.OBSERVATION_VISIT: 0.30,
            RequestFormat.CONSULTATION: 0.15,
            RequestFormat.STAFF_TRAINING: 0.15,
            RequestFormat.VIDEO_CALL: 0.10,
        },
        urgencies={Urgency.ROUTINE: 0.55, Urgency.SOON: 0.30, Urgency.URGENT: 0.15},
        scopes={
            RequestScope.WHOLE_SCHOOL: 0.15,
            RequestScope.CLASS: 0.45,
            RequestScope.COHORT: 0.25,
            RequestScope.ONE_PUPIL: 0.15,
        },
    )


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


# --- the database ------------------------------------------------------------------------------


def database_config(url: str) -> dict[str, Any]:
    import environ

    return environ.Env.db_url_config(url)


def recreate_database(url: str) -> None:
    """Drops and creates the benchmark database; refuses a name without "bench" in it."""
    config = database_config(url)
    name = str(config["NAME"])
    if "bench" not in Path(name).name:
        raise SystemExit(
            f"Refusing to drop {name!r}: the benchmark recreates its database, so its name "
            "must contain 'bench' (e.g. .../exchange_bench)."
        )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(name + suffix).unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        autocommit=True,
    ) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def database_description() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} ({connection.settings_dict['NAME']})"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    settings = connection.settings_dict
    return f"PostgreSQL {version} ({settings['HOST']}:{settings['PORT']}/{settings['NAME']})"


# --- stage 1: build ----------------------------------------------------------------------------


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


def _weighted(rng: Any, weights: Mapping[str, float], size: int) -> list[str]:
    codes = list(weights)
    p = [weights[c] for c in codes]
    total = sum(p)
    return [codes[i] for i in rng.choice(len(codes), size=size, p=[w / total for w in p])]


def _sample_without(rng: Any, weights: Mapping[str, float], k: int, exclude: set[str]) -> list[str]:
    codes = [c for c in weights if c not in exclude]
    p = [weights[c] for c in codes]
    total = sum(p)
    picked = rng.choice(
        len(codes), size=min(k, len(codes)), replace=False, p=[w / total for w in p]
    )
    return [codes[i] for i in picked]


def _choose(rng: Any, weights: dict[str, float], size: int | None = None) -> Any:
    """Draws from a dict of codes and their probabilities (which sum to 1)."""
    return rng.choice(list(weights), size=size, p=list(weights.values()))


def _window_times(rng: Any) -> tuple[clock_time, clock_time]:
    return WINDOW_SHAPES[int(rng.integers(len(WINDOW_SHAPES)))]


def _lap(timings: dict[str, float], name: str, mark: float) -> float:
    timings[f"build.{name}"] = time.perf_counter() - mark
    return time.perf_counter()


@dataclass
class Build:
    """What the build's steps share. Every step draws from the one seeded stream in turn,
    so the order of the steps, and of the draws in each, is the instance the seed builds."""

    rng: Any
    mix: Mix
    n_requests: int
    n_experts: int
    today: date
    now: datetime
    needs: dict[str, Any]  # Need rows by code
    topics: dict[str, Any]  # active Topic rows by slug
    counts: dict[str, int] = field(default_factory=dict)

    def topic_pool(self, codes: list[str]) -> list[str]:
        """The active topics these needs touch, in a fixed order to draw from."""
        from exchange.taxonomy import TOPICS_BY_NEED

        return sorted({slug for code in codes for slug in TOPICS_BY_NEED[code]} & set(self.topics))

    def level(self) -> str:
        return str(_choose(self.rng, self.mix.levels))


@dataclass(frozen=True)
class Authorities:
    """The local authorities: names, centres (metres), relative weights of their people and
    of their special schools, and how far their schools scatter around the centre."""

    rows: list[Any]  # LocalAuthority rows
    names: list[str]
    east: Any
    north: Any
    people: Any
    special: Any
    scatter: Any


@dataclass(frozen=True)
class Placement:
    """Schools placed around authorities: each one's authority (an index), grid reference
    and nearest region."""

    authority: Any
    east: Any
    north: Any
    region: list[str]


@dataclass(frozen=True)
class Geography:
    mainstream: list[Any]  # School rows
    special: list[Any]


@dataclass(frozen=True)
class People:
    request_school: Any  # each request's school, an index into Geography.mainstream
    requesting: list[int]  # the schools that raise a request, in index order
    expert_users: list[Any]
    senco_of: dict[int, Any]  # a requesting school's SENCO


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
        mark = _lap(timings, "geography", mark)
        people = build_users(ctx, geography)
        mark = _lap(timings, "users", mark)
        profiles = build_experts(ctx, geography, people)
        mark = _lap(timings, "experts", mark)
        build_expert_details(ctx, profiles)
        mark = _lap(timings, "expert_details", mark)
        build_requests(ctx, geography, people)
        _lap(timings, "requests", mark)
    return ctx.counts


# --- build: geography ---


def build_geography(ctx: Build) -> Geography:
    """Local authorities around the cities, trusts, and the schools around their authorities'
    centres: mainstream schools where people live, special schools less evenly."""
    from accounts.models import School

    authorities = build_local_authorities(ctx)
    n_mainstream = max(50, round(ctx.n_requests * 0.85))
    n_special = max(10, ctx.n_experts // 4)
    at_mainstream = place(ctx.rng, authorities, n_mainstream, authorities.people)
    at_special = place(ctx.rng, authorities, n_special, authorities.special)
    trust_for = build_trusts(ctx, authorities, [at_mainstream, at_special])
    mainstream = mainstream_schools(ctx, authorities, at_mainstream, trust_for)
    special = special_schools(authorities, at_special, trust_for)
    School.objects.bulk_create([*mainstream, *special], batch_size=BATCH)
    ctx.counts["schools"] = len(mainstream) + len(special)
    ctx.counts["mainstream_schools"] = n_mainstream
    return Geography(mainstream=mainstream, special=special)


def build_local_authorities(ctx: Build) -> Authorities:
    """Centres around the cities, in proportion to population."""
    import numpy as np

    from accounts.models import LocalAuthority

    rng = ctx.rng
    city_weights = np.array([c[3] for c in CITIES])
    per_city = np.maximum(1, np.floor(LOCAL_AUTHORITIES * city_weights / city_weights.sum()))
    while per_city.sum() < LOCAL_AUTHORITIES:
        per_city[int(np.argmax(city_weights / per_city))] += 1
    rows = []
    for (city, east, north, weight), n in zip(CITIES, per_city.astype(int), strict=True):
        spread = 5000 * np.sqrt(n) + 5000
        for i in range(n):
            rows.append(
                (
                    f"{city}{'' if n == 1 else f' {i + 1}'}",
                    float(np.clip(east + rng.normal(0, spread), *EASTING)),
                    float(np.clip(north + rng.normal(0, spread), *NORTHING)),
                    weight / n * rng.lognormal(0, 0.4),
                    rng.uniform(8000, 15000),  # schools scatter 8–15 km around the centre
                )
            )
    las = LocalAuthority.objects.bulk_create(
        [LocalAuthority(code=str(201 + i), name=row[0]) for i, row in enumerate(rows)]
    )
    ctx.counts["local_authorities"] = len(las)
    people = np.array([r[3] for r in rows])
    return Authorities(
        rows=las,
        names=[r[0] for r in rows],
        east=np.array([r[1] for r in rows]),
        north=np.array([r[2] for r in rows]),
        people=people,
        # Special schools are not spread as evenly as people: demand outruns supply in places.
        special=people * rng.lognormal(0, 0.7, size=len(rows)),
        scatter=np.array([r[4] for r in rows]),
    )


def place(rng: Any, authorities: Authorities, n: int, weights: Any) -> Placement:
    """``n`` schools, each in an authority drawn by ``weights``, scattered around its centre."""
    import numpy as np

    la = rng.choice(len(authorities.names), size=n, p=weights / weights.sum())
    sigma = authorities.scatter[la]
    east = np.clip(authorities.east[la] + rng.normal(0, sigma), *EASTING).round()
    north = np.clip(authorities.north[la] + rng.normal(0, sigma), *NORTHING).round()
    region_xy = np.array([(r[1], r[2]) for r in REGIONS], dtype=float)
    nearest = np.argmin(
        (east[:, None] - region_xy[:, 0]) ** 2 + (north[:, None] - region_xy[:, 1]) ** 2,
        axis=1,
    )
    return Placement(la, east.astype(int), north.astype(int), [REGIONS[i][0] for i in nearest])


def build_trusts(
    ctx: Build, authorities: Authorities, placements: list[Placement]
) -> Callable[[int], Any]:
    """A few trusts per authority; returns the draw of a school's trust (45% join one of
    their authority's trusts)."""
    from accounts.models import Trust

    rng = ctx.rng
    trust_of_la: dict[int, list[int]] = {}
    trust_objects: list[Trust] = []
    for la_index in range(len(authorities.names)):
        schools_here = int(sum((p.authority == la_index).sum() for p in placements))
        for _ in range(max(1, schools_here // 12)):
            trust_of_la.setdefault(la_index, []).append(len(trust_objects))
            trust_objects.append(
                Trust(code=str(10000 + len(trust_objects)), name=f"Trust {len(trust_objects)}")
            )
    trusts = Trust.objects.bulk_create(trust_objects, batch_size=BATCH)
    ctx.counts["trusts"] = len(trusts)

    def trust_for(la_index: int) -> Trust | None:
        if rng.random() >= 0.45:
            return None
        options = trust_of_la[la_index]
        return trusts[options[int(rng.integers(len(options)))]]

    return trust_for


def mainstream_schools(
    ctx: Build, authorities: Authorities, at: Placement, trust_for: Callable[[int], Any]
) -> list[Any]:
    from accounts.enums import SchoolKind
    from accounts.models import School

    phases = _choose(ctx.rng, ctx.mix.mainstream_phases, len(at.region))
    schools = []
    for i in range(len(at.region)):
        phase = str(phases[i])
        low_age, high_age = ctx.mix.statutory_ages[phase]
        schools.append(
            School(
                urn=100001 + i,
                name=f"Mainstream School {i + 1}",
                type_name="Academy converter" if i % 2 else "Community school",
                type_group="Academies" if i % 2 else "Local authority maintained schools",
                kind=SchoolKind.MAINSTREAM,
                phase=phase,
                statutory_low_age=low_age,
                statutory_high_age=high_age,
                local_authority=authorities.rows[at.authority[i]],
                region=at.region[i],
                town=authorities.names[at.authority[i]],
                easting=int(at.east[i]),
                northing=int(at.north[i]),
                trust=trust_for(int(at.authority[i])),
                gias_status="Open",
            )
        )
    return schools


def special_schools(
    authorities: Authorities, at: Placement, trust_for: Callable[[int], Any]
) -> list[Any]:
    from accounts.constants import GIAS_SPECIAL_TYPE_GROUP
    from accounts.enums import Phase, SchoolKind
    from accounts.models import School

    return [
        School(
            urn=700001 + i,
            name=f"Special School {i + 1}",
            type_name="Community special school",
            type_group=GIAS_SPECIAL_TYPE_GROUP,
            kind=SchoolKind.SPECIAL,
            phase=Phase.NOT_APPLICABLE,
            statutory_low_age=2,
            statutory_high_age=19,
            local_authority=authorities.rows[at.authority[i]],
            region=at.region[i],
            town=authorities.names[at.authority[i]],
            easting=int(at.east[i]),
            northing=int(at.north[i]),
            trust=trust_for(int(at.authority[i])),
            gias_status="Open",
        )
        for i in range(len(at.region))
    ]


# --- build: users and experts ---


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


# --- build: what each expert knows and when they work ---


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

    codes = _sample_without(ctx.rng, EXPERT_NEED_WEIGHTS, n_needs, set())
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
        start, end = _window_times(ctx.rng)
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


# --- build: requests ---


def build_requests(ctx: Build, geography: Geography, people: People) -> None:
    """The submitted requests, each waiting up to 30 days, then their needs, topics and
    preferred windows."""
    from exchange.models import PreferredWindow, SupportRequest

    rng, n = ctx.rng, ctx.n_requests
    primary_needs = _weighted(rng, REQUEST_NEED_WEIGHTS, n)
    formats = _choose(rng, ctx.mix.request_formats, n)
    urgencies = _choose(rng, ctx.mix.urgencies, n)
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
            *_sample_without(rng, REQUEST_NEED_WEIGHTS, int(rng.integers(1, 3)), {primary_need}),
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
    scope = str(_choose(rng, ctx.mix.scopes))
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
        start, end = _window_times(rng)
        windows.append(PreferredWindow(request=request, date=day, start_time=start, end_time=end))
    return windows


# --- stage 2: analyse --------------------------------------------------------------------------


def stage_analyse(args: argparse.Namespace) -> dict[str, Any]:
    """The round's inputs, read and built by ``matching_round_run``'s own steps, solved by
    the exact solver (both objectives) and by the greedy baseline."""
    setup_django()
    from matching import selectors

    policy = selectors.matching_policy_active()
    inputs = round_inputs(policy, selectors.local_today())
    graph, expert_facts = inputs["graph"], inputs["expert_facts"]
    edges = solver_edges(graph)
    capacities = {e.id: e.remaining for e in expert_facts}
    solved = solve_three_ways(edges, capacities)
    result: dict[str, Any] = {
        "policy_version": policy.version,
        "per_request": policy.round_candidates_per_request,
        "min_score": policy.min_score,
        "requests": len(inputs["request_facts"]),
        "experts_accepting": len(expert_facts),
        "capacity": sum(max(0, c) for c in capacities.values()),
        "edges": len(edges),
        "feasible_requests": len(graph.feasible),
        "experts_with_edges": len({e.expert for e in edges}),
        "no_candidate_reasons": dict(
            sum((Counter(c) for c in graph.exclusions.values()), Counter()).most_common(5)
        ),
        "load_s": inputs["load_s"],
        "candidates_s": inputs["candidates_s"],
        **solved,
        "peak_rss_mb": peak_rss_mb(),
    }
    if args.check_full:
        mark = time.perf_counter()
        result["scipy_total"] = scipy_sparse_optimum(edges, capacities)
        result["scipy_s"] = time.perf_counter() - mark
    return result


def round_inputs(policy: Any, today: date) -> dict[str, Any]:
    """The round's facts and candidate graph, by its own two steps, each timed."""
    from matching.services.rounds import round_facts, round_graph

    mark = time.perf_counter()
    request_facts, expert_facts, proposed_before = round_facts(policy=policy, today=today)
    load_s = time.perf_counter() - mark
    mark = time.perf_counter()
    graph = round_graph(
        policy=policy,
        today=today,
        request_facts=request_facts,
        expert_facts=expert_facts,
        proposed_before=proposed_before,
    )
    return {
        "request_facts": request_facts,
        "expert_facts": expert_facts,
        "graph": graph,
        "load_s": load_s,
        "candidates_s": time.perf_counter() - mark,
    }


def solver_edges(graph: Any) -> list[Any]:
    """The graph's pairs as the solver's edges, scores scaled to integers as the round does."""
    from matching import solver
    from matching.services import SCORE_SCALE

    return [
        solver.Edge(request, expert, round(score * SCORE_SCALE))
        for request, expert, score in zip(
            graph.request_ids.tolist(),
            graph.expert_ids.tolist(),
            graph.scores.tolist(),
            strict=True,
        )
    ]


def timed(function: Any, *call: Any, repeat: int = 3) -> tuple[Any, float]:
    """The function's result and its best time of ``repeat`` calls."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        mark = time.perf_counter()
        result = function(*call)
        best = min(best, time.perf_counter() - mark)
    return result, best


def solve_three_ways(edges: list[Any], capacities: dict[int, int]) -> dict[str, Any]:
    """Exact (both objectives) and greedy on the same graph: totals, times and problems."""
    from matching import solver
    from matching.enums import Objective

    exact, solve_s = timed(solver.solve, edges, capacities, Objective.MAX_SCORE)
    served, served_s = timed(solver.solve, edges, capacities, Objective.MAX_SERVED)
    greedy, greedy_s = timed(solver.greedy, edges, capacities)
    problems = [
        *feasibility_problems("exact", exact, edges, capacities),
        *feasibility_problems("max_served", served, edges, capacities),
        *feasibility_problems("greedy", greedy, edges, capacities),
    ]
    if greedy.total_score > exact.total_score:
        problems.append("greedy beat the exact solver")
    if len(served.pairs) < len(exact.pairs) or len(served.pairs) < len(greedy.pairs):
        problems.append("max_served served fewer requests than another assignment")
    return {
        "solve_s": solve_s,
        "solve_max_served_s": served_s,
        "greedy_s": greedy_s,
        "exact_total": exact.total_score,
        "exact_matched": len(exact.pairs),
        "exact_max_load": max(exact.load().values(), default=0),
        "served_total": served.total_score,
        "served_matched": len(served.pairs),
        "greedy_total": greedy.total_score,
        "greedy_matched": len(greedy.pairs),
        "problems": problems,
    }


def feasibility_problems(
    name: str, assignment: Any, edges: list[Any], capacities: dict[int, int]
) -> list[str]:
    scores = {(e.request, e.expert): e.score for e in edges}
    problems = [
        f"{name}: {pair} is not a candidate pair"
        for pair in assignment.pairs.items()
        if pair not in scores
    ][:3]
    problems += [
        f"{name}: expert {expert} given {load} > capacity {capacities.get(expert, 0)}"
        for expert, load in assignment.load().items()
        if load > capacities.get(expert, 0)
    ][:3]
    if not problems and assignment.total_score != sum(scores[p] for p in assignment.pairs.items()):
        problems.append(f"{name}: total_score is not the sum of its pairs' scores")
    return problems


# --- second exact solvers (SciPy) ---------------------------------------------------------------


def scipy_sparse_optimum(edges: list[Any], capacities: dict[int, int]) -> int:
    """The optimum by a different algorithm: SciPy's sparse LAPJV on the capacity-expanded
    bipartite graph (each expert one column per unit of capacity, plus one dummy column per
    request so it may stay unserved). Minimises Σ(BIG − score), i.e. maximises Σ score."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    edges = [e for e in edges if e.score > 0 and capacities.get(e.expert, 0) > 0]
    if not edges:
        return 0
    requests = sorted({e.request for e in edges})
    row = {r: i for i, r in enumerate(requests)}
    degree = Counter(e.expert for e in edges)
    first_column: dict[int, int] = {}
    columns = 0
    for expert in sorted(degree):
        first_column[expert] = columns
        columns += min(capacities[expert], degree[expert])  # more copies could never be used
    big = max(e.score for e in edges) + 1
    rows, cols, weights = [], [], []
    for e in edges:
        start = first_column[e.expert]
        for copy in range(min(capacities[e.expert], degree[e.expert])):
            rows.append(row[e.request])
            cols.append(start + copy)
            weights.append(big - e.score)
    for i in range(len(requests)):
        rows.append(i)
        cols.append(columns + i)
        weights.append(big)
    matrix = csr_matrix(
        (np.array(weights, dtype=np.float64), (rows, cols)),
        shape=(len(requests), columns + len(requests)),
    )
    row_index, column_index = min_weight_full_bipartite_matching(matrix)
    chosen = np.asarray(matrix[row_index, column_index]).ravel()
    return round(len(requests) * big - float(chosen.sum()))


def scipy_dense_optimum(
    requests: list[int],
    experts: list[int],
    edges: list[Any],
    capacities: dict[int, int],
    bonus: int = 0,
) -> tuple[int, int]:
    """(total score, requests served) by ``scipy.optimize.linear_sum_assignment`` on the
    capacity-expanded matrix with one zero-score dummy column per request; ``bonus`` is
    added to every pair's gain, as the solver does for "most requests served"."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    copies = [x for x in experts for _ in range(capacities[x])]
    gain = np.zeros((len(requests), len(copies) + len(requests)), dtype=np.int64)
    score = np.zeros_like(gain)
    row = {r: i for i, r in enumerate(requests)}
    columns: dict[int, list[int]] = {}
    for j, x in enumerate(copies):
        columns.setdefault(x, []).append(j)
    for e in edges:
        for j in columns.get(e.expert, []):
            gain[row[e.request], j] = e.score + bonus
            score[row[e.request], j] = e.score
    rows, cols = linear_sum_assignment(gain, maximize=True)
    picked = gain[rows, cols] > 0
    return int(score[rows, cols][picked].sum()), int(picked.sum())


Case = tuple[str, list[int], list[int], list[Any], dict[int, int]]  # name, requests, experts, …


def check_small(instances: int, seed: int) -> dict[str, Any]:
    """OR-Tools against SciPy (and greedy) on small random instances and the two published
    examples from DOMAIN.md."""
    import numpy as np

    rng = np.random.default_rng(seed + 1000)
    cases = [*published_cases(), *(random_case(rng, k) for k in range(instances))]
    rows = [check_case(*case) for case in cases]
    ratios = [row.pop("ratio") for row in rows]
    return {
        "instances": len(cases),
        "equal": sum(row["equal"] for row in rows),
        "served_equal": sum(row["served_equal"] for row in rows),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "ratio_mean": sum(ratios) / len(ratios),
        "rows": rows,
    }


def published_cases() -> list[Case]:
    """Published: scores = M − cost; full 0/1 assignment, so the optimum is n·M − min cost."""
    from matching.solver import Edge

    cases: list[Case] = []
    for name, costs, optimum in (
        (
            "OR-Tools example",
            [[90, 76, 75, 70], [35, 85, 55, 65], [125, 95, 90, 105], [45, 110, 95, 115]],
            265,
        ),
        ("SciPy example", [[4, 1, 3], [2, 0, 5], [3, 2, 2]], 5),
    ):
        m = 1000
        edges = [
            Edge(100 + r, 500 + c, m - cost)
            for r, line in enumerate(costs)
            for c, cost in enumerate(line)
        ]
        caps = {500 + c: 1 for c in range(len(costs[0]))}
        cases.append(
            (
                f"{name} (optimum {len(costs) * m - optimum})",
                [100 + r for r in range(len(costs))],
                sorted(caps),
                edges,
                caps,
            )
        )
    return cases


def random_case(rng: Any, k: int) -> Case:
    """Mostly the round's shape (300 × 80, sparse, capacities 1–3); every fourth dense and
    small, where ties and crowding are common."""
    from matching.solver import Edge

    dense = k % 4 == 3
    n_requests, n_experts = (40, 12) if dense else (300, 80)
    requests = list(range(1, n_requests + 1))
    experts = list(range(10001, 10001 + n_experts))
    caps = {x: int(c) for x, c in zip(experts, rng.integers(1, 4, size=n_experts), strict=True)}
    edges = []
    for r in requests:
        degree = n_experts if dense else int(rng.integers(0, 9))
        for x in rng.choice(experts, size=degree, replace=False):
            # Coarse scores in the dense cases force ties.
            score = int(rng.integers(1, 20)) * 500 if dense else int(rng.integers(2000, 10001))
            edges.append(Edge(r, int(x), score))
    name = f"random #{k + 1} ({n_requests}×{n_experts}{', dense' if dense else ''})"
    return (name, requests, experts, edges, caps)


def check_case(
    name: str, requests: list[int], experts: list[int], edges: list[Any], caps: dict[int, int]
) -> dict[str, Any]:
    """One case solved by OR-Tools (both objectives), SciPy (both) and greedy."""
    from matching.enums import Objective
    from matching.solver import greedy, solve

    ortools = solve(edges, caps, Objective.MAX_SCORE)
    reference, _ = scipy_dense_optimum(requests, experts, edges, caps)
    most = solve(edges, caps, Objective.MAX_SERVED)
    best: dict[int, int] = {}
    for e in edges:
        best[e.request] = max(best.get(e.request, 0), e.score)
    bonus = sum(best.values()) + 1
    reference_served_score, reference_served = scipy_dense_optimum(
        requests, experts, edges, caps, bonus
    )
    baseline = greedy(edges, caps)
    problems = feasibility_problems("ortools", ortools, edges, caps) + feasibility_problems(
        "max_served", most, edges, caps
    )
    return {
        "case": name,
        "ortools": ortools.total_score,
        "scipy": reference,
        "greedy": baseline.total_score,
        "equal": ortools.total_score == reference and not problems,
        "served_equal": (len(most.pairs), most.total_score)
        == (reference_served, reference_served_score),
        "problems": problems,
        "ratio": ortools.total_score / baseline.total_score if baseline.total_score else 1.0,
    }


# --- stage 3: the round ------------------------------------------------------------------------


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


# --- the report --------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def report_build(args: argparse.Namespace, build: dict[str, Any]) -> None:
    t, c = build["timings_s"], build["counts"]
    out()
    out(f"== instance (seed {args.seed})")
    out(
        f"  {c['requests']:,} submitted requests from {c['requesting_schools']:,} of "
        f"{c['mainstream_schools']:,} mainstream schools; {c['experts']:,} experts at "
        f"{c['schools'] - c['mainstream_schools']:,} special schools"
    )
    out(f"  {c['local_authorities']} local authorities, {c['trusts']:,} trusts")
    out(
        f"  rows: {c['specialisms']:,} specialisms, {c['credentials']:,} credentials, "
        f"{c['availability_windows']:,} weekly windows, {c['days_off']:,} days off,"
    )
    out(
        f"        {c['request_needs']:,} request needs, {c['request_topics']:,} request topics, "
        f"{c['preferred_windows']:,} preferred windows"
    )
    parts = ", ".join(
        f"{key.split('.', 1)[1]} {value:.1f}"
        for key, value in t.items()
        if key.startswith("build.")
    )
    out(f"  build {t['build']:.1f} s ({parts}); migrate {t['migrate']:.1f} s")


def report_analysis(a: dict[str, Any]) -> list[str]:
    problems = list(a["problems"])
    n = a["requests"]
    out()
    out("== candidate graph (the round's inputs, rebuilt the same way before the round)")
    out(
        f"  {n:,} waiting requests; {a['experts_accepting']:,} experts accepting work with "
        f"{a['capacity']:,} sessions of capacity"
    )
    out(
        f"  {a['edges']:,} candidate pairs ({a['edges'] / max(1, n):.1f} per request, "
        f"at most {a['per_request']}); {a['experts_with_edges']:,} experts in the graph"
    )
    feasible = a["feasible_requests"]
    out(f"  {feasible:,} requests ({share(feasible, n)}) have at least one candidate")
    if a["no_candidate_reasons"]:
        reasons = ", ".join(f"{k} {v:,}" for k, v in a["no_candidate_reasons"].items())
        out(f"  the others' exclusions (expert × request): {reasons}")
    out(
        f"  load {a['load_s']:.2f} s, candidates {a['candidates_s']:.2f} s, "
        f"solve {a['solve_s']:.3f} s (best of 3)"
    )
    out()
    out("== objective on the same graph")
    out(f"  {'solver':<24}{'seconds':>9}{'total score':>14}{'matched':>10}{'share':>8}")
    for name, seconds, total, matched in (
        ("exact, max_score", a["solve_s"], a["exact_total"], a["exact_matched"]),
        ("exact, max_served", a["solve_max_served_s"], a["served_total"], a["served_matched"]),
        ("greedy (baseline)", a["greedy_s"], a["greedy_total"], a["greedy_matched"]),
    ):
        out(f"  {name:<24}{seconds:>9.3f}{total / 100:>14,.2f}{matched:>10,}{share(matched, n):>8}")
    if a["greedy_total"]:
        out(f"  exact / greedy = {a['exact_total'] / a['greedy_total']:.4f}")
    if "scipy_total" in a:
        same = a["scipy_total"] == a["exact_total"]
        out(
            f"  second exact solver, SciPy sparse LAPJV ({a['scipy_s']:.1f} s): "
            f"{a['scipy_total'] / 100:,.2f} — {'equal' if same else 'DIFFERENT'}"
        )
        if not same:
            problems.append("SciPy's optimum of the national graph differs")
    return problems


def report_round(args: argparse.Namespace, r: dict[str, Any], greedy_total: int | None) -> None:
    tm = r["timings_ms"]
    rows: list[tuple[str, str]] = [
        ("requests", f"{r['requests']:,}"),
        ("experts accepting work", f"{r['experts']:,}"),
        ("candidate pairs", f"{r['candidate_pairs']:,}"),
        *(
            (f"{key} (ms)", f"{tm.get(key, 0):,}")
            for key in ("load", "candidates", "solve", "write")
        ),
        ("whole round, wall clock (s)", f"{r['wall_s']:.2f}"),
        ("peak RSS of the round process (MB)", f"{r['peak_rss_mb']:.0f}"),
        ("  of which before the round (MB)", f"{r['peak_rss_before_mb']:.0f}"),
        ("requests matched", f"{r['matched']:,} ({share(r['matched'], r['requests'])})"),
        ("largest load on an expert", f"{r['max_load']} (their capacity {r['max_load_capacity']})"),
        ("objective value (score × 100)", f"{r['objective_value']:,}"),
    ]
    if greedy_total:
        rows.append(("objective / greedy", f"{r['objective_value'] / greedy_total:.4f}"))
    out()
    out(f"== the round: matching_round_run(trigger='command'), run #{r['run_id']} {r['status']}")
    for label, value in rows:
        out(f"  {label:<38}{value:>16}")
    if args.profile:
        out("  (run under cProfile: the times above are inflated)")
    out()
    out("== by region: requests, accepting capacity (sessions), matched")
    for region, n, capacity, matched in r["regions"]:
        out(f"  {region:<26}{n:>8,}{capacity:>8,}{matched:>8,}  ({share(matched, n)})")


def report_small(small: dict[str, Any]) -> None:
    out()
    out("== exactness on small instances: OR-Tools vs SciPy linear_sum_assignment")
    for row in small["rows"]:
        published = row["case"].startswith(("OR-Tools", "SciPy"))
        if published or not (row["equal"] and row["served_equal"]):
            out(
                f"  {row['case']:<34} ortools {row['ortools']:>9,} scipy {row['scipy']:>9,} "
                f"greedy {row['greedy']:>9,} {'equal' if row['equal'] else 'DIFFERENT'}"
                + ("" if row["served_equal"] else "; max_served DIFFERENT")
                + "".join(f"; {p}" for p in row["problems"])
            )
    out(f"  exact: {small['equal']}/{small['instances']} instances equal (max_score)")
    out(f"  exact: {small['served_equal']}/{small['instances']} instances equal (max_served)")
    out(
        f"  exact / greedy on these: min {small['ratio_min']:.4f}, "
        f"mean {small['ratio_mean']:.4f}, max {small['ratio_max']:.4f}"
    )


def report(
    args: argparse.Namespace,
    build: dict[str, Any] | None,
    analysis: dict[str, Any] | None,
    round_: dict[str, Any] | None,
    small: dict[str, Any] | None,
    database: str,
) -> bool:
    """Prints the figures; returns False when an exactness or capacity check failed."""
    problems: list[str] = []
    report_machine(database)
    if build:
        report_build(args, build)
    if analysis:
        problems += report_analysis(analysis)
    if round_:
        report_round(args, round_, analysis["greedy_total"] if analysis else None)
        problems += round_problems(round_)
    if small:
        report_small(small)
    targets = round_targets(round_) if round_ else []
    targets += exactness_targets(analysis, round_, small, problems)
    report_targets(targets, problems)
    if round_ and args.profile:
        for order in ("cumulative", "tottime"):
            out()
            out(f"== cProfile of the round, top 20 by {order}")
            out(round_[f"profile_{order}"].rstrip())
    return not problems


def report_machine(database: str) -> None:
    out()
    out("== machine")
    cpu = platform.processor() or platform.machine()
    out(f"  {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}")
    out(f"  {database}; DEBUG={os.environ.get('DEBUG')}")


def round_problems(round_: dict[str, Any]) -> list[str]:
    problems = []
    if round_["over_capacity"]:
        problems.append(f"experts over capacity after the round: {round_['over_capacity']}")
    if round_["requests_with_two"]:
        problems.append(f"{round_['requests_with_two']} requests got two proposals in the round")
    return problems


Target = tuple[str, str, bool]  # label, value, met


def round_targets(round_: dict[str, Any]) -> list[Target]:
    """The issue's time targets, against the round's own wall clock and solve timing."""
    wall = round_["wall_s"]
    solve_s = round_["timings_ms"].get("solve", 0) / 1000
    return [
        (
            f"whole round < {ROUND_TARGET_S:.0f} s, reads and writes included",
            f"{wall:.2f} s",
            wall < ROUND_TARGET_S,
        ),
        (
            f"whole round never over {ROUND_LIMIT_S:.0f} s",
            f"{wall:.2f} s",
            wall <= ROUND_LIMIT_S,
        ),
        (
            f"solve < {SOLVE_TARGET_S:.0f} s (the round's own timing)",
            f"{solve_s:.3f} s",
            solve_s < SOLVE_TARGET_S,
        ),
    ]


def exactness_targets(
    analysis: dict[str, Any] | None,
    round_: dict[str, Any] | None,
    small: dict[str, Any] | None,
    problems: list[str],
) -> list[Target]:
    """The exactness checks that ran; appends a problem for each that failed."""
    targets: list[Target] = []
    if analysis and round_:
        # The run records what it wrote (its proposals' scores), not the solver's total: with
        # no other writer here, the two agree only if the solve is exact and the write
        # dropped no pair of it.
        same = (round_["objective_value"], round_["candidate_pairs"]) == (
            analysis["exact_total"],
            analysis["edges"],
        )
        targets.append(
            ("round's written objective == exact optimum", f"{round_['objective_value']:,}", same)
        )
        if not same:
            problems.append(
                "the objective the round wrote is not the exact optimum of its graph "
                "(a wrong solve, or pairs dropped by the write)"
            )
    if analysis and "scipy_total" in analysis:
        targets.append(
            (
                "national graph: OR-Tools == SciPy LAPJV",
                f"{analysis['scipy_total']:,}",
                analysis["scipy_total"] == analysis["exact_total"],
            )
        )
    if small:
        ok = small["equal"] == small["instances"] and small["served_equal"] == small["instances"]
        targets.append(
            ("small instances: OR-Tools == SciPy", f"{small['equal']}/{small['instances']}", ok)
        )
        if not ok:
            problems.append("OR-Tools and SciPy disagree on a small instance")
    return targets


def report_targets(targets: list[Target], problems: list[str]) -> None:
    out()
    out("== targets")
    for label, value, ok in targets:
        out(f"  {label:<50}{value:>14}  {verdict(ok)}")
    for problem in problems:
        out(f"  PROBLEM: {problem}")


# --- entry point -------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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
    parser.add_argument("--stage", choices=["build", "analyse"], help=argparse.SUPPRESS)
    parser.add_argument("--results", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_stage(stage: str, argv: list[str]) -> dict[str, Any]:
    """Runs a stage in a fresh interpreter, so each stage's memory is its own."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        path = handle.name
    try:
        subprocess.run(  # noqa: S603 — our own script, our own arguments
            [sys.executable, __file__, *argv, "--stage", stage, "--results", path], check=True
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
        result = stage_build(args) if args.stage == "build" else stage_analyse(args)
        Path(args.results).write_text(json.dumps(result, default=str))
        return 0

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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

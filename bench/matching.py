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
SENSORY_CREDENTIAL = {"HI": "mq_hearing", "VI": "mq_vision", "MSI": "mq_multi_sensory"}
TOPICS_BY_NEED = {
    "ASD": ["sensory-regulation", "visual-timetables", "unstructured-times", "transition"],
    "SLCN": ["aac", "visual-timetables", "curriculum-adaptation"],
    "SEMH": ["behaviour-as-communication", "attachment-trauma", "ebsa", "adhd-strategies"],
    "SPLD": ["early-reading-spld", "maths-interventions", "curriculum-adaptation"],
    "MLD": ["curriculum-adaptation", "maths-interventions"],
    "SLD": ["aac", "personal-care", "curriculum-adaptation"],
    "PMLD": ["moving-handling", "personal-care", "aac"],
    "HI": ["deaf-awareness"],
    "VI": ["vi-access-technology"],
    "MSI": ["deaf-awareness", "vi-access-technology"],
    "PD": ["moving-handling", "personal-care"],
    "OTH": ["curriculum-adaptation"],
}
LEVELS = (["aware", "practitioner", "specialist", "lead"], [0.10, 0.30, 0.40, 0.20])
PHASE_AGES = {"early_years": (2, 5), "primary": (4, 11), "secondary": (11, 16), "post_16": (16, 19)}
REQUEST_FORMATS = (
    ["any", "observation_visit", "consultation", "staff_training", "video_call"],
    [0.30, 0.30, 0.15, 0.15, 0.10],
)
URGENCIES = (["routine", "soon", "urgent"], [0.55, 0.30, 0.15])
# (start, end) as (hour, minute): a morning, an afternoon, a whole school day.
WINDOW_SHAPES = [((8, 45), (12, 0)), ((13, 0), (15, 30)), ((9, 0), (15, 0))]


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


def _weighted(rng: Any, weights: dict[str, float], size: int) -> list[str]:
    codes = list(weights)
    p = [weights[c] for c in codes]
    total = sum(p)
    return [codes[i] for i in rng.choice(len(codes), size=size, p=[w / total for w in p])]


def _sample_without(rng: Any, weights: dict[str, float], k: int, exclude: set[str]) -> list[str]:
    codes = [c for c in weights if c not in exclude]
    p = [weights[c] for c in codes]
    total = sum(p)
    picked = rng.choice(
        len(codes), size=min(k, len(codes)), replace=False, p=[w / total for w in p]
    )
    return [codes[i] for i in picked]


def build_instance(
    n_requests: int, n_experts: int, seed: int, timings: dict[str, float]
) -> dict[str, int]:
    """Bulk-inserts the synthetic instance in one transaction; returns row counts."""
    from datetime import time as clock_time
    from datetime import timedelta

    import numpy as np
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import LocalAuthority, Membership, School, Trust, User
    from exchange.models import (
        AvailabilityException,
        AvailabilityWindow,
        Credential,
        ExpertProfile,
        Need,
        PreferredWindow,
        Specialism,
        SupportRequest,
        Topic,
    )
    from matching.selectors import local_today

    rng = np.random.default_rng(seed)
    today = local_today()
    now = timezone.now()
    needs = {n.code: n for n in Need.objects.all()}
    topics = {t.slug: t for t in Topic.objects.filter(is_active=True)}
    counts: dict[str, int] = {}

    def lap(name: str, mark: float) -> float:
        timings[f"build.{name}"] = time.perf_counter() - mark
        return time.perf_counter()

    with transaction.atomic():
        mark = time.perf_counter()
        # Local authorities: centres around the cities, in proportion to population.
        city_weights = np.array([c[3] for c in CITIES])
        per_city = np.maximum(1, np.floor(LOCAL_AUTHORITIES * city_weights / city_weights.sum()))
        while per_city.sum() < LOCAL_AUTHORITIES:
            per_city[int(np.argmax(city_weights / per_city))] += 1
        la_rows = []
        for (city, east, north, weight), n in zip(CITIES, per_city.astype(int), strict=True):
            spread = 5000 * np.sqrt(n) + 5000
            for i in range(n):
                la_rows.append(
                    (
                        f"{city}{'' if n == 1 else f' {i + 1}'}",
                        float(np.clip(east + rng.normal(0, spread), *EASTING)),
                        float(np.clip(north + rng.normal(0, spread), *NORTHING)),
                        weight / n * rng.lognormal(0, 0.4),
                        rng.uniform(8000, 15000),  # schools scatter 8–15 km around the centre
                    )
                )
        las = LocalAuthority.objects.bulk_create(
            [LocalAuthority(code=str(201 + i), name=row[0]) for i, row in enumerate(la_rows)]
        )
        la_east = np.array([r[1] for r in la_rows])
        la_north = np.array([r[2] for r in la_rows])
        la_pop = np.array([r[3] for r in la_rows])
        la_sigma = np.array([r[4] for r in la_rows])
        # Special schools are not spread as evenly as people: demand outruns supply in places.
        la_special = la_pop * rng.lognormal(0, 0.7, size=len(la_rows))
        counts["local_authorities"] = len(las)

        n_mainstream = max(50, round(n_requests * 0.85))
        n_special = max(10, n_experts // 4)
        region_xy = np.array([(r[1], r[2]) for r in REGIONS], dtype=float)

        def place(n: int, weights: Any) -> tuple[Any, Any, Any, list[str]]:
            la = rng.choice(len(la_rows), size=n, p=weights / weights.sum())
            east = np.clip(la_east[la] + rng.normal(0, la_sigma[la]), *EASTING).round()
            north = np.clip(la_north[la] + rng.normal(0, la_sigma[la]), *NORTHING).round()
            nearest = np.argmin(
                (east[:, None] - region_xy[:, 0]) ** 2 + (north[:, None] - region_xy[:, 1]) ** 2,
                axis=1,
            )
            return la, east.astype(int), north.astype(int), [REGIONS[i][0] for i in nearest]

        m_la, m_east, m_north, m_region = place(n_mainstream, la_pop)
        s_la, s_east, s_north, s_region = place(n_special, la_special)

        # Trusts: a few per authority; 45% of schools join one of their authority's trusts.
        trust_of_la: dict[int, list[int]] = {}
        trust_objects = []
        for la_index in range(len(la_rows)):
            schools_here = int((m_la == la_index).sum() + (s_la == la_index).sum())
            for _ in range(max(1, schools_here // 12)):
                trust_of_la.setdefault(la_index, []).append(len(trust_objects))
                trust_objects.append(
                    Trust(code=str(10000 + len(trust_objects)), name=f"Trust {len(trust_objects)}")
                )
        trusts = Trust.objects.bulk_create(trust_objects, batch_size=BATCH)
        counts["trusts"] = len(trusts)

        def trust_for(la_index: int) -> Trust | None:
            if rng.random() >= 0.45:
                return None
            options = trust_of_la[la_index]
            return trusts[options[int(rng.integers(len(options)))]]

        mainstream_phase = rng.choice(
            ["primary", "secondary", "all_through"], size=n_mainstream, p=[0.83, 0.15, 0.02]
        )
        ages = {"primary": (4, 11), "secondary": (11, 18), "all_through": (4, 18)}
        schools = []
        for i in range(n_mainstream):
            phase = str(mainstream_phase[i])
            schools.append(
                School(
                    urn=100001 + i,
                    name=f"Mainstream School {i + 1}",
                    type_name="Academy converter" if i % 2 else "Community school",
                    type_group="Academies" if i % 2 else "Local authority maintained schools",
                    kind="mainstream",
                    phase=phase,
                    statutory_low_age=ages[phase][0],
                    statutory_high_age=ages[phase][1],
                    local_authority=las[m_la[i]],
                    region=m_region[i],
                    town=la_rows[m_la[i]][0],
                    easting=int(m_east[i]),
                    northing=int(m_north[i]),
                    trust=trust_for(int(m_la[i])),
                    gias_status="Open",
                )
            )
        for i in range(n_special):
            schools.append(
                School(
                    urn=700001 + i,
                    name=f"Special School {i + 1}",
                    type_name="Community special school",
                    type_group="Special schools",
                    kind="special",
                    phase="not_applicable",
                    statutory_low_age=2,
                    statutory_high_age=19,
                    local_authority=las[s_la[i]],
                    region=s_region[i],
                    town=la_rows[s_la[i]][0],
                    easting=int(s_east[i]),
                    northing=int(s_north[i]),
                    trust=trust_for(int(s_la[i])),
                    gias_status="Open",
                )
            )
        School.objects.bulk_create(schools, batch_size=BATCH)
        mainstream, special = schools[:n_mainstream], schools[n_mainstream:]
        counts["schools"] = len(schools)
        counts["mainstream_schools"] = n_mainstream
        mark = lap("geography", mark)

        # Requests come from bigger schools more often; some schools raise several.
        school_weight = rng.lognormal(0, 0.6, size=n_mainstream)
        request_school = rng.choice(
            n_mainstream, size=n_requests, p=school_weight / school_weight.sum()
        )
        requesting = sorted(set(request_school.tolist()))
        counts["requesting_schools"] = len(requesting)
        # Users: no password hashing ("!" is Django's unusable-password prefix).
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
        expert_users, senco_users = users[:n_experts], users[n_experts:]
        senco_of = dict(zip(requesting, senco_users, strict=True))
        mark = lap("users", mark)

        # Experts.
        expert_school = rng.integers(n_special, size=n_experts)
        standing = rng.choice(
            ["ok", "unverified", "paused", "suspended"], size=n_experts, p=[0.90, 0.05, 0.04, 0.01]
        )
        safeguarding = rng.choice(
            ["valid", "expired", "none"], size=n_experts, p=[0.90, 0.07, 0.03]
        )
        capacity = rng.choice(
            np.arange(1, 9), size=n_experts, p=[0.20, 0.25, 0.20, 0.12, 0.08, 0.06, 0.05, 0.04]
        )
        travel = np.clip(rng.triangular(10, 20, 50, size=n_experts).round(), 10, 50).astype(int)
        offers = rng.random((n_experts, 4)) < [0.75, 0.60, 0.50, 0.70]
        serves = rng.random((n_experts, 4)) < [0.20, 0.65, 0.55, 0.20]
        profiles = []
        for i in range(n_experts):
            if not offers[i].any():
                offers[i, 3] = True
            if not serves[i].any():
                serves[i, int(rng.integers(1, 3))] = True
            phases = [p for p, on in zip(PHASE_AGES, serves[i], strict=True) if on]
            spm = int(capacity[i])
            profiles.append(
                ExpertProfile(
                    user=expert_users[i],
                    school=special[expert_school[i]],
                    offers_observation_visit=bool(offers[i, 0]),
                    offers_consultation=bool(offers[i, 1]),
                    offers_staff_training=bool(offers[i, 2]),
                    offers_video_call=bool(offers[i, 3]),
                    serves_early_years=bool(serves[i, 0]),
                    serves_primary=bool(serves[i, 1]),
                    serves_secondary=bool(serves[i, 2]),
                    serves_post_16=bool(serves[i, 3]),
                    age_min=min(PHASE_AGES[p][0] for p in phases),
                    age_max=max(PHASE_AGES[p][1] for p in phases),
                    max_travel_km=int(travel[i]),
                    sessions_per_week=min(spm, int(rng.integers(1, 3))),
                    sessions_per_month=spm,
                    is_verified=standing[i] != "unverified",
                    verified_at=None if standing[i] == "unverified" else now,
                    is_suspended=standing[i] == "suspended",
                    suspended_reason="Benchmark" if standing[i] == "suspended" else "",
                    is_paused=standing[i] == "paused",
                    safeguarding_confirmed_at=None if safeguarding[i] == "none" else now,
                    safeguarding_expires_on=(
                        None
                        if safeguarding[i] == "none"
                        else today + timedelta(days=int(rng.integers(30, 1000)))
                        if safeguarding[i] == "valid"
                        else today - timedelta(days=int(rng.integers(1, 200)))
                    ),
                )
            )
        ExpertProfile.objects.bulk_create(profiles, batch_size=BATCH)
        Membership.objects.bulk_create(
            [Membership(user=p.user, school=p.school, role="expert") for p in profiles]
            + [
                Membership(user=senco_of[s], school=mainstream[s], role="senco") for s in requesting
            ],
            batch_size=BATCH,
        )
        counts["experts"] = len(profiles)
        mark = lap("experts", mark)

        specialisms, credentials, windows, days_off = [], [], [], []
        n_needs = rng.choice([1, 2, 3, 4], size=n_experts, p=[0.30, 0.35, 0.25, 0.10])
        n_topics = rng.choice([0, 1, 2, 3], size=n_experts, p=[0.20, 0.35, 0.30, 0.15])
        for i, profile in enumerate(profiles):
            codes = _sample_without(rng, EXPERT_NEED_WEIGHTS, int(n_needs[i]), set())
            for code in codes:
                level = str(rng.choice(LEVELS[0], p=LEVELS[1]))
                specialisms.append(Specialism(expert=profile, need=needs[code], level=level))
                if code in SENSORY_CREDENTIAL:
                    credentials.append(
                        Credential(
                            expert=profile,
                            kind=SENSORY_CREDENTIAL[code],
                            status="verified",
                            verified_at=now,
                        )
                    )
            pool = sorted({slug for code in codes for slug in TOPICS_BY_NEED[code]} & set(topics))
            for slug in rng.permutation(pool)[: int(n_topics[i])]:
                level = str(rng.choice(LEVELS[0], p=LEVELS[1]))
                specialisms.append(Specialism(expert=profile, topic=topics[str(slug)], level=level))
            if rng.random() < 0.8:
                credentials.append(
                    Credential(expert=profile, kind="qts", status="verified", verified_at=now)
                )
            for weekday in sorted(rng.choice(5, size=int(rng.integers(1, 4)), replace=False)):
                (sh, sm), (eh, em) = WINDOW_SHAPES[int(rng.integers(len(WINDOW_SHAPES)))]
                windows.append(
                    AvailabilityWindow(
                        expert=profile,
                        weekday=int(weekday),
                        start_time=clock_time(sh, sm),
                        end_time=clock_time(eh, em),
                    )
                )
            if rng.random() < 0.10:
                for offset in sorted(
                    set(rng.integers(1, 21, size=int(rng.integers(1, 4))).tolist())
                ):
                    days_off.append(
                        AvailabilityException(
                            expert=profile, date=today + timedelta(days=offset), kind="unavailable"
                        )
                    )
        Specialism.objects.bulk_create(specialisms, batch_size=BATCH)
        Credential.objects.bulk_create(credentials, batch_size=BATCH)
        AvailabilityWindow.objects.bulk_create(windows, batch_size=BATCH)
        AvailabilityException.objects.bulk_create(days_off, batch_size=BATCH)
        counts.update(
            specialisms=len(specialisms),
            credentials=len(credentials),
            availability_windows=len(windows),
            days_off=len(days_off),
        )
        mark = lap("expert_details", mark)

        # Requests.
        primary_needs = _weighted(rng, REQUEST_NEED_WEIGHTS, n_requests)
        formats = rng.choice(REQUEST_FORMATS[0], size=n_requests, p=REQUEST_FORMATS[1])
        urgencies = rng.choice(URGENCIES[0], size=n_requests, p=URGENCIES[1])
        waited = rng.uniform(0, 30 * 86400, size=n_requests)
        requests, request_needs, request_topics, preferred = [], [], [], []
        for i in range(n_requests):
            s = int(request_school[i])
            school = mainstream[s]
            if school.phase == "primary":
                phase = "early_years" if rng.random() < 0.10 else "primary"
            elif school.phase == "secondary":
                phase = "post_16" if rng.random() < 0.15 else "secondary"
            else:
                phase = str(rng.choice(["primary", "secondary"]))
            years = {
                "early_years": [0],
                "primary": list(range(1, 7)),
                "secondary": list(range(7, 12)),
                "post_16": [12, 13],
            }[phase]
            start = int(rng.integers(len(years)))
            year_groups = (
                [] if rng.random() < 0.2 else years[start : start + int(rng.integers(1, 3))]
            )
            scope = str(
                rng.choice(
                    ["whole_school", "class", "cohort", "one_pupil"], p=[0.15, 0.45, 0.25, 0.15]
                )
            )
            requests.append(
                SupportRequest(
                    school=school,
                    created_by=senco_of[s],
                    title=f"{primary_needs[i]} support, {phase.replace('_', ' ')}",
                    scope=scope,
                    parental_consent_obtained=scope == "one_pupil",
                    parental_consent_date=today - timedelta(days=7)
                    if scope == "one_pupil"
                    else None,
                    primary_need=needs[primary_needs[i]],
                    phase=phase,
                    year_groups=year_groups,
                    sen_status=str(rng.choice(["ehcp", "sen_support", "mixed"])),
                    context="Synthetic benchmark request: the needs as they present in class.",
                    tried_so_far="Two assess-plan-do-review cycles.",
                    desired_outcome="Staff confident with a shared plan.",
                    format=str(formats[i]),
                    staff_attending=int(rng.integers(1, 13)),
                    urgency=str(urgencies[i]),
                    video_acceptable=bool(rng.random() < 0.8),
                    status="submitted",
                    submitted_at=now - timedelta(seconds=float(waited[i])),
                )
            )
        SupportRequest.objects.bulk_create(requests, batch_size=BATCH)
        NeedLink = SupportRequest.needs.through
        TopicLink = SupportRequest.topics.through
        for i, request in enumerate(requests):
            codes = [
                primary_needs[i],
                *_sample_without(
                    rng, REQUEST_NEED_WEIGHTS, int(rng.integers(1, 3)), {primary_needs[i]}
                ),
            ]
            request_needs.extend(
                NeedLink(supportrequest_id=request.pk, need_id=needs[c].pk) for c in codes
            )
            pool = sorted({slug for code in codes for slug in TOPICS_BY_NEED[code]} & set(topics))
            for slug in rng.permutation(pool)[: int(rng.integers(0, 4))]:
                request_topics.append(
                    TopicLink(supportrequest_id=request.pk, topic_id=topics[str(slug)].pk)
                )
            if rng.random() < 0.3:
                for offset in sorted(
                    set(rng.integers(1, 22, size=int(rng.integers(1, 4))).tolist())
                ):
                    day = today + timedelta(days=offset)
                    if day.weekday() > 4:
                        day += timedelta(days=7 - day.weekday())
                    (sh, sm), (eh, em) = WINDOW_SHAPES[int(rng.integers(len(WINDOW_SHAPES)))]
                    preferred.append(
                        PreferredWindow(
                            request=request,
                            date=day,
                            start_time=clock_time(sh, sm),
                            end_time=clock_time(eh, em),
                        )
                    )
        NeedLink.objects.bulk_create(request_needs, batch_size=BATCH)
        TopicLink.objects.bulk_create(request_topics, batch_size=BATCH)
        PreferredWindow.objects.bulk_create(preferred, batch_size=BATCH)
        counts.update(
            requests=len(requests),
            request_needs=len(request_needs),
            request_topics=len(request_topics),
            preferred_windows=len(preferred),
        )
        lap("requests", mark)
    return counts


# --- stage 2: analyse --------------------------------------------------------------------------


def stage_analyse(args: argparse.Namespace) -> dict[str, Any]:
    """The round's inputs, read and built by ``matching_round_run``'s own steps, solved by
    the exact solver (both objectives) and by the greedy baseline."""
    setup_django()
    from matching import selectors, solver
    from matching.enums import Objective
    from matching.services import SCORE_SCALE
    from matching.services.rounds import round_facts, round_graph

    policy = selectors.matching_policy_active()
    today = selectors.local_today()
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
    candidates_s = time.perf_counter() - mark
    edges = [
        solver.Edge(request, expert, round(score * SCORE_SCALE))
        for request, expert, score in zip(
            graph.request_ids.tolist(),
            graph.expert_ids.tolist(),
            graph.scores.tolist(),
            strict=True,
        )
    ]
    capacities = {e.id: e.remaining for e in expert_facts}

    def timed(function: Any, *call: Any, repeat: int = 3) -> tuple[Any, float]:
        best = float("inf")
        result = None
        for _ in range(repeat):
            mark = time.perf_counter()
            result = function(*call)
            best = min(best, time.perf_counter() - mark)
        return result, best

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
    result: dict[str, Any] = {
        "policy_version": policy.version,
        "per_request": policy.round_candidates_per_request,
        "min_score": policy.min_score,
        "requests": len(request_facts),
        "experts_accepting": len(expert_facts),
        "capacity": sum(max(0, c) for c in capacities.values()),
        "edges": len(edges),
        "feasible_requests": len(graph.feasible),
        "experts_with_edges": len({e.expert for e in edges}),
        "no_candidate_reasons": dict(
            sum((Counter(c) for c in graph.exclusions.values()), Counter()).most_common(5)
        ),
        "load_s": load_s,
        "candidates_s": candidates_s,
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
        "peak_rss_mb": peak_rss_mb(),
    }
    if args.check_full:
        mark = time.perf_counter()
        result["scipy_total"] = scipy_sparse_optimum(edges, capacities)
        result["scipy_s"] = time.perf_counter() - mark
    return result


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


def check_small(instances: int, seed: int) -> dict[str, Any]:
    """OR-Tools against SciPy (and greedy) on small random instances and the two published
    examples from DOMAIN.md."""
    import numpy as np

    from matching.enums import Objective
    from matching.solver import Edge, greedy, solve

    rng = np.random.default_rng(seed + 1000)
    cases: list[tuple[str, list[int], list[int], list[Any], dict[int, int]]] = []
    # Published: scores = M − cost; full 0/1 assignment, so the optimum is n·M − min cost.
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
    for k in range(instances):
        # Mostly the round's shape (300 × 80, sparse, capacities 1–3); every fourth dense
        # and small, where ties and crowding are common.
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
        cases.append(
            (
                f"random #{k + 1} ({n_requests}×{n_experts}{', dense' if dense else ''})",
                requests,
                experts,
                edges,
                caps,
            )
        )

    rows = []
    equal = served_equal = 0
    ratios = []
    for name, requests, experts, edges, caps in cases:
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
        ok = ortools.total_score == reference and not problems
        ok_served = (len(most.pairs), most.total_score) == (
            reference_served,
            reference_served_score,
        )
        equal += ok
        served_equal += ok_served
        ratios.append(ortools.total_score / baseline.total_score if baseline.total_score else 1.0)
        rows.append(
            {
                "case": name,
                "ortools": ortools.total_score,
                "scipy": reference,
                "greedy": baseline.total_score,
                "equal": ok,
                "served_equal": ok_served,
                "problems": problems,
            }
        )
    return {
        "instances": len(cases),
        "equal": equal,
        "served_equal": served_equal,
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "ratio_mean": sum(ratios) / len(ratios),
        "rows": rows,
    }


# --- stage 3: the round ------------------------------------------------------------------------


def run_round(profile: bool) -> dict[str, Any]:
    from django.db.models import Count

    from exchange.models import ExpertProfile, SupportRequest
    from matching import selectors
    from matching.enums import RunTrigger
    from matching.models import Proposal
    from matching.services import matching_round_run

    # Accepting capacity per region, read before the round takes some of it.
    capacity_by_region: Counter[str] = Counter()
    for region, sessions in selectors.experts_accepting_work(
        today=selectors.local_today()
    ).values_list("school__region", "sessions_per_month"):
        capacity_by_region[region] += sessions
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
        "proposals": sum(loads.values()),
        "max_load": loads[busiest] if busiest else 0,
        "max_load_capacity": capacity[busiest] if busiest else 0,
        "requests_with_two": per_request,
        "over_capacity": over[:5],
        "peak_rss_before_mb": rss_before,
        "peak_rss_mb": rss_after,
        "regions": [
            (
                region,
                requests_by_region.get(region, 0),
                capacity_by_region.get(region, 0),
                matched_by_region.get(region, 0),
            )
            for region, _, _ in REGIONS
        ],
    }
    if profiler is not None:
        import io
        import pstats

        for order in ("cumulative", "tottime"):
            stream = io.StringIO()
            pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats(order).print_stats(20)
            result[f"profile_{order}"] = stream.getvalue()
    return result


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
    out()
    out("== machine")
    cpu = platform.processor() or platform.machine()
    out(f"  {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}")
    out(f"  {database}; DEBUG={os.environ.get('DEBUG')}")
    if build:
        report_build(args, build)
    if analysis:
        problems += report_analysis(analysis)
    if round_:
        report_round(args, round_, analysis["greedy_total"] if analysis else None)
        if round_["over_capacity"]:
            problems.append(f"experts over capacity after the round: {round_['over_capacity']}")
        if round_["requests_with_two"]:
            problems.append(
                f"{round_['requests_with_two']} requests got two proposals in the round"
            )
    if small:
        report_small(small)

    targets: list[tuple[str, str, bool]] = []
    if round_:
        wall = round_["wall_s"]
        solve_s = round_["timings_ms"].get("solve", 0) / 1000
        targets += [
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
    if analysis and round_:
        # The run records what it wrote (its proposals' scores), not the solver's total: with
        # no other writer here, the two agree only if the solve is exact and the write
        # dropped no pair of it.
        same = (round_["objective_value"], round_["candidate_pairs"]) == (
            analysis["exact_total"],
            analysis["edges"],
        )
        targets.append(
            (
                "round's written objective == exact optimum",
                f"{round_['objective_value']:,}",
                same,
            )
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
    out()
    out("== targets")
    for label, value, ok in targets:
        out(f"  {label:<50}{value:>14}  {verdict(ok)}")
    for problem in problems:
        out(f"  PROBLEM: {problem}")
    if round_ and args.profile:
        for order in ("cumulative", "tottime"):
            out()
            out(f"== cProfile of the round, top 20 by {order}")
            out(round_[f"profile_{order}"].rstrip())
    return not problems


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

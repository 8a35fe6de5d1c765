"""The API bench's data: the national instance of bench/matching.py (built by it, round and
proposals included), reused when it is already there, plus the bench's callers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.national.england import out
from bench.national.limits import ROOT, SCRIPT

ADMIN_EMAIL = "bench-admin@bench.exchange.invalid"
COORDINATOR_EMAIL = "bench-coordinator@bench.exchange.invalid"


@dataclass(frozen=True)
class Callers:
    """Fresh knox tokens for the bench's callers, and the ids their endpoints use."""

    admin: str
    coordinator: str
    senco: str
    senco_school: int
    proposed_request: int


def dsn(url: str) -> str:
    from bench.national.database import database_config

    c = database_config(url)
    return (
        f"dbname={c['NAME']} user={c['USER']} password={c['PASSWORD']} "
        f"host={c['HOST']} port={c['PORT']}"
    )


def has_instance(url: str, n_requests: int) -> bool:
    """The instance is there when it has the requests, a round's proposals and our admin."""
    import psycopg

    try:
        with psycopg.connect(dsn(url)) as conn:
            requests = conn.execute("SELECT count(*) FROM exchange_supportrequest").fetchone()
            proposals = conn.execute("SELECT count(*) FROM matching_proposal").fetchone()
            admin = conn.execute(
                "SELECT count(*) FROM accounts_user WHERE email = %s", (ADMIN_EMAIL,)
            ).fetchone()
    except psycopg.Error:
        return False
    return bool(requests and requests[0] >= n_requests and proposals and proposals[0] and admin)


def build_instance(url: str, n_requests: int, n_experts: int) -> None:
    """bench/matching.py builds the instance and runs a round on it (the proposals)."""
    subprocess.run(  # noqa: S603 — our own script, our own arguments
        [
            sys.executable,
            str(SCRIPT),
            "--requests",
            str(n_requests),
            "--experts",
            str(n_experts),
            "--database-url",
            url,
            "--no-check-full",
        ],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


def prepare_callers() -> Callers:
    """The admin, the coordinator of the trust with most requests and the SENCO of the
    school with most proposed requests (made once), each with a fresh token."""
    from django.db.models import Count

    from accounts.enums import Role
    from accounts.models import Membership, User
    from accounts.services import token_create
    from exchange.models import SupportRequest

    admin, _ = User.objects.get_or_create(
        email=ADMIN_EMAIL, defaults={"is_staff": True, "full_name": "Bench admin"}
    )
    coordinator, created = User.objects.get_or_create(
        email=COORDINATOR_EMAIL, defaults={"full_name": "Bench coordinator"}
    )
    if created:
        trust_id = (
            SupportRequest.objects.filter(school__trust__isnull=False)
            .values("school__trust_id")
            .annotate(n=Count("id"))
            .order_by("-n", "school__trust_id")
            .values_list("school__trust_id", flat=True)[0]
        )
        Membership.objects.create(user=coordinator, trust_id=trust_id, role=Role.TRUST_COORDINATOR)
    school_id = (
        SupportRequest.objects.filter(status="proposed")
        .values("school_id")
        .annotate(n=Count("id"))
        .order_by("-n", "school_id")
        .values_list("school_id", flat=True)[0]
    )
    senco = Membership.objects.filter(school_id=school_id, role=Role.SENCO).first()
    if senco is None:
        raise SystemExit(f"School {school_id} has no SENCO: not an instance of bench/matching.py")
    proposed = (
        SupportRequest.objects.filter(school_id=school_id, status="proposed")
        .order_by("id")
        .values_list("id", flat=True)[0]
    )

    add_sessions()

    def token(user: Any) -> str:
        return token_create(user=user)[1]

    return Callers(
        admin=token(admin),
        coordinator=token(coordinator),
        senco=token(senco.user),
        senco_school=school_id,
        proposed_request=proposed,
    )


SESSIONS_FROM = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def add_sessions() -> None:
    """Once: a confirmed session for each proposed request (up to 6,000), its SENCO
    attending, over six weeks from ``SESSIONS_FROM``; an expert's sessions a day apart."""
    from accounts.enums import Role
    from accounts.models import Membership
    from matching.models import Proposal
    from scheduling.models import Session

    if Session.objects.exists():
        return
    senco_of = dict(Membership.objects.filter(role=Role.SENCO).values_list("school_id", "user_id"))
    proposals = (
        Proposal.objects.filter(status="proposed")
        .order_by("id")
        .values_list("request_id", "expert_id", "request__school_id", "delivery_format")[:6000]
    )
    nth: dict[int, int] = {}
    sessions, people = [], []
    for request_id, expert_id, school_id, delivery_format in proposals:
        k = nth[expert_id] = nth.get(expert_id, -1) + 1
        starts = SESSIONS_FROM + timedelta(
            days=k + 7 * (len(sessions) % 6), hours=len(sessions) % 6
        )
        sessions.append(
            Session(
                request_id=request_id,
                expert_id=expert_id,
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                format=delivery_format,
                status="confirmed",
                confirmed_at=starts - timedelta(days=14),
            )
        )
        people.append(senco_of.get(school_id))
    Session.objects.bulk_create(sessions, batch_size=2000)
    Attendee = Session.attendees.through
    Attendee.objects.bulk_create(
        (Attendee(session_id=s.pk, user_id=u) for s, u in zip(sessions, people, strict=True) if u),
        batch_size=2000,
    )


def remove_created(title: str) -> int:
    """Deletes the drafts the create endpoint's runs raised (both sides'), so every run, and
    every endpoint after it, reads the instance as built."""
    from exchange.models import SupportRequest

    deleted, _ = SupportRequest.objects.filter(status="draft", title=title).delete()
    return deleted


def open_instance(
    database_url: str | None, default_url: str, *, bench: str, smoke: bool, rebuild: bool
) -> tuple[str, int, int]:
    """What every bench on this instance does first: check wrk and the URL, build the
    national (or smoke) instance unless it is there, set Django up on it and bring a reused
    instance's schema up to this checkout's migrations. Gives the URL and the instance's
    requests and experts."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk).")
    url = database_url or os.environ.get("BENCH_DATABASE_URL") or default_url
    if not url.startswith("postgres"):
        raise SystemExit(f"The {bench} bench runs on PostgreSQL: give a postgres:// URL.")
    n_requests, n_experts = (300, 80) if smoke else (20000, 5000)
    if rebuild or not has_instance(url, n_requests):
        out(f"Building {n_requests:,} requests × {n_experts:,} experts (bench/matching.py) …")
        build_instance(url, n_requests, n_experts)
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url, n_requests, n_experts


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()

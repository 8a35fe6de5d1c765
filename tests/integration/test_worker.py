"""End to end with a real Celery worker, Redis and PostgreSQL: nothing in-process.

A SENCO submits a request through the API; the outbox publishes the matching task to Redis
after commit; a separate worker process proposes experts; the expert accepts through the
API. Runs in CI's PostgreSQL + Redis pass; skipped without them.
"""

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from datetime import time as wall_clock

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from icalendar import Calendar

from accounts.enums import Role
from config.celery import app as celery_app
from exchange.models import AvailabilityWindow, Notification, SupportRequest
from matching.models import Proposal
from scheduling.models import Reminder
from tests import processes
from tests.factories import (
    ExpertProfileFactory,
    MembershipFactory,
    SpecialSchoolFactory,
    SupportRequestFactory,
)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="Needs PostgreSQL and Redis (a worker process shares the test database).",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path) -> Iterator[processes.Service]:
    """A real worker process on the test database, started on an empty queue."""
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    service = processes.celery_worker(env, tmp_path / "worker.log", loglevel="WARNING")
    try:
        processes.wait_for(
            lambda: bool(celery_app.control.ping(timeout=0.5)), "the worker to start"
        )
        yield service
    finally:
        service.stop()


def _expert(**overrides):
    return ExpertProfileFactory(
        school=SpecialSchoolFactory(easting=552000, northing=281000),
        offers_observation_visit=True,
        offers_video_call=True,
        serves_primary=True,
        sessions_per_month=4,
        safeguarding_expires_on=timezone.localdate() + timedelta(days=365),
        **overrides,
    )


def test_submitted_request_gets_proposals_from_a_real_worker_and_an_expert_accepts(
    worker, client_for
):
    senco = MembershipFactory(role=Role.SENCO).user
    school = senco.memberships.get().school
    experts = [
        _expert(specialisms=[("ASD", "lead")]),
        _expert(specialisms=[("ASD", "specialist")]),
        _expert(specialisms=[("ASD", "practitioner")]),
        _expert(specialisms=[("ASD", "aware")]),
    ]
    school_client = client_for(senco)
    created = school_client.post(
        "/api/v1/requests",
        {
            "title": "Sensory regulation for a Year 4 class",
            "scope": "class",
            "needs": ["ASD"],
            "primary_need": "ASD",
            "phase": "primary",
            "year_groups": [4],
            "sen_status": "sen_support",
            "context": "Two pupils leave the classroom when it gets loud.",
            "desired_outcome": "Calmer transitions.",
            "format": "observation_visit",
            "school": school.urn,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    request_id = created.json()["id"]

    submitted = school_client.post(f"/api/v1/requests/{request_id}/submit", {}, format="json")
    assert submitted.status_code == 200
    # Submitting only queued the work: the worker does the matching.
    assert submitted.json()["status"] in {"submitted", "matching", "proposed"}

    processes.wait_for(
        lambda: SupportRequest.objects.get(pk=request_id).status == "proposed",
        "the worker to propose experts",
    )
    proposals = school_client.get(f"/api/v1/requests/{request_id}/proposals").json()
    assert [p["rank"] for p in proposals] == [1, 2, 3]
    # Best first: the lead-level expert tops the list, the aware-level one is not proposed.
    assert [p["expert"]["id"] for p in proposals] == [e.pk for e in experts[:3]]
    top = proposals[0]
    assert "covers ASD at lead level" in top["summary"]
    assert {item["criterion"] for item in top["breakdown"]} >= {"needs", "distance", "format"}
    assert top["status"] == "proposed"

    accepted = client_for(experts[0].user).post(f"/api/v1/proposals/{top['id']}/accept")

    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["status"] == "accepted"
    assert SupportRequest.objects.get(pk=request_id).status == "accepted"
    statuses = Proposal.objects.filter(request_id=request_id).values_list("status", flat=True)
    assert sorted(statuses) == ["accepted", "withdrawn", "withdrawn"]


def test_an_accept_is_scheduled_by_a_real_worker_through_to_a_booked_session(worker, client_for):
    """accept → slots offered (worker) → confirm → session booked → .ics → reminders."""
    senco = MembershipFactory(role=Role.SENCO).user
    school = senco.memberships.get().school
    expert = _expert(specialisms=[("ASD", "lead")])
    for weekday in range(5):
        AvailabilityWindow.objects.create(
            expert=expert, weekday=weekday, start_time=wall_clock(9), end_time=wall_clock(15)
        )
    draft = SupportRequestFactory(school=school, created_by=senco, video_acceptable=True)
    school_client = client_for(senco)
    assert school_client.post(f"/api/v1/requests/{draft.pk}/submit", {}).status_code == 200
    processes.wait_for(
        lambda: Proposal.objects.filter(request=draft, expert=expert).exists(),
        "the worker to propose the expert",
    )
    proposal = Proposal.objects.get(request=draft, expert=expert)

    accepted = client_for(expert.user).post(f"/api/v1/proposals/{proposal.pk}/accept")

    assert accepted.status_code == 200, accepted.json()
    offers_url = f"/api/v1/requests/{draft.pk}/slot-offers"
    processes.wait_for(
        lambda: len(school_client.get(offers_url).json()) == 3, "the worker to offer slots"
    )
    chosen = school_client.get(offers_url).json()[1]

    confirmed = school_client.post(f"/api/v1/sessions/{chosen['id']}/confirm")

    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "confirmed"
    assert SupportRequest.objects.get(pk=draft.pk).status == "scheduled"
    invitation = school_client.get(f"/api/v1/sessions/{chosen['id']}/ics")
    assert invitation.status_code == 200
    event = Calendar.from_ical(invitation.content).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == datetime.fromisoformat(chosen["starts_at"])
    reminders = Reminder.objects.filter(session_id=chosen["id"], sent_at=None)
    assert sorted(reminders.values_list("kind", flat=True)) == ["1h", "24h"]
    # The worker emailed the confirmation to both sides.
    processes.wait_for(
        lambda: (
            Notification.objects.filter(
                session_id=chosen["id"], kind="session_confirmed", emailed_at__isnull=False
            ).count()
            == 2
        ),
        "the worker to email the confirmation",
    )

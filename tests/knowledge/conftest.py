"""Held sessions to give feedback on: an expert's accepted request, a confirmed slot moved
into the past and marked held through the API."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from exchange.models import ExpertProfile, SupportRequest
from scheduling import services as scheduling_services
from scheduling.models import Session
from tests.scheduling.conftest import accepted_request, make_expert


@dataclass
class Held:
    senco: User
    expert: ExpertProfile
    request: SupportRequest
    session: Session


def hold_session(expert: ExpertProfile, *, ago: timedelta = timedelta(hours=2), **fields) -> Held:
    """A request of a new school, its session booked, moved ``ago`` into the past and held."""
    scene = accepted_request(expert, **fields)
    offered = scheduling_services.slots_offer(support_request_id=scene.request.pk)[0]
    session = scheduling_services.session_confirm(session=offered, by=scene.senco)
    starts_at = timezone.now() - ago
    Session.objects.filter(pk=session.pk).update(
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=1)
    )
    session = scheduling_services.session_complete(session=session, by=scene.senco)
    scene.request.refresh_from_db()
    return Held(senco=scene.senco, expert=expert, request=scene.request, session=session)


@pytest.fixture
def expert(db) -> ExpertProfile:
    return make_expert()


@pytest.fixture
def held(expert) -> Held:
    return hold_session(expert)


def query_count(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code == 200, response.content
    return len(queries)


def days_ago(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)

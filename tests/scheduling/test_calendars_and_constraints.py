"""Closed days of either school kept free of offers, and the database's no-overlap
backstop. The calendars themselves are the exchange's: tests/exchange/test_calendars.py."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from exchange.constants import LONDON
from exchange.models import Closure
from scheduling import services
from scheduling.models import Session
from tests.postgres import postgres_only

pytestmark = pytest.mark.django_db


def test_no_slot_is_offered_on_an_inset_day_of_the_expert_school(scene):
    first = services.slots_offer(support_request_id=scene.request.pk)
    blocked = {timezone.localtime(s.starts_at, LONDON).date() for s in first}
    for day in blocked:
        Closure.objects.create(
            school=scene.expert.school, kind="inset", start_date=day, end_date=day
        )

    again = services.slots_offer(support_request_id=scene.request.pk, replace=True)

    assert again
    assert not blocked & {timezone.localtime(s.starts_at, LONDON).date() for s in again}


def _session(scene, start, hours=1, status="confirmed") -> Session:
    return Session.objects.create(
        request=scene.request,
        expert=scene.expert,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        format="video_call",
        status=status,
    )


@postgres_only("PostgreSQL exclusion constraint")
def test_the_database_refuses_overlapping_live_sessions_of_one_expert(scene):
    start = timezone.now() + timedelta(days=10)
    _session(scene, start, status="offered")

    with pytest.raises(IntegrityError), transaction.atomic():
        _session(scene, start + timedelta(minutes=30), status="offered")


@postgres_only("PostgreSQL exclusion constraint")
def test_the_database_allows_back_to_back_and_overlap_with_cancelled_sessions(scene):
    start = timezone.now() + timedelta(days=10)
    _session(scene, start, status="cancelled")
    _session(scene, start, status="offered")

    _session(scene, start + timedelta(hours=1), status="offered")

    assert Session.objects.filter(expert=scene.expert).count() == 3


def test_a_session_starts_before_it_ends(scene):
    with pytest.raises(IntegrityError), transaction.atomic():
        _session(scene, timezone.now() + timedelta(days=10), hours=0)

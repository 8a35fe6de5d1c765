"""Bookings racing through the API on PostgreSQL: one expert is never double-booked,
however many schools book overlapping times at once."""

from collections import Counter
from datetime import datetime, timedelta

from django.db import connection

from exchange.models import SupportRequest
from scheduling import services
from scheduling.models import Session
from tests.postgres import RACING, Call, race
from tests.scheduling.conftest import Scene, accepted_request, make_expert

pytestmark = RACING

RACERS = 55


def race_bookings(bookings: list[tuple[Scene, datetime]]) -> list[tuple[int, dict]]:
    """Every school POSTs ``/sessions`` at the same moment, one thread each."""
    calls = [
        Call(scene.senco, "/api/v1/sessions", {"request": scene.request.pk, "starts_at": at})
        for scene, at in ((scene, starts_at.isoformat()) for scene, starts_at in bookings)
    ]
    return [(answer.status, answer.body) for answer in race(calls)]


def overlapping_live_sessions() -> list[tuple[int, int]]:
    """Pairs of live sessions of one expert whose half-open intervals overlap."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, b.id FROM exchange_session a
            JOIN exchange_session b
              ON a.expert_id = b.expert_id AND a.id < b.id
             AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
            WHERE a.status IN ('offered', 'confirmed') AND b.status IN ('offered', 'confirmed')
            """
        )
        return cursor.fetchall()


def test_simultaneous_overlapping_bookings_for_one_expert_book_exactly_one():
    expert = make_expert(sessions_per_week=RACERS, sessions_per_month=RACERS)
    scenes = [accepted_request(expert, format="video_call") for _ in range(RACERS)]
    offered = services.slots_offer(support_request_id=scenes[0].request.pk)
    start = offered[0].starts_at
    Session.objects.all().delete()
    # Half the schools ask for the very same hour, half for the half hour after: every
    # pair overlaps.
    bookings = [
        (scene, start + timedelta(minutes=30 * (index % 2))) for index, scene in enumerate(scenes)
    ]

    results = race_bookings(bookings)

    codes = Counter(code for code, _ in results)
    assert codes == {201: 1, 409: RACERS - 1}, codes
    assert {body["code"] for code, body in results if code == 409} <= {
        "session_clash",
        "slot_unavailable",
        "concurrent_update",
    }
    live = Session.objects.filter(expert=expert, status__in=["offered", "confirmed"])
    assert live.count() == 1
    assert overlapping_live_sessions() == []
    statuses = SupportRequest.objects.filter(pk__in=[s.request.pk for s in scenes])
    assert Counter(statuses.values_list("status", flat=True)) == {
        "scheduled": 1,
        "accepted": RACERS - 1,
    }

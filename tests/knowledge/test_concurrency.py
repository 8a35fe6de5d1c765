"""Feedback and goals racing through the API on PostgreSQL: once each, at most three, and
an expert's track record that loses no rating however many arrive at once."""

import threading
from collections import Counter

from django.db import connection

from exchange.models import ExpertTrackRecord
from knowledge import services
from knowledge.models import FeedbackReminder, Goal
from tests.knowledge.conftest import days_ago, hold_session
from tests.postgres import RACING, Call, race
from tests.scheduling.conftest import accepted_request, make_expert

pytestmark = RACING

RATINGS = {"useful": 5, "practical": 4, "would_recommend": 3}


def test_one_participant_racing_their_feedback_gives_it_once():
    held = hold_session(make_expert())
    calls = [Call(held.senco, "/api/v1/feedback", {"session": held.session.pk, **RATINGS})] * 6

    answers = race(calls)

    assert Counter(a.status for a in answers) == {201: 1, 409: 5}
    assert {a.body["code"] for a in answers if a.status == 409} == {"feedback_given"}
    assert held.session.feedback.count() == 1


def test_feedback_on_many_sessions_of_one_expert_at_once_loses_no_rating():
    expert = make_expert(sessions_per_week=10, sessions_per_month=10)
    sessions = [hold_session(expert) for _ in range(6)]
    calls = [
        Call(h.senco, "/api/v1/feedback", {"session": h.session.pk, **RATINGS, "useful": 1 + i % 5})
        for i, h in enumerate(sessions)
    ]

    answers = race(calls)

    assert [a.status for a in answers] == [201] * 6
    record = ExpertTrackRecord.objects.get(expert=expert)
    expected = sum((1 + i % 5 + 4 + 3) / 3 for i in range(6))
    assert record.feedback_count == 6
    assert abs(record.feedback_sum - expected) < 1e-9


def test_goals_racing_in_stop_at_three():
    scene = accepted_request(make_expert())
    body = {"description": "A goal", "expected_outcome": "Expected", "baseline": -1}
    calls = [Call(scene.senco, f"/api/v1/requests/{scene.request.pk}/goals", body)] * 6

    answers = race(calls)

    assert Counter(a.status for a in answers) == {201: 3, 409: 3}
    positions = sorted(
        Goal.objects.filter(request=scene.request).values_list("position", flat=True)
    )
    assert positions == [1, 2, 3]


def test_two_beats_at_once_send_each_feedback_reminder_once():
    held = hold_session(make_expert())
    today = days_ago(-50).date()  # every stage due
    sent: list[int] = []
    barrier = threading.Barrier(2)

    def beat() -> None:
        try:
            barrier.wait(timeout=30)
            sent.append(services.feedback_reminders_send(today=today))
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # The SENCO and the expert: one reminder each between the two beats.
    assert sorted(sent) in ([0, 2], [1, 1])
    assert FeedbackReminder.objects.filter(stage="second").count() == 2
    assert held.session.feedback_reminders.count() == 4

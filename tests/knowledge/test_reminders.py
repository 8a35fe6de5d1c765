"""Beat's reminders: feedback 3 and 10 school days after a session to whoever has not
answered, a review when it falls due; never twice, however often beat runs."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError

from exchange.constants import LONDON
from exchange.models import Notification
from exchange.school_days import add_school_days
from exchange.selectors import closed_days
from knowledge import services, tasks
from knowledge.models import FeedbackReminder, Goal, ReviewReminder
from tests.knowledge.conftest import hold_session

pytestmark = pytest.mark.django_db


def held_on(held):
    return held.session.starts_at.astimezone(LONDON).date()


def school_day(held, days):
    closed = closed_days(
        schools=[held.request.school],
        start=held_on(held),
        end=held_on(held) + timedelta(days=120),
    )
    return add_school_days(held_on(held), days, closed)


def reminded(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("user__email", flat=True))


def test_feedback_reminders_go_at_three_and_ten_school_days_once_each(held, client_for):
    client_for(held.senco).post(
        "/api/v1/feedback",
        {"session": held.session.pk, "useful": 4, "practical": 4, "would_recommend": 4},
        format="json",
    )
    before = services.feedback_reminders_send(today=school_day(held, 2))
    first = [services.feedback_reminders_send(today=school_day(held, 3)) for _ in range(2)]
    between = services.feedback_reminders_send(today=school_day(held, 9))
    second = [services.feedback_reminders_send(today=school_day(held, 10)) for _ in range(2)]

    # Only the expert has not answered: reminded once at 3 school days, once at 10.
    assert (before, first, between, second) == (0, [1, 0], 0, [1, 0])
    assert reminded("feedback_reminder") == [held.expert.user.email] * 2
    assert set(FeedbackReminder.objects.values_list("user_id", "stage")) == {
        (held.expert.user.pk, "first"),
        (held.expert.user.pk, "second"),
    }


def test_the_beat_task_run_twice_reminds_each_participant_once(
    expert, django_capture_on_commit_callbacks, eager_tasks
):
    # Held 30 days ago: both stages are due; beat sends only the second, and records both.
    held = hold_session(expert, ago=timedelta(days=30))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.send_reminders.apply().get()
    with django_capture_on_commit_callbacks(execute=True):
        second = tasks.send_reminders.apply().get()

    assert (first, second) == (2, 0)
    assert reminded("feedback_reminder") == sorted([held.senco.email, expert.user.email])
    assert sorted(m.to[0] for m in mail.outbox) == sorted([held.senco.email, expert.user.email])
    assert FeedbackReminder.objects.count() == 4


def test_the_database_refuses_a_second_reminder_of_one_stage(held):
    FeedbackReminder.objects.create(session=held.session, user=held.senco, stage="first")
    with pytest.raises(IntegrityError):
        FeedbackReminder.objects.create(session=held.session, user=held.senco, stage="first")


def test_a_review_is_reminded_once_when_it_falls_due(
    expert, django_capture_on_commit_callbacks, eager_tasks
):
    held = hold_session(expert, ago=timedelta(days=100))
    Goal.objects.create(
        request=held.request, position=1, description="d", expected_outcome="e", baseline=-1
    )
    not_yet = services.review_reminders_send(today=school_day(held, 29))
    with django_capture_on_commit_callbacks(execute=True):
        runs = [tasks.send_reminders.apply().get() for _ in range(2)]

    assert not_yet == 0
    # One review reminder (the session is past the feedback reminders); nothing the second
    # time.
    assert runs == [1, 0]
    assert reminded("review_reminder") == [held.senco.email]
    assert ReviewReminder.objects.get().due_on == school_day(held, 30)


def test_a_reviewed_or_goalless_request_is_not_reminded(expert, client_for):
    goalless = hold_session(expert, ago=timedelta(days=100))
    skipped = hold_session(expert, ago=timedelta(days=100))
    Goal.objects.create(
        request=skipped.request, position=1, description="d", expected_outcome="e", baseline=-1
    )
    client_for(skipped.senco).post(
        f"/api/v1/requests/{skipped.request.pk}/review/skip", {"reason": "Left."}, format="json"
    )
    assert services.review_reminders_send(today=school_day(goalless, 40)) == 0

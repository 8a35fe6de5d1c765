"""Reminders sent once however often beat runs, in-app notifications, and private
calendar feeds."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from exchange import notifications
from exchange.models import Notification
from scheduling import services, tasks
from scheduling.models import CalendarFeed, Reminder, Session
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(scene):
    chosen = services.slots_offer(support_request_id=scene.request.pk)[0]
    return services.session_confirm(session=chosen, by=scene.senco)


def make_due(session: Session) -> None:
    Reminder.objects.filter(session=session).update(due_at=timezone.now() - timedelta(minutes=1))


def test_reminder_tasks_run_twice_send_each_reminder_once(
    booked, scene, django_capture_on_commit_callbacks, eager_tasks
):
    make_due(booked)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.send_reminders.apply().get()
    with django_capture_on_commit_callbacks(execute=True):
        second = tasks.send_reminders.apply().get()

    assert (first, second) == (2, 0)
    kinds = list(
        Notification.objects.filter(user=scene.senco, kind__startswith="reminder")
        .order_by("kind")
        .values_list("kind", flat=True)
    )
    assert kinds == ["reminder_1h", "reminder_24h"]
    assert not Reminder.objects.filter(session=booked, sent_at=None).exists()
    reminder_mails = [m for m in mail.outbox if m.subject.startswith("Reminder")]
    # Two reminders to each of the two attendees, and no more.
    assert len(reminder_mails) == 4
    assert sorted(m.to[0] for m in reminder_mails) == sorted(
        [scene.senco.email, scene.expert.user.email] * 2
    )


def test_a_reminder_not_yet_due_is_not_sent(booked):
    assert services.reminders_send() == 0
    assert Reminder.objects.filter(session=booked, sent_at=None).count() == 2


def test_a_cancelled_session_sends_no_reminders(booked, scene):
    services.session_cancel(session=booked, by=scene.senco, reason="Closed for snow.")
    make_due(booked)

    assert services.reminders_send() == 0


def test_delivering_a_notification_twice_emails_it_once(booked, scene):
    notification = Notification.objects.filter(user=scene.senco).first()
    Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
    mail.outbox.clear()

    sent = [notifications.notifications_deliver(notification_ids=[notification.pk])]
    sent.append(notifications.notifications_deliver(notification_ids=[notification.pk]))

    assert sent == [1, 0]
    assert len(mail.outbox) == 1


def test_notifications_are_my_own_and_can_be_marked_read(booked, scene, client_for):
    client = client_for(scene.senco)
    mine = client.get("/api/v1/notifications", {"unread": "true"}).json()["results"]
    others = client_for(UserFactory()).get("/api/v1/notifications").json()["results"]

    read = client.post(f"/api/v1/notifications/{mine[0]['id']}/read")
    expert_notification = Notification.objects.filter(user=scene.expert.user).first()
    foreign = client.post(f"/api/v1/notifications/{expert_notification.pk}/read")
    all_read = client.post("/api/v1/notifications/read-all")

    assert {n["kind"] for n in mine} >= {"session_confirmed", "slots_offered"}
    assert others == []
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert foreign.status_code == 404
    assert all_read.status_code == 204
    assert client.get("/api/v1/notifications", {"unread": "true"}).json()["results"] == []
    assert Notification.objects.get(pk=expert_notification.pk).read_at is None


def test_a_private_calendar_feed_serves_my_sessions_until_revoked(
    booked, scene, client_for, client
):
    created = client_for(scene.senco).post("/api/v1/calendar-feed")
    url = created.json()["url"]
    path = url[url.index("/api/") :]

    feed = client.get(path)

    assert created.status_code == 201
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    assert calendar["METHOD"] == "PUBLISH"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{booked.uid}@expertise-exchange"
    # The token is stored only as a digest.
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    assert not CalendarFeed.objects.filter(token_digest=token).exists()

    assert client_for(scene.senco).delete("/api/v1/calendar-feed").status_code == 204
    gone = client.get(path)
    assert gone.status_code == 404
    assert gone.json()["code"] == "not_found"


def test_a_new_feed_url_revokes_the_old_one(scene, client_for, client):
    api = client_for(scene.senco)
    old = api.post("/api/v1/calendar-feed").json()["url"]
    new = api.post("/api/v1/calendar-feed").json()["url"]

    assert client.get(old[old.index("/api/") :]).status_code == 404
    assert client.get(new[new.index("/api/") :]).status_code == 200
    assert CalendarFeed.objects.filter(user=scene.senco, revoked_at=None).count() == 1


def test_a_made_up_feed_token_is_a_404(client):
    response = client.get("/api/v1/calendar/" + "x" * 43 + ".ics")

    assert response.status_code == 404


def test_the_notification_list_makes_the_same_queries_for_one_and_three(scene, client_for):
    client = client_for(scene.senco)
    Notification.objects.filter(user=scene.senco).delete()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/notifications").status_code == 200
        return len(queries)

    Notification.objects.create(user=scene.senco, kind="slots_offered", title="One")
    one = count()
    for title in ("Two", "Three"):
        Notification.objects.create(user=scene.senco, kind="slots_offered", title=title)

    assert count() == one


def test_reminders_of_a_session_that_has_started_are_dropped_not_sent(booked, scene):
    # Beat was down: both reminders fell due, and the session began an hour ago.
    past = timezone.now() - timedelta(hours=1)
    Session.objects.filter(pk=booked.pk).update(starts_at=past, ends_at=past + timedelta(hours=2))
    make_due(booked)

    assert services.reminders_send() == 0
    assert not Notification.objects.filter(kind__startswith="reminder").exists()
    # Nothing is left to be picked up again by the next beat.
    assert not Reminder.objects.filter(session=booked, sent_at=None).exists()
    assert services.reminders_send() == 0


def test_a_late_reminder_of_a_session_still_ahead_is_sent(booked, scene):
    Session.objects.filter(pk=booked.pk).update(
        starts_at=timezone.now() + timedelta(minutes=10),
        ends_at=timezone.now() + timedelta(hours=2),
    )
    make_due(booked)

    assert services.reminders_send() == 2


@pytest.mark.parametrize("value", ["maybe", "1", "yes", ""])
def test_an_unreadable_unread_filter_is_a_400(booked, scene, client_for, value):
    response = client_for(scene.senco).get("/api/v1/notifications", {"unread": value})

    if value == "":  # an empty parameter is no filter, as everywhere else
        assert response.status_code == 200
        return
    assert response.status_code == 400
    body = response.json()
    assert (body["status"], body["code"]) == (400, "invalid")
    assert "unread" in body["fields"]


def test_the_unread_filter_splits_read_from_unread(booked, scene, client_for):
    client = client_for(scene.senco)
    first = Notification.objects.filter(user=scene.senco).earliest("id")
    client.post(f"/api/v1/notifications/{first.pk}/read")

    unread = client.get("/api/v1/notifications", {"unread": "true"}).json()["results"]
    read = client.get("/api/v1/notifications", {"unread": "false"}).json()["results"]

    assert [n["id"] for n in read] == [first.pk]
    assert first.pk not in {n["id"] for n in unread}
    assert len(unread) == Notification.objects.filter(user=scene.senco).count() - 1

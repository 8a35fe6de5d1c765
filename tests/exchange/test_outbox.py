"""The transactional outbox: a task is queued with the change that needs it, published after
commit, kept when the broker is down and published later by the sweep."""

import logging
from datetime import timedelta

import pytest
from celery import current_app
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from accounts.enums import Role
from config import resilience
from config.celery import app as celery_app
from exchange import outbox
from exchange import services as exchange_services
from exchange.models import OutboxMessage, SupportRequest
from exchange.tasks import outbox_sweep
from matching.models import Proposal
from matching.selectors import local_today
from tests.factories import (
    ExpertProfileFactory,
    MembershipFactory,
    SchoolFactory,
    SpecialSchoolFactory,
    SupportRequestFactory,
)

pytestmark = pytest.mark.django_db

PROPOSE = "matching.propose_for_request"


@pytest.fixture
def broker_tasks():
    """Tasks go to the broker, not in-process (as in production)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def senco(db):
    return MembershipFactory(role=Role.SENCO, school=SchoolFactory(easting=550000, northing=280000))


@pytest.fixture
def expert(db):
    """One expert who can take the SENCO's draft: near, verified, covers ASD in primary."""
    return ExpertProfileFactory(
        school=SpecialSchoolFactory(easting=552000, northing=280000),
        specialisms=[("ASD", "lead")],
        is_verified=True,
        offers_observation_visit=True,
        offers_video_call=True,
        serves_primary=True,
        max_travel_km=30,
        sessions_per_week=1,
        sessions_per_month=4,
        safeguarding_expires_on=local_today() + timedelta(days=365),
    )


@pytest.fixture
def draft(senco):
    return SupportRequestFactory(
        school=senco.school, phase="primary", format="observation_visit", video_acceptable=True
    )


def broker_down(monkeypatch) -> None:
    """The broker refuses connections: what kombu raises when Redis is unreachable."""

    def refuse(*args, **kwargs):
        raise BrokerError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(current_app.tasks[PROPOSE], "apply_async", refuse)


def record_sends(monkeypatch) -> list[dict]:
    """The broker accepts every message; returns the list they are recorded in."""
    sent: list[dict] = []
    monkeypatch.setattr(
        current_app.tasks[PROPOSE], "apply_async", lambda **kwargs: sent.append(kwargs)
    )
    return sent


def age(message: OutboxMessage, **delta) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(**delta)
    )


def test_submitting_queues_the_matching_task_which_runs_after_commit(
    django_capture_on_commit_callbacks, eager_tasks, expert, draft
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        exchange_services.support_request_submit(support_request=draft, by=draft.created_by)

    [message] = OutboxMessage.objects.all()
    assert (message.task_name, message.kwargs) == (PROPOSE, {"support_request_id": draft.pk})
    assert message.published_at is None
    assert len(callbacks) == 1
    assert not Proposal.objects.exists()

    callbacks[0]()

    message.refresh_from_db()
    assert message.published_at is not None
    assert (message.attempts, message.last_error) == (1, "")
    assert [p.expert for p in Proposal.objects.filter(request=draft)] == [expert]
    assert SupportRequest.objects.get(pk=draft.pk).status == "proposed"


def test_a_rolled_back_change_leaves_no_message_and_runs_nothing(
    django_capture_on_commit_callbacks, eager_tasks, draft
):
    def failing_change() -> None:
        with transaction.atomic():
            outbox.enqueue(PROPOSE, support_request_id=draft.pk)
            raise RuntimeError("the change failed")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        failing_change()

    assert callbacks == []
    assert not OutboxMessage.objects.exists()
    assert not Proposal.objects.exists()


def test_a_broker_outage_does_not_fail_the_submission_and_the_sweep_publishes_later(
    django_capture_on_commit_callbacks, client_for, broker_tasks, monkeypatch, senco, expert, draft
):
    broker_down(monkeypatch)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(senco.user).post(
            f"/api/v1/requests/{draft.pk}/submit", {"reason": "Ready."}
        )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    assert SupportRequest.objects.get(pk=draft.pk).status == "submitted"
    [message] = OutboxMessage.objects.all()
    assert message.published_at is None
    assert message.attempts == 1
    assert message.last_error == (
        "OperationalError: Error 111 connecting to redis:6379. Connection refused."
    )
    assert not Proposal.objects.exists()

    # Too young for the sweep: its own publication might still be under way.
    assert outbox.sweep() == 0

    # The broker is back; tasks run in-process so the published task's work is visible.
    monkeypatch.undo()
    celery_app.conf.task_always_eager = True
    age(message, seconds=31)

    published = outbox.sweep()

    assert published == 1
    message.refresh_from_db()
    assert message.published_at is not None
    assert message.attempts == 2
    assert [p.expert for p in Proposal.objects.filter(request=draft)] == [expert]
    assert SupportRequest.objects.get(pk=draft.pk).status == "proposed"
    assert outbox.sweep() == 0


def test_the_sweep_retries_while_the_broker_stays_down(broker_tasks, monkeypatch, settings):
    settings.REDIS_BREAKER_SECONDS = 0  # no cool-down: every sweep tries the broker again
    broker_down(monkeypatch)
    message = OutboxMessage.objects.create(task_name=PROPOSE, kwargs={"support_request_id": 1})
    age(message, minutes=5)

    assert outbox.sweep() == 0
    assert outbox.sweep() == 0

    message.refresh_from_db()
    assert (message.published_at, message.attempts) == (None, 2)
    assert message.last_error.startswith("OperationalError: ")


def test_right_after_a_failure_the_sweep_does_not_wait_on_the_broker_again(
    broker_tasks, monkeypatch
):
    broker_down(monkeypatch)
    message = OutboxMessage.objects.create(task_name=PROPOSE, kwargs={"support_request_id": 1})
    age(message, minutes=5)

    assert outbox.sweep() == 0
    assert outbox.sweep() == 0  # within REDIS_BREAKER_SECONDS: not even tried

    message.refresh_from_db()
    assert (message.published_at, message.attempts) == (None, 1)
    assert resilience.degradation_counts()["outbox_deferred"] == 2


def test_the_sweep_deletes_published_messages_older_than_a_week(broker_tasks, monkeypatch):
    sent = record_sends(monkeypatch)
    now = timezone.now()
    old = OutboxMessage.objects.create(task_name=PROPOSE, published_at=now - timedelta(days=8))
    recent = OutboxMessage.objects.create(task_name=PROPOSE, published_at=now - timedelta(days=6))
    pending = OutboxMessage.objects.create(task_name=PROPOSE, kwargs={"support_request_id": 7})

    assert outbox.sweep() == 0

    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()
    assert sent == []


def test_a_message_is_published_once_however_often_publish_is_called(broker_tasks, monkeypatch):
    sent = record_sends(monkeypatch)
    message = OutboxMessage.objects.create(task_name=PROPOSE, kwargs={"support_request_id": 42})

    first = outbox.publish(message.pk)
    second = outbox.publish(message.pk)

    assert (first, second) == (True, False)
    assert sent == [{"kwargs": {"support_request_id": 42}}]
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.published_at is not None


def test_the_sweep_task_returns_how_many_it_published(broker_tasks, monkeypatch):
    sent = record_sends(monkeypatch)
    for request_id in (1, 2):
        age(
            OutboxMessage.objects.create(
                task_name=PROPOSE, kwargs={"support_request_id": request_id}
            ),
            minutes=2,
        )
    OutboxMessage.objects.create(task_name=PROPOSE, kwargs={"support_request_id": 3})  # fresh

    assert outbox_sweep() == 2

    assert sent == [{"kwargs": {"support_request_id": 1}}, {"kwargs": {"support_request_id": 2}}]
    assert OutboxMessage.objects.filter(published_at__isnull=True).count() == 1


def test_in_process_a_failing_task_is_logged_and_not_published_again(
    django_capture_on_commit_callbacks, eager_tasks, caplog
):
    # The task itself fails (the request does not exist): publishing again would fail again.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = outbox.enqueue(PROPOSE, support_request_id=999_999)

    message.refresh_from_db()
    assert message.published_at is not None
    assert message.last_error == ""
    assert any(
        record.levelno == logging.ERROR
        and record.getMessage() == f"Task {PROPOSE} failed in-process"
        for record in caplog.records
    )


class ProcessKilled(BaseException):
    """The publishing process dies (SIGKILL, OOM) between claiming a row and sending it."""


def test_a_publisher_killed_before_the_broker_has_the_message_is_retried_after_the_lease(
    broker_tasks, monkeypatch
):
    message = OutboxMessage.objects.create(task_name=PROPOSE, kwargs={"support_request_id": 5})
    age(message, minutes=1)

    def killed(**kwargs):
        raise ProcessKilled

    monkeypatch.setattr(current_app.tasks[PROPOSE], "apply_async", killed)
    with pytest.raises(ProcessKilled):
        outbox.publish(message.pk)

    message.refresh_from_db()
    assert message.published_at is None
    assert message.claimed_at is not None
    # Its claim might still be a live publisher's: the sweep leaves it alone for the lease.
    sent = record_sends(monkeypatch)
    assert outbox.sweep() == 0
    assert sent == []

    OutboxMessage.objects.filter(pk=message.pk).update(
        claimed_at=timezone.now() - outbox.CLAIM_LEASE - timedelta(seconds=1)
    )

    assert outbox.sweep() == 1
    assert sent == [{"kwargs": {"support_request_id": 5}}]
    message.refresh_from_db()
    assert message.published_at is not None
    assert message.attempts == 2


def test_a_message_is_marked_published_only_once_the_broker_has_it(broker_tasks, monkeypatch):
    message = OutboxMessage.objects.create(task_name=PROPOSE, kwargs={"support_request_id": 6})
    seen_while_sending: list[tuple] = []

    def send(**kwargs):
        seen_while_sending.append(
            OutboxMessage.objects.values_list("claimed_at", "published_at").get(pk=message.pk)
        )

    monkeypatch.setattr(current_app.tasks[PROPOSE], "apply_async", send)

    assert outbox.publish(message.pk) is True

    [(claimed_at, published_at)] = seen_while_sending
    assert claimed_at is not None
    assert published_at is None
    message.refresh_from_db()
    assert message.published_at >= claimed_at

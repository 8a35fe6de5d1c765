"""Rules written once: "accepting work" in Python and in SQL, and the domain events' table."""

import re
from itertools import product

import pytest
from celery import current_app
from django.conf import settings

from exchange import events
from exchange.constants import LONDON_TZID, accepts_work
from exchange.models import ExpertProfile, OutboxMessage
from tests.factories import ExpertProfileFactory, SupportRequestFactory

STANDINGS = list(product([True, False], repeat=3))


@pytest.mark.django_db
def test_the_accepting_work_queryset_and_predicate_agree_on_every_standing():
    experts = {
        standing: ExpertProfileFactory(
            is_verified=standing[0], is_suspended=standing[1], is_paused=standing[2]
        )
        for standing in STANDINGS
    }

    in_sql = set(ExpertProfile.objects.accepting_work().values_list("pk", flat=True))

    for (verified, suspended, paused), expert in experts.items():
        expected = accepts_work(is_verified=verified, is_suspended=suspended, is_paused=paused)
        assert expert.accepting_work is expected
        assert (expert.pk in in_sql) is expected
    assert len(in_sql) == 1  # verified, not suspended, not paused: the only one


def test_every_event_has_handlers_and_every_handler_is_a_registered_task():
    assert set(events.HANDLERS) == set(events.Event)
    for event, task_names in events.HANDLERS.items():
        assert task_names, event
        for task_name in task_names:
            assert task_name in current_app.tasks, (event, task_name)


@pytest.mark.django_db
def test_recording_an_event_queues_each_handler_in_the_outbox_with_the_event_named():
    support_request = SupportRequestFactory()

    events.record(events.Event.PROPOSAL_ACCEPTED, support_request_id=support_request.pk)

    [message] = OutboxMessage.objects.all()
    assert message.task_name == "scheduling.offer_slots"
    assert message.event == "proposal.accepted"
    assert message.kwargs == {"support_request_id": support_request.pk}
    assert message.published_at is None  # published once the transaction commits


def test_the_architecture_docs_event_table_is_the_handlers_table():
    doc = (settings.BASE_DIR / "docs" / "architecture.md").read_text()
    rows = re.findall(r"^\| `([a-z_.]+)` \| `[^`]+` \| `([a-z_.]+)` \|", doc, re.MULTILINE)

    documented: dict[str, set[str]] = {}
    for event, task_name in rows:
        documented.setdefault(event, set()).add(task_name)

    assert documented == {str(e): set(names) for e, names in events.HANDLERS.items()}


def test_the_domains_time_zone_is_the_one_django_and_celery_run_in():
    assert settings.TIME_ZONE == settings.CELERY_TIMEZONE == LONDON_TZID

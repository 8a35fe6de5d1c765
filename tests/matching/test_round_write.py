"""What a round writes: each request's history from its own previous status, and what
experts are told — one notification a proposal from the per-request path, one digest an
expert from a round that proposed them several times."""

import pytest
from django.db import transaction

from config import bulk
from exchange.enums import NotificationKind
from exchange.models import Notification, StatusChange
from matching import services
from matching.enums import RunTrigger
from matching.models import Proposal, UnmatchedRequest
from tests.matching.test_services import history_of, make_expert, make_request, propose, status_of
from tests.postgres import postgres_only

pytestmark = pytest.mark.django_db


def proposal_notifications(expert) -> list[Notification]:
    return list(Notification.objects.filter(user=expert.user, kind=NotificationKind.PROPOSAL_NEW))


def test_a_round_records_each_requests_move_from_its_own_previous_status():
    # A request a worker already found nobody for, then a fresher one further away, and
    # one nobody will ever visit; an expert appears who can take one request.
    earlier = make_request(km=1)
    propose(earlier)
    assert status_of(earlier) == "unmatched"
    fresh = make_request(km=25)
    far = make_request(km=400, video_acceptable=False)
    make_expert(km=1, sessions_per_month=1)

    run = services.matching_round_run(trigger=RunTrigger.COMMAND)

    assert Proposal.objects.get(run=run).request_id == earlier.pk
    assert history_of(earlier)[-1] == ("unmatched", "proposed")
    assert history_of(fresh)[-1] == ("submitted", "unmatched")
    assert history_of(far)[-1] == ("submitted", "unmatched")
    # One row for each request that moved, each naming the round.
    assert StatusChange.objects.filter(reason__contains=f"round #{run.pk}").count() == 3


def test_a_round_sends_an_expert_proposed_for_several_requests_one_digest():
    expert = make_expert(km=2)
    requests = [make_request(km=1), make_request(km=3), make_request(km=4)]

    services.matching_round_run(trigger=RunTrigger.COMMAND)

    proposed = Proposal.objects.filter(expert=expert).values_list("request_id", flat=True)
    assert sorted(proposed) == sorted(r.pk for r in requests)
    [digest] = proposal_notifications(expert)
    assert digest.title == "You have been proposed for 3 support requests"
    assert digest.request_id is None
    for support_request in requests:
        assert f"Request #{support_request.pk}: " in digest.body
    assert "Please accept or decline by" in digest.body


def test_a_round_sends_each_expert_their_own_notification():
    near, far = make_expert(km=1), make_expert(km=20, sessions_per_month=1)
    first, second = make_request(km=0), make_request(km=21)

    services.matching_round_run(trigger=RunTrigger.COMMAND)

    [for_near] = proposal_notifications(near)
    [for_far] = proposal_notifications(far)
    assert for_near.title == for_far.title == "You have been proposed for a support request"
    assert {for_near.request_id, for_far.request_id} == {first.pk, second.pk}


def test_one_proposal_is_told_with_its_summary_and_request():
    expert = make_expert(km=1)
    support_request = make_request()

    [proposal] = propose(support_request)

    [notification] = proposal_notifications(expert)
    assert notification.title == "You have been proposed for a support request"
    assert notification.request_id == support_request.pk
    assert notification.body.startswith(proposal.summary)


def round_rows(run) -> dict[str, list[tuple]]:
    """What a round wrote, without ids, run numbers and write times."""
    return {
        "proposals": sorted(
            Proposal.objects.filter(run=run).values_list(
                "request_id",
                "expert_id",
                "policy_id",
                "status",
                "rank",
                "score",
                "delivery_format",
                "distance_km",
                "breakdown",
                "summary",
                "expires_at",
                "remind_at",
                "reminder_sent_at",
                "decided_at",
                "decline_reason",
            )
        ),
        "unmatched": sorted(
            UnmatchedRequest.objects.filter(run=run).values_list(
                "request_id", "reason", "explanation"
            )
        ),
        "notifications": sorted(
            Notification.objects.filter(created_at__gte=run.started_at).values_list(
                "user_id", "kind", "title", "body", "request_id", "read_at", "emailed_at"
            )
        ),
    }


@postgres_only("COPY is PostgreSQL's")
def test_a_round_writes_the_same_rows_through_copy_as_through_insert(monkeypatch):
    # Several proposals for one expert (a digest), one each for others, requests nobody
    # can take (unmatched, two reasons) and one that loses to a better one.
    make_expert(km=2)
    make_expert(km=30, sessions_per_month=1)
    for km in (0, 1, 3, 4, 29, 31):
        make_request(km=km)
    make_request(km=400, video_acceptable=False)
    make_request(km=1, phase="secondary")
    written = {}
    for path, copy_from in (("copy", 1), ("insert", 10**9)):
        monkeypatch.setattr(bulk, "COPY_FROM_ROWS", copy_from)
        with transaction.atomic():
            run = services.matching_round_run(trigger=RunTrigger.COMMAND)
            written[path] = round_rows(run)
            transaction.set_rollback(True)

    assert written["copy"] == written["insert"]
    assert len(written["copy"]["proposals"]) >= 3
    assert {reason for _, reason, _ in written["copy"]["unmatched"]} >= {"too_far"}

"""``config.bulk.bulk_insert``: the same rows as ``bulk_create``, by COPY on PostgreSQL."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from config import bulk
from exchange.enums import NotificationKind, RequestStatus
from exchange.models import Notification, StatusChange
from matching.enums import ProposalStatus
from matching.models import MatchingPolicy, Proposal
from tests.factories import ExpertProfileFactory, SupportRequestFactory, UserFactory
from tests.postgres import postgres_only

pytestmark = pytest.mark.django_db


def notifications_for(user, count: int) -> list[Notification]:
    later = timezone.now() + timedelta(days=1)
    return [
        Notification(
            user=user,
            kind=NotificationKind.PROPOSAL_NEW,
            title=f"Title {n} with 'quotes', a tab\tand a newline\n",
            body="Ünïcode — and a backslash \\ too" if n % 2 else "",
            read_at=later if n % 3 == 0 else None,
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("count", [3, bulk.COPY_FROM_ROWS + 7])
def test_bulk_insert_stores_every_row_as_given_and_returns_their_ids(count):
    user = UserFactory()
    before = timezone.now()

    rows = bulk.bulk_insert(notifications_for(user, count))

    stored = {n.pk: n for n in Notification.objects.filter(user=user)}
    assert len(stored) == count
    assert sorted(stored) == sorted(row.pk for row in rows)
    for row in rows:
        saved = stored[row.pk]
        assert (saved.title, saved.body, saved.kind) == (row.title, row.body, row.kind)
        assert saved.read_at == row.read_at
        # auto_now_add is applied as bulk_create applies it.
        assert saved.created_at == row.created_at
        assert saved.created_at >= before
        assert not row._state.adding


def test_bulk_insert_writes_json_and_foreign_keys_on_the_copy_path():
    expert = ExpertProfileFactory()
    requests = [SupportRequestFactory() for _ in range(2)]
    policy = MatchingPolicy.objects.get(is_active=True)
    breakdown = [{"criterion": "needs", "points": 12.5, "explanation": "covers ASD — “lead”"}]
    expires = timezone.now() + timedelta(days=14)
    proposals = [
        Proposal(
            request=requests[n % 2],
            expert=expert,
            policy=policy,
            status=ProposalStatus.WITHDRAWN,
            score=50 + n / 100,
            delivery_format="video_call",
            breakdown=breakdown,
            summary=f"summary {n}",
            expires_at=expires,
            remind_at=expires,
        )
        for n in range(bulk.COPY_FROM_ROWS)
    ]

    bulk.bulk_insert(proposals)

    stored = list(Proposal.objects.filter(expert=expert).order_by("pk"))
    assert [p.pk for p in stored] == [p.pk for p in proposals]
    assert all(p.breakdown == breakdown and p.expires_at == expires for p in stored)
    assert [p.request_id for p in stored] == [requests[n % 2].pk for n in range(len(stored))]
    assert [p.score for p in stored] == [50 + n / 100 for n in range(len(stored))]


def test_bulk_insert_writes_plain_rows_on_the_copy_path():
    support_request = SupportRequestFactory()
    rows = [
        StatusChange(
            request=support_request,
            from_status=RequestStatus.SUBMITTED,
            to_status=RequestStatus.PROPOSED,
            reason=f"reason {n}",
        )
        for n in range(bulk.COPY_FROM_ROWS)
    ]

    bulk.bulk_insert(rows)

    reasons = StatusChange.objects.filter(request=support_request).values_list("reason", flat=True)
    assert sorted(reasons) == sorted(f"reason {n}" for n in range(bulk.COPY_FROM_ROWS))


def test_ids_drawn_for_a_copy_do_not_collide_with_later_inserts():
    user = UserFactory()
    rows = bulk.bulk_insert(notifications_for(user, bulk.COPY_FROM_ROWS))

    after = Notification.objects.create(user=user, kind=NotificationKind.PROPOSAL_NEW, title="x")

    assert after.pk > max(row.pk for row in rows)


def test_bulk_insert_of_nothing_writes_nothing():
    assert bulk.bulk_insert([]) == []


@postgres_only("COPY is PostgreSQL's")
def test_large_batches_go_through_copy_on_postgresql(django_assert_num_queries):
    user = UserFactory()
    # One query draws the ids; the COPY streams the rows on the same connection, outside
    # Django's query log, however many there are.
    with django_assert_num_queries(1):
        bulk.bulk_insert(notifications_for(user, bulk.COPY_FROM_ROWS * 3))
    assert Notification.objects.filter(user=user).count() == bulk.COPY_FROM_ROWS * 3


def test_plain_fields_are_cast_as_their_fields_cast_them_on_the_copy_path():
    # NumPy numbers (a round's scores, ranks and ids come from arrays) and choices enums
    # are read straight from the objects on the COPY path: each is cast as the field's
    # ``get_prep_value`` casts it, so the rows equal bulk_create's.
    expert = ExpertProfileFactory()
    support_request = SupportRequestFactory()
    policy = MatchingPolicy.objects.get(is_active=True)
    expires = timezone.now() + timedelta(days=14)
    proposals = [
        Proposal(
            request_id=np.int64(support_request.pk),
            expert_id=np.int64(expert.pk),
            policy_id=policy.pk,
            status=ProposalStatus.WITHDRAWN,
            rank=np.int64(n % 7 + 1),
            score=np.float64(n) / 3,
            delivery_format="video_call",
            distance_km=None if n % 2 else np.float32(1.5),
            expires_at=expires,
            remind_at=expires,
        )
        for n in range(bulk.COPY_FROM_ROWS)
    ]

    bulk.bulk_insert(proposals)

    stored = list(
        Proposal.objects.filter(expert=expert)
        .order_by("pk")
        .values_list("request_id", "status", "rank", "score", "distance_km")
    )
    assert stored == [
        (support_request.pk, "withdrawn", n % 7 + 1, n / 3, None if n % 2 else 1.5)
        for n in range(bulk.COPY_FROM_ROWS)
    ]


def proposal_values(requests, expert, policy, count: int, expires) -> list[tuple]:
    """Rows of ``NAMES``: NumPy numbers, JSON, text that needs escaping, no distance."""
    return [
        (
            requests[n % len(requests)].pk,
            np.int64(expert.pk),
            policy.pk,
            # Not live: one request and expert may have many (the unique live-pair rule).
            ProposalStatus.WITHDRAWN,
            np.int64(n % 5 + 1),
            np.float64(n) / 3,
            "video_call",
            None if n % 2 else np.float32(1.5),
            [{"criterion": "needs", "points": n / 7, "explanation": "“lead” \\ a tab\there"}],
            f"summary {n} with 'quotes'\nand a newline",
            expires,
            expires - timedelta(days=n % 3),
        )
        for n in range(count)
    ]


NAMES = (
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
)
# Every field of a proposal but its id and the instants its row was written at.
STORED = (*NAMES, "run_id", "reminder_sent_at", "decided_at", "decline_reason")


@pytest.mark.parametrize("count", [3, bulk.COPY_FROM_ROWS + 7])
def test_insert_values_stores_the_rows_bulk_create_stores(count):
    expert, other = ExpertProfileFactory(), ExpertProfileFactory()
    requests = [SupportRequestFactory() for _ in range(3)]
    policy = MatchingPolicy.objects.get(is_active=True)
    before = timezone.now()
    expires = before + timedelta(days=14)

    written = bulk.insert_values(
        Proposal, NAMES, proposal_values(requests, expert, policy, count, expires)
    )
    Proposal.objects.bulk_create(
        Proposal(**dict(zip(NAMES, row, strict=True)))
        for row in proposal_values(requests, other, policy, count, expires)
    )

    assert written == count
    mine = Proposal.objects.filter(expert=expert).order_by("pk")
    theirs = Proposal.objects.filter(expert=other).order_by("pk")
    as_stored = [dict(zip(STORED, row, strict=True)) for row in mine.values_list(*STORED)]
    from_create = [dict(zip(STORED, row, strict=True)) for row in theirs.values_list(*STORED)]
    for row in from_create:
        row["expert_id"] = expert.pk
    assert as_stored == from_create
    # The fields left out take their defaults; auto_now_add the time of writing.
    assert {(p.run_id, p.decided_at, p.decline_reason) for p in mine} == {(None, None, "")}
    assert all(before <= p.created_at <= timezone.now() for p in mine)
    assert all(before <= p.status_changed_at <= timezone.now() for p in mine)


def test_insert_values_takes_each_fields_default_when_left_out():
    support_request = SupportRequestFactory()
    rows = [(support_request.pk, RequestStatus.SUBMITTED, f"reason {n}") for n in range(600)]

    bulk.insert_values(StatusChange, ("request_id", "to_status", "reason"), rows)

    stored = StatusChange.objects.filter(request=support_request)
    assert sorted(stored.values_list("reason", flat=True)) == sorted(r for *_, r in rows)
    assert set(stored.values_list("from_status", "changed_by_id")) == {("", None)}


def test_insert_values_refuses_a_row_of_the_wrong_width():
    support_request = SupportRequestFactory()
    rows = [(support_request.pk, RequestStatus.SUBMITTED, "x")] * bulk.COPY_FROM_ROWS
    rows.append((support_request.pk, RequestStatus.SUBMITTED))

    with pytest.raises(ValueError, match="zip"):
        bulk.insert_values(StatusChange, ("request_id", "to_status", "reason"), rows)


def test_insert_values_of_nothing_writes_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk.insert_values(StatusChange, ("request_id",), []) == 0


@postgres_only("COPY is PostgreSQL's")
def test_insert_values_streams_a_large_batch_in_one_copy(django_assert_num_queries):
    support_request = SupportRequestFactory()
    rows = [(support_request.pk, RequestStatus.PROPOSED, "r")] * (bulk.COPY_FROM_ROWS * 3)

    # The COPY runs on the connection outside Django's query log: no INSERT, no id query.
    with django_assert_num_queries(0):
        bulk.insert_values(StatusChange, ("request_id", "to_status", "reason"), rows)

    assert StatusChange.objects.filter(request=support_request).count() == len(rows)


def test_pk_batches_select_every_id_given():
    requests = [SupportRequestFactory() for _ in range(5)]
    ids = [r.pk for r in requests[1:4]] + [np.int64(requests[4].pk)]

    found = set()
    for batch in bulk.pk_batches(ids):
        found.update(type(requests[0]).objects.filter(pk__in=batch).values_list("pk", flat=True))

    assert found == {r.pk for r in requests[1:]}


def test_int_array_is_one_array_literal_of_integers():
    assert bulk.int_array([3, np.int64(1), 20]) == "{3,1,20}"
    assert bulk.int_array([]) == "{}"
    with pytest.raises(ValueError, match="invalid literal"):
        bulk.int_array(["1,2"])

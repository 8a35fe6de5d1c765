"""The support request lifecycle: the table, the transition service, the API actions, the
history, and what happens when transitions race."""

import threading
import time
from itertools import product

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.enums import Role
from config.errors import ConflictError
from exchange import lifecycle, services
from exchange.enums import RequestStatus
from exchange.models import StatusChange, SupportRequest
from scheduling import services as scheduling_services
from tests.factories import (
    MembershipFactory,
    SchoolFactory,
    SupportRequestFactory,
    TrustCoordinatorMembershipFactory,
    UserFactory,
)
from tests.postgres import Call, race, racing

S = RequestStatus
STATUSES = list(S.values)
ALL_PAIRS = list(product(STATUSES, STATUSES))
LEGAL_PAIRS = [(old, new) for old, new in ALL_PAIRS if new in lifecycle.TRANSITIONS[old]]
ILLEGAL_PAIRS = [(old, new) for old, new in ALL_PAIRS if new not in lifecycle.TRANSITIONS[old]]

# The lifecycle written out a second time, independently of lifecycle.py, so that a change
# to the table is a deliberate change to this spec too.
EXPECTED_NEXT = {
    "draft": {"submitted", "cancelled"},
    "submitted": {"matching", "proposed", "unmatched", "cancelled"},
    "matching": {"proposed", "unmatched", "cancelled"},
    "proposed": {"accepted", "matching", "unmatched", "cancelled"},
    "accepted": {"scheduled", "matching", "cancelled"},
    "scheduled": {"completed", "accepted", "cancelled"},
    "completed": {"closed"},
    "unmatched": {"matching", "proposed", "cancelled", "closed"},
    "closed": set(),
    "cancelled": set(),
}

# The API actions and the status each one moves to.
ACTIONS = {"submit": S.SUBMITTED, "cancel": S.CANCELLED, "close": S.CLOSED}


def pair_id(pair: tuple[str, str]) -> str:
    return f"{pair[0]}->{pair[1]}"


def request_in(status: str, **kwargs) -> SupportRequest:
    support_request = SupportRequestFactory(**kwargs)
    SupportRequest.objects.filter(pk=support_request.pk).update(status=status)
    support_request.refresh_from_db()
    return support_request


def history_of(support_request: SupportRequest) -> list[tuple[str, str]]:
    return list(
        StatusChange.objects.filter(request=support_request)
        .order_by("id")
        .values_list("from_status", "to_status")
    )


@pytest.fixture
def senco(db):
    return MembershipFactory(role=Role.SENCO, school=SchoolFactory(), user__full_name="Priya Shah")


# --- the table -------------------------------------------------------------------------------


def test_every_status_has_an_entry_in_the_table():
    assert set(lifecycle.TRANSITIONS) == set(STATUSES)
    for next_statuses in lifecycle.TRANSITIONS.values():
        assert next_statuses <= set(STATUSES)


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS, ids=map(pair_id, ALL_PAIRS))
def test_can_move_agrees_with_the_transitions_table(from_status, to_status):
    expected = to_status in EXPECTED_NEXT[from_status]

    assert (to_status in lifecycle.TRANSITIONS[from_status]) is expected
    assert lifecycle.can_move(from_status, to_status) is expected


@pytest.mark.parametrize("status", STATUSES)
def test_allowed_next_is_the_sorted_table_entry(status):
    assert lifecycle.allowed_next(status) == sorted(EXPECTED_NEXT[status])


@pytest.mark.parametrize("terminal", [S.CLOSED, S.CANCELLED])
def test_closed_and_cancelled_are_terminal(terminal):
    assert lifecycle.TRANSITIONS[terminal] == frozenset()
    assert lifecycle.allowed_next(terminal) == []
    assert not any(lifecycle.can_move(terminal, status) for status in STATUSES)


def test_no_status_moves_to_itself():
    assert not any(lifecycle.can_move(status, status) for status in STATUSES)


def test_only_drafts_are_editable():
    assert set(lifecycle.EDITABLE) == {"draft"}


# --- the service -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), LEGAL_PAIRS, ids=map(pair_id, LEGAL_PAIRS))
def test_legal_transition_moves_the_request_and_records_one_change(from_status, to_status):
    support_request = request_in(from_status)
    user = UserFactory()
    before = timezone.now()

    moved = services.support_request_transition(
        support_request_id=support_request.pk, to_status=to_status, by=user, reason="Because."
    )

    after = timezone.now()
    support_request.refresh_from_db()
    assert moved.pk == support_request.pk
    assert moved.status == support_request.status == to_status
    assert before <= support_request.status_changed_at <= after
    [change] = StatusChange.objects.filter(request=support_request)
    assert (change.from_status, change.to_status) == (from_status, to_status)
    assert change.changed_by == user
    assert change.reason == "Because."
    assert change.changed_at is not None
    assert before <= change.changed_at <= after
    if to_status == S.SUBMITTED:
        assert before <= support_request.submitted_at <= after
    else:
        assert support_request.submitted_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("from_status", "to_status"), ILLEGAL_PAIRS, ids=map(pair_id, ILLEGAL_PAIRS)
)
def test_illegal_transition_raises_conflict_and_changes_nothing(from_status, to_status):
    support_request = request_in(from_status)

    with pytest.raises(ConflictError) as raised:
        services.support_request_transition(
            support_request_id=support_request.pk,
            to_status=to_status,
            by=UserFactory(),
            reason="Because.",
        )

    assert raised.value.status_code == 409
    assert raised.value.code == "illegal_transition"
    assert raised.value.details == {
        "current_status": from_status,
        "allowed": sorted(EXPECTED_NEXT[from_status]),
    }
    unchanged = SupportRequest.objects.get(pk=support_request.pk)
    assert unchanged.status == from_status
    assert unchanged.status_changed_at == support_request.status_changed_at
    assert unchanged.submitted_at is None
    assert not StatusChange.objects.filter(request=support_request).exists()


# --- many at once: the matching round's move ---------------------------------------------------


@pytest.mark.django_db
def test_a_bulk_move_records_the_same_history_as_one_transition_per_request():
    waiting = [request_in(S.SUBMITTED), request_in(S.MATCHING), request_in(S.UNMATCHED)]
    now = timezone.now()

    moved = services.support_requests_transition_bulk(
        statuses={r.pk: r.status for r in waiting},
        to_status=S.PROPOSED,
        reason="Proposed by matching round #7.",
        now=now,
    )

    assert moved == 3
    for support_request in waiting:
        fresh = SupportRequest.objects.get(pk=support_request.pk)
        assert (fresh.status, fresh.status_changed_at) == (S.PROPOSED, now)
        [change] = StatusChange.objects.filter(request=support_request)
        assert (change.from_status, change.to_status, change.reason) == (
            support_request.status,
            S.PROPOSED,
            "Proposed by matching round #7.",
        )
        assert change.changed_by is None


@pytest.mark.django_db
def test_a_bulk_move_from_a_status_the_lifecycle_forbids_is_refused_and_moves_nothing():
    legal, illegal = request_in(S.SUBMITTED), request_in(S.DRAFT)

    with pytest.raises(ConflictError) as raised, transaction.atomic():
        services.support_requests_transition_bulk(
            statuses={legal.pk: S.SUBMITTED, illegal.pk: S.DRAFT},
            to_status=S.PROPOSED,
            reason="Round.",
            now=timezone.now(),
        )

    assert raised.value.code == "illegal_transition"
    assert raised.value.details["current_status"] == S.DRAFT
    assert set(SupportRequest.objects.values_list("status", flat=True)) == {S.SUBMITTED, S.DRAFT}
    assert not StatusChange.objects.exists()


@pytest.mark.django_db
def test_a_bulk_move_of_a_request_no_longer_in_the_status_read_moves_nothing():
    support_request = request_in(S.SUBMITTED)
    stale = {support_request.pk: S.MATCHING}  # read as matching; it is submitted

    with pytest.raises(ConflictError) as raised, transaction.atomic():
        services.support_requests_transition_bulk(
            statuses=stale, to_status=S.PROPOSED, reason="Round.", now=timezone.now()
        )

    assert raised.value.code == "illegal_transition"
    assert SupportRequest.objects.get(pk=support_request.pk).status == S.SUBMITTED
    assert not StatusChange.objects.exists()


@pytest.mark.django_db
def test_from_statuses_narrows_the_statuses_a_transition_may_start_from():
    support_request = request_in(S.PROPOSED)

    with pytest.raises(ConflictError) as raised:
        services.support_request_transition(
            support_request_id=support_request.pk,
            to_status=S.MATCHING,
            by=None,
            from_statuses=[S.ACCEPTED],
        )

    assert raised.value.details == {
        "current_status": "proposed",
        "allowed": ["accepted", "cancelled", "matching", "unmatched"],
    }
    assert SupportRequest.objects.get(pk=support_request.pk).status == S.PROPOSED
    moved = services.support_request_transition(
        support_request_id=support_request.pk,
        to_status=S.MATCHING,
        by=None,
        from_statuses=[S.PROPOSED, S.ACCEPTED],
    )
    assert moved.status == S.MATCHING
    assert history_of(support_request) == [("proposed", "matching")]


@pytest.mark.django_db
def test_a_full_journey_leaves_a_consistent_history():
    support_request = SupportRequestFactory()
    journey = [
        S.SUBMITTED,
        S.MATCHING,
        S.PROPOSED,
        S.MATCHING,
        S.PROPOSED,
        S.ACCEPTED,
        S.SCHEDULED,
        S.ACCEPTED,
        S.SCHEDULED,
        S.COMPLETED,
        S.CLOSED,
    ]

    for to_status in journey:
        services.support_request_transition(
            support_request_id=support_request.pk, to_status=to_status, by=None
        )

    assert history_of(support_request) == list(zip([S.DRAFT, *journey[:-1]], journey, strict=True))
    assert SupportRequest.objects.get(pk=support_request.pk).status == S.CLOSED


@pytest.mark.django_db
def test_submitting_twice_in_a_row_the_second_is_refused_naming_submitted():
    """The sequential form of a lost race: the second caller read the request after the
    first had moved it."""
    support_request = SupportRequestFactory()
    first_user, second_user = UserFactory(), UserFactory()
    first = services.support_request_transition(
        support_request_id=support_request.pk, to_status=S.SUBMITTED, by=first_user
    )
    submitted_at = first.submitted_at

    with pytest.raises(ConflictError) as raised:
        services.support_request_transition(
            support_request_id=support_request.pk, to_status=S.SUBMITTED, by=second_user
        )

    assert raised.value.status_code == 409
    assert raised.value.code == "illegal_transition"
    assert raised.value.details == {
        "current_status": "submitted",
        "allowed": ["cancelled", "matching", "proposed", "unmatched"],
    }
    support_request.refresh_from_db()
    assert support_request.status == S.SUBMITTED
    assert support_request.submitted_at == submitted_at
    [change] = StatusChange.objects.filter(request=support_request)
    assert change.changed_by == first_user


# --- the API ---------------------------------------------------------------------------------

ACTION_CASES = [(action, status) for action in ACTIONS for status in STATUSES]


def action_case_id(case: tuple[str, str]) -> str:
    return f"{case[0]}-from-{case[1]}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "from_status"), ACTION_CASES, ids=map(action_case_id, ACTION_CASES)
)
def test_senco_moves_a_request_through_the_api_or_gets_409(client_for, senco, action, from_status):
    support_request = request_in(from_status, school=senco.school)
    to_status = ACTIONS[action]

    response = client_for(senco.user).post(
        f"/api/v1/requests/{support_request.pk}/{action}", {"reason": "Agreed with staff."}
    )

    stored = SupportRequest.objects.get(pk=support_request.pk)
    if lifecycle.can_move(from_status, to_status):
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["id"] == support_request.pk
        assert body["status"] == to_status
        assert stored.status == to_status
        [change] = StatusChange.objects.filter(request=support_request)
        assert (change.from_status, change.to_status) == (from_status, to_status)
        assert change.changed_by == senco.user
        # Every SENCO action records the reason its request body documents.
        assert change.reason == "Agreed with staff."
        if action == "submit":
            assert body["submitted_at"] is not None
    else:
        assert response.status_code == 409, response.content
        body = response.json()
        assert body["status"] == 409
        assert body["code"] == "illegal_transition"
        assert body["message"]
        assert body["fields"] == {}
        assert body["details"] == {
            "current_status": from_status,
            "allowed": sorted(EXPECTED_NEXT[from_status]),
        }
        assert stored.status == from_status
        assert not StatusChange.objects.filter(request=support_request).exists()


@pytest.mark.django_db
def test_history_lists_the_changes_in_order_with_reasons_and_names_for_the_school(
    client_for, senco
):
    support_request = SupportRequestFactory(school=senco.school)
    client = client_for(senco.user)
    base = f"/api/v1/requests/{support_request.pk}"
    assert client.post(f"{base}/submit").status_code == 200
    services.support_request_transition(
        support_request_id=support_request.pk,
        to_status=S.MATCHING,
        by=None,
        reason="Matching started.",
    )
    assert client.post(f"{base}/cancel", {"reason": "No longer needed."}).status_code == 200

    response = client.get(f"{base}/history")

    assert response.status_code == 200, response.content
    history = response.json()
    assert [
        (row["from_status"], row["to_status"], row["reason"], row["changed_by"]) for row in history
    ] == [
        ("draft", "submitted", "", "Priya Shah"),
        ("submitted", "matching", "Matching started.", None),
        ("matching", "cancelled", "No longer needed.", "Priya Shah"),
    ]
    changed_at = [row["changed_at"] for row in history]
    assert all(changed_at)
    assert changed_at == sorted(changed_at)


@pytest.mark.django_db
def test_history_shows_the_email_when_the_staff_member_has_no_name(client_for, senco):
    senco.user.full_name = ""
    senco.user.save(update_fields=["full_name"])
    support_request = SupportRequestFactory(school=senco.school)
    client = client_for(senco.user)
    assert client.post(f"/api/v1/requests/{support_request.pk}/submit").status_code == 200

    [row] = client.get(f"/api/v1/requests/{support_request.pk}/history").json()

    assert row["changed_by"] == senco.user.email


@pytest.mark.django_db
def test_history_hides_who_made_each_change_from_the_trust_coordinator(client_for, senco):
    """Data protection: staff names are shown only to the request's own school."""
    coordinator = TrustCoordinatorMembershipFactory()
    senco.school.trust = coordinator.trust
    senco.school.save(update_fields=["trust"])
    support_request = SupportRequestFactory(school=senco.school)
    services.support_request_submit(support_request=support_request, by=senco.user)
    scheduling_services.support_request_cancel(
        support_request=support_request, by=senco.user, reason="No longer needed."
    )

    response = client_for(coordinator.user).get(f"/api/v1/requests/{support_request.pk}/history")

    assert response.status_code == 200, response.content
    history = response.json()
    assert [
        (row["from_status"], row["to_status"], row["reason"], row["changed_by"]) for row in history
    ] == [
        ("draft", "submitted", "", None),
        ("submitted", "cancelled", "No longer needed.", None),
    ]
    assert all(row["changed_at"] for row in history)
    assert "Priya Shah" not in response.content.decode()
    assert senco.user.email not in response.content.decode()
    own = client_for(senco.user).get(f"/api/v1/requests/{support_request.pk}/history").json()
    assert [row["changed_by"] for row in own] == ["Priya Shah", "Priya Shah"]


@pytest.mark.django_db
def test_submitting_twice_through_the_api_the_second_gets_409(client_for, senco):
    support_request = SupportRequestFactory(school=senco.school)
    client = client_for(senco.user)
    url = f"/api/v1/requests/{support_request.pk}/submit"

    first, second = client.post(url), client.post(url)

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["details"] == {
        "current_status": "submitted",
        "allowed": ["cancelled", "matching", "proposed", "unmatched"],
    }
    assert history_of(support_request) == [("draft", "submitted")]


# --- concurrency (PostgreSQL) ----------------------------------------------------------------

RACERS = 8


def race_moves(user, paths: list[str]) -> list[tuple[str, int, dict]]:
    """POSTs every ``/requests/{id}/<action>`` path at once, one thread each, and returns
    ``(action, status, body)`` per call."""
    answers = race([Call(user, path, {"reason": "Racing."}) for path in paths], timeout=10)
    return [(a.call.path.rsplit("/", 1)[1], a.status, a.body) for a in answers]


def assert_consistent_history(support_request: SupportRequest, wins: int) -> list[StatusChange]:
    changes = list(StatusChange.objects.filter(request=support_request).order_by("id"))
    assert len(changes) == wins
    previous = S.DRAFT
    for change in changes:
        assert change.from_status == previous
        assert lifecycle.can_move(change.from_status, change.to_status)
        previous = change.to_status
    assert SupportRequest.objects.get(pk=support_request.pk).status == previous
    return changes


@pytest.mark.parametrize("action", ["submit", "cancel"])
@racing
def test_concurrent_identical_transitions_one_wins_the_rest_get_409(action):
    senco = MembershipFactory(role=Role.SENCO, school=SchoolFactory())
    support_request = SupportRequestFactory(school=senco.school)
    path = f"/api/v1/requests/{support_request.pk}/{action}"

    results = race_moves(senco.user, [path] * RACERS)

    statuses = sorted(status for _, status, _ in results)
    assert statuses == [200] + [409] * (RACERS - 1)
    target = ACTIONS[action]
    for _, status, body in results:
        if status == 409:
            assert body["code"] == "illegal_transition"
            assert body["details"] == {
                "current_status": target,
                "allowed": sorted(EXPECTED_NEXT[target]),
            }
    [change] = assert_consistent_history(support_request, wins=1)
    assert (change.from_status, change.to_status, change.changed_by_id) == (
        "draft",
        target,
        senco.user.pk,
    )


@racing
def test_concurrent_submit_and_cancel_on_a_draft_stay_consistent():
    """Half the racers submit and half cancel a draft. Each path can win at most once:
    cancel first ends it; submit first still lets one cancel follow (submitted → cancelled)
    but never a second submit. The losers get 409, nobody a 500, and the history is a chain."""
    senco = MembershipFactory(role=Role.SENCO, school=SchoolFactory())
    for _ in range(5):  # a few rounds, so both orders are likely to be seen
        support_request = SupportRequestFactory(school=senco.school)
        base = f"/api/v1/requests/{support_request.pk}"

        results = race_moves(senco.user, [f"{base}/submit", f"{base}/cancel"] * (RACERS // 2))

        assert {status for _, status, _ in results} <= {200, 409}
        wins = [action for action, status, _ in results if status == 200]
        assert wins.count("submit") <= 1
        assert wins.count("cancel") <= 1
        assert wins
        for _, status, body in results:
            if status == 409:
                assert body["code"] == "illegal_transition"
                assert body["details"]["current_status"] in {"submitted", "cancelled"}
        changes = assert_consistent_history(support_request, wins=len(wins))
        if "cancel" in wins and "submit" in wins:
            assert [(c.from_status, c.to_status) for c in changes] == [
                ("draft", "submitted"),
                ("submitted", "cancelled"),
            ]


def wait_until_blocked(backend_pid: int, timeout: float = 10) -> None:
    """Waits until the PostgreSQL backend ``backend_pid`` is waiting for a lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT cardinality(pg_blocking_pids(%s))", [backend_pid])
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    pytest.fail("the losing transition never waited for the winner's row lock")


@pytest.mark.parametrize("winner", [S.SUBMITTED, S.CANCELLED])
@racing
def test_a_transition_that_read_the_old_status_and_lost_the_race_gets_409(winner):
    """Forces the window between the service's read and its conditional update: the loser
    reads ``draft`` while the winner's move is uncommitted, then its update waits for the
    winner's row lock and, once the winner commits, matches no row."""
    support_request = SupportRequestFactory()
    winner_user, loser_user = UserFactory(), UserFactory()
    outcome: dict[str, object] = {}
    pid_known = threading.Event()

    def lose() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                outcome["pid"] = cursor.fetchone()[0]
            pid_known.set()
            services.support_request_transition(
                support_request_id=support_request.pk, to_status=S.SUBMITTED, by=loser_user
            )
        except ConflictError as error:
            outcome["error"] = error
        except BaseException as error:  # reported below
            outcome["crash"] = error
        else:
            outcome["moved"] = True
        finally:
            pid_known.set()
            connection.close()

    loser = threading.Thread(target=lose)
    with transaction.atomic():
        services.support_request_transition(
            support_request_id=support_request.pk, to_status=winner, by=winner_user
        )
        loser.start()
        assert pid_known.wait(timeout=10)
        assert "pid" in outcome, outcome
        wait_until_blocked(outcome["pid"])
    loser.join(timeout=10)

    assert not loser.is_alive()
    assert "crash" not in outcome, outcome
    assert "moved" not in outcome
    error = outcome["error"]
    assert isinstance(error, ConflictError)
    assert error.code == "illegal_transition"
    assert error.details == {
        "current_status": winner,
        "allowed": sorted(EXPECTED_NEXT[winner]),
    }
    assert "while this was being done" in error.message
    support_request.refresh_from_db()
    assert support_request.status == winner
    [change] = StatusChange.objects.filter(request=support_request)
    assert (change.from_status, change.to_status, change.changed_by) == (
        "draft",
        winner,
        winner_user,
    )

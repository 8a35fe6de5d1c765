"""Proposals over the API: the school reads the experts proposed for its request with their
explanations; the expert reads their inbox and accepts or declines."""

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.enums import Role
from config.celery import app as celery_app
from exchange import services as exchange_services
from exchange.models import ExpertProfile, PreferredWindow, SupportRequest
from matching import services
from matching.models import Proposal
from matching.selectors import local_today
from tests.factories import (
    ExpertProfileFactory,
    MembershipFactory,
    SchoolFactory,
    SpecialSchoolFactory,
    SupportRequestFactory,
    TrustCoordinatorMembershipFactory,
    TrustFactory,
    UserFactory,
    topic,
)

pytestmark = pytest.mark.django_db

BREAKDOWN_KEYS = {"criterion", "label", "weight", "value", "points", "explanation"}


@pytest.fixture
def eager_tasks():
    """Tasks the outbox publishes run in-process (under PostgreSQL + Redis they would not)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def make_expert(level: str = "lead", **fields) -> ExpertProfile:
    """A verified primary ASD expert 2 km from the requesting schools, visits and video."""
    values = {
        "bio": f"ASD {level}.",
        "is_verified": True,
        "offers_observation_visit": True,
        "offers_video_call": True,
        "serves_primary": True,
        "max_travel_km": 30,
        "sessions_per_week": 1,
        "sessions_per_month": 4,
        "safeguarding_expires_on": local_today() + timedelta(days=365),
        **fields,
    }
    return ExpertProfileFactory(
        school=SpecialSchoolFactory(easting=552000, northing=280000),
        specialisms=[("ASD", level)],
        **values,
    )


def make_request(school=None, **fields) -> SupportRequest:
    """A submitted primary ASD request for a visit (video acceptable)."""
    draft = SupportRequestFactory(
        school=school or SchoolFactory(easting=550000, northing=280000),
        phase="primary",
        format="observation_visit",
        video_acceptable=True,
        **fields,
    )
    return exchange_services.support_request_submit(support_request=draft, by=draft.created_by)


def propose(support_request: SupportRequest) -> list[Proposal]:
    return services.proposals_create_for_request(support_request_id=support_request.pk)


def count_queries(client, path: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


@pytest.fixture
def school(db):
    return SchoolFactory(easting=550000, northing=280000, trust=TrustFactory())


@pytest.fixture
def senco(school):
    return MembershipFactory(role=Role.SENCO, school=school).user


@pytest.fixture
def experts(db):
    return [make_expert(level) for level in ("lead", "specialist", "practitioner")]


@pytest.fixture
def proposed_request(school, experts):
    support_request = make_request(school)
    propose(support_request)
    return support_request


def proposal_of(expert: ExpertProfile, support_request: SupportRequest) -> Proposal:
    return Proposal.objects.get(expert=expert, request=support_request)


# --- the school reads the proposals ---------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SENCO, Role.SCHOOL_STAFF])
def test_the_schools_staff_see_the_proposed_experts_best_first_with_explanations(
    client_for, school, experts, proposed_request, role
):
    user = MembershipFactory(role=role, school=school).user

    response = client_for(user).get(f"/api/v1/requests/{proposed_request.pk}/proposals")

    assert response.status_code == 200, response.content
    body = response.json()
    stored = list(Proposal.objects.filter(request=proposed_request).order_by("rank"))
    assert [row["id"] for row in body] == [p.pk for p in stored]
    assert [row["expert"]["id"] for row in body] == [e.pk for e in experts]
    assert [row["rank"] for row in body] == [1, 2, 3]
    for row, proposal, expert in zip(body, stored, experts, strict=True):
        assert row["score"] == proposal.score
        assert row["summary"] == proposal.summary
        assert row["status"] == "proposed"
        assert row["policy_version"] == 1
        assert row["delivery_format"] == "observation_visit"
        assert row["distance_km"] == 2.0
        assert row["expert"] == {
            "id": expert.pk,
            "school": {"urn": expert.school.urn, "name": expert.school.name, "kind": "special"},
            "bio": expert.bio,
        }
        assert row["breakdown"] == proposal.breakdown
        assert all(set(item) == BREAKDOWN_KEYS for item in row["breakdown"])
        assert row["request"]["id"] == proposed_request.pk
    assert body[0]["breakdown"][0]["explanation"] == "covers ASD at lead level"
    assert body[0]["score"] > body[1]["score"] > body[2]["score"]


def test_another_schools_staff_get_404_for_the_proposals(client_for, proposed_request):
    outsider = MembershipFactory(role=Role.SENCO, school=SchoolFactory()).user

    response = client_for(outsider).get(f"/api/v1/requests/{proposed_request.pk}/proposals")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_trust_coordinator_of_the_schools_trust_reads_the_proposals(
    client_for, school, proposed_request
):
    coordinator = TrustCoordinatorMembershipFactory(trust=school.trust).user
    other_coordinator = TrustCoordinatorMembershipFactory(trust=TrustFactory()).user
    path = f"/api/v1/requests/{proposed_request.pk}/proposals"

    response = client_for(coordinator).get(path)

    assert response.status_code == 200
    assert len(response.json()) == 3
    assert client_for(other_coordinator).get(path).status_code == 404


# --- the expert's inbox ---------------------------------------------------------------------


def test_an_expert_lists_only_the_proposals_made_to_them_with_the_request(client_for):
    mine = make_expert("lead")
    someone_else = make_expert("specialist")
    first, second = make_request(title="Year 4 transitions"), make_request()
    propose(first)  # both experts are proposed for both requests
    propose(second)
    ExpertProfile.objects.filter(pk=mine.pk).update(is_paused=True)
    propose(make_request())  # only the other expert now

    response = client_for(mine.user).get("/api/v1/proposals")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    mine_ids = set(Proposal.objects.filter(expert=mine).values_list("pk", flat=True))
    assert {row["id"] for row in body["results"]} == mine_ids
    assert {row["request"]["id"] for row in body["results"]} == {first.pk, second.pk}
    assert all(row["expert"]["id"] == mine.pk for row in body["results"])
    by_request = {row["request"]["id"]: row["request"] for row in body["results"]}
    assert by_request[first.pk]["title"] == "Year 4 transitions"
    assert by_request[first.pk]["status"] == "proposed"
    assert by_request[first.pk]["needs"] == ["ASD"]
    assert Proposal.objects.filter(expert=someone_else).count() == 3


def test_an_expert_filters_their_inbox_by_status(client_for):
    expert = make_expert()
    open_request, accepted_request = make_request(), make_request()
    propose(open_request)
    propose(accepted_request)
    services.proposal_accept(proposal=proposal_of(expert, accepted_request), by=expert.user)
    client = client_for(expert.user)

    proposed = client.get("/api/v1/proposals", {"status": "proposed"}).json()
    accepted = client.get("/api/v1/proposals", {"status": "accepted"}).json()

    assert [row["request"]["id"] for row in proposed["results"]] == [open_request.pk]
    assert [row["request"]["id"] for row in accepted["results"]] == [accepted_request.pk]


def test_a_declined_proposal_leaves_the_experts_inbox_and_stays_with_the_school(client_for):
    expert = make_expert()
    declined_request = make_request()
    propose(declined_request)
    proposal = proposal_of(expert, declined_request)
    expert_client = client_for(expert.user)

    answer = expert_client.post(
        f"/api/v1/proposals/{proposal.pk}/decline", {"reason": "Not this term."}
    )
    inbox = expert_client.get("/api/v1/proposals", {"status": "declined"}).json()
    senco = MembershipFactory(school=declined_request.school, role=Role.SENCO).user
    school = client_for(senco).get(f"/api/v1/proposals/{proposal.pk}")

    # The answer shows its result once; after that the request's text is no longer theirs.
    assert (answer.status_code, answer.json()["status"]) == (200, "declined")
    assert inbox["results"] == []
    assert expert_client.get(f"/api/v1/proposals/{proposal.pk}").status_code == 404
    assert school.json()["decline_reason"] == "Not this term."


def test_an_expert_reads_a_request_proposed_to_them_but_not_others(client_for):
    expert = make_expert()
    theirs = make_request()
    propose(theirs)
    other = SupportRequestFactory()
    client = client_for(expert.user)

    own = client.get(f"/api/v1/requests/{theirs.pk}")
    foreign = client.get(f"/api/v1/requests/{other.pk}")

    assert own.status_code == 200
    assert own.json()["id"] == theirs.pk
    assert foreign.status_code == 404
    assert client.get(f"/api/v1/requests/{other.pk}/proposals").status_code == 404


# --- accept ---------------------------------------------------------------------------------


def test_the_expert_accepts_and_the_request_is_theirs(client_for, experts, proposed_request):
    chosen = proposal_of(experts[1], proposed_request)

    response = client_for(experts[1].user).post(f"/api/v1/proposals/{chosen.pk}/accept")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["status"]) == (chosen.pk, "accepted")
    assert body["decided_at"] is not None
    assert body["request"]["status"] == "accepted"
    statuses = dict(
        Proposal.objects.filter(request=proposed_request).values_list("expert_id", "status")
    )
    assert statuses == {
        experts[0].pk: "withdrawn",
        experts[1].pk: "accepted",
        experts[2].pk: "withdrawn",
    }
    assert SupportRequest.objects.get(pk=proposed_request.pk).status == "accepted"


def test_after_the_school_cancels_an_accepted_request_its_expert_takes_another(client_for):
    expert = make_expert(sessions_per_month=1)
    support_request = make_request()
    senco = MembershipFactory(role=Role.SENCO, school=support_request.school).user
    [first] = propose(support_request)
    assert client_for(expert.user).post(f"/api/v1/proposals/{first.pk}/accept").status_code == 200

    cancelled = client_for(senco).post(
        f"/api/v1/requests/{support_request.pk}/cancel", {"reason": "No longer needed."}
    )

    assert cancelled.status_code == 200, cancelled.content
    assert Proposal.objects.get(pk=first.pk).status == "withdrawn"
    next_request = make_request()
    [second] = propose(next_request)
    assert second.expert == expert
    accepted = client_for(expert.user).post(f"/api/v1/proposals/{second.pk}/accept")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"


def test_the_school_can_see_a_proposal_but_not_accept_it(
    client_for, senco, experts, proposed_request
):
    proposal = proposal_of(experts[0], proposed_request)

    response = client_for(senco).post(f"/api/v1/proposals/{proposal.pk}/accept")

    assert response.status_code == 403
    assert response.json() == {
        "status": 403,
        "code": "permission_denied",
        "message": "Only the proposed expert can answer a proposal.",
        "fields": {},
        "details": {},
    }
    proposal.refresh_from_db()
    assert proposal.status == "proposed"


def test_an_unrelated_user_gets_404_for_a_proposal(client_for, experts, proposed_request):
    proposal = proposal_of(experts[0], proposed_request)
    client = client_for(UserFactory())

    assert client.post(f"/api/v1/proposals/{proposal.pk}/accept").status_code == 404
    assert client.get(f"/api/v1/proposals/{proposal.pk}").status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == "proposed"


def test_accepting_twice_gets_409_illegal_transition(client_for, experts, proposed_request):
    proposal = proposal_of(experts[0], proposed_request)
    client = client_for(experts[0].user)
    assert client.post(f"/api/v1/proposals/{proposal.pk}/accept").status_code == 200

    response = client.post(f"/api/v1/proposals/{proposal.pk}/accept")

    assert response.status_code == 409
    assert response.json() == {
        "status": 409,
        "code": "illegal_transition",
        "message": "A proposal that is accepted cannot be accepted.",
        "fields": {},
        "details": {"current_status": "accepted"},
    }


def test_accepting_beyond_capacity_gets_409_capacity_full(client_for):
    expert = make_expert(sessions_per_month=2)
    first, second = make_request(), make_request()
    propose(first)
    propose(second)
    client = client_for(expert.user)
    client.post(f"/api/v1/proposals/{proposal_of(expert, first).pk}/accept")
    ExpertProfile.objects.filter(pk=expert.pk).update(sessions_per_month=1)

    response = client.post(f"/api/v1/proposals/{proposal_of(expert, second).pk}/accept")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "capacity_full"
    assert body["details"] == {"accepted": 1, "sessions_per_month": 1}
    assert proposal_of(expert, second).status == "proposed"


# --- decline --------------------------------------------------------------------------------


def test_declining_without_a_reason_gets_400_naming_the_field(
    client_for, experts, proposed_request
):
    proposal = proposal_of(experts[0], proposed_request)

    response = client_for(experts[0].user).post(f"/api/v1/proposals/{proposal.pk}/decline", {})

    assert response.status_code == 400
    body = response.json()
    assert (body["status"], body["code"]) == (400, "invalid")
    assert body["fields"] == {
        "reason": [{"code": "required", "message": "This field is required."}]
    }
    proposal.refresh_from_db()
    assert proposal.status == "proposed"


def test_declining_with_a_reason_proposes_another_expert(
    client_for, django_capture_on_commit_callbacks, eager_tasks, experts, proposed_request
):
    reserve = make_expert("aware")
    proposal = proposal_of(experts[0], proposed_request)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(experts[0].user).post(
            f"/api/v1/proposals/{proposal.pk}/decline", {"reason": "On a course all term."}
        )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["decline_reason"]) == ("declined", "On a course all term.")
    assert body["decline_reason_code"] == "other"  # not given: the default
    live = Proposal.objects.filter(request=proposed_request, status="proposed")
    assert {p.expert_id for p in live} == {experts[1].pk, experts[2].pk, reserve.pk}
    assert SupportRequest.objects.get(pk=proposed_request.pk).status == "proposed"


def test_a_decline_gives_its_reason_coded_and_an_unknown_code_is_refused(
    client_for, experts, proposed_request
):
    proposal = proposal_of(experts[0], proposed_request)
    client = client_for(experts[0].user)
    path = f"/api/v1/proposals/{proposal.pk}/decline"

    unknown = client.post(path, {"reason": "Too far.", "reason_code": "busy"})
    coded = client.post(path, {"reason": "Two hours each way.", "reason_code": "too_far"})

    assert unknown.status_code == 400
    assert unknown.json()["fields"]["reason_code"][0]["code"] == "invalid_choice"
    assert coded.status_code == 200, coded.content
    proposal.refresh_from_db()
    assert (proposal.decline_reason_code, proposal.decline_reason) == (
        "too_far",
        "Two hours each way.",
    )


# --- N+1 guards -----------------------------------------------------------------------------


def detailed_request(index: int) -> SupportRequest:
    """A request at its own school, with needs, topics and preferred windows to render."""
    support_request = make_request(
        SchoolFactory(easting=550000 + index, northing=280000, trust=TrustFactory()),
        needs=["SEMH"],
    )
    support_request.topics.set([topic("sensory-regulation")])
    start = local_today() + timedelta(days=7)
    PreferredWindow.objects.bulk_create(
        PreferredWindow(
            request=support_request,
            date=start + timedelta(days=day),
            start_time=time(9),
            end_time=time(12),
        )
        for day in range(2)
    )
    return support_request


def test_the_expert_inbox_runs_a_fixed_number_of_queries(client_for, django_assert_num_queries):
    expert = make_expert()
    client = client_for(expert.user)
    propose(detailed_request(0))

    one, body = count_queries(client, "/api/v1/proposals")
    assert body["count"] == 1
    for index in (1, 2):
        propose(detailed_request(index))

    with django_assert_num_queries(one):
        response = client.get("/api/v1/proposals")

    body = response.json()
    assert body["count"] == 3
    for row in body["results"]:
        assert row["request"]["needs"] == ["ASD", "SEMH"]
        assert row["request"]["topics"] == ["sensory-regulation"]
        assert len(row["request"]["preferred_windows"]) == 2
        assert len(row["breakdown"]) == 9


def test_the_proposals_of_a_request_run_a_fixed_number_of_queries(
    client_for, django_assert_num_queries, school, senco
):
    make_expert("lead")
    support_request = make_request(school)
    propose(support_request)
    client = client_for(senco)
    path = f"/api/v1/requests/{support_request.pk}/proposals"

    one, body = count_queries(client, path)
    assert len(body) == 1
    make_expert("specialist")
    make_expert("practitioner")
    propose(support_request)  # tops the request up to three

    with django_assert_num_queries(one):
        response = client.get(path)

    body = response.json()
    assert len(body) == 3
    assert len({row["expert"]["school"]["urn"] for row in body}) == 3

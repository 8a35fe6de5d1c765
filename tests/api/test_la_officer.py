"""The local-authority officer, through the API: reads its LA's schools' requests and
sessions, never another LA's, writes nothing, and sees the pupil free text only once the
school shares it. (Every cell of the role table is also checked in ``test_role_table.py``.)"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.access import caller_scope
from accounts.enums import Role
from exchange import selectors, services
from exchange.models import SupportRequest
from exchange.serializers import SupportRequestSerializer
from scheduling import services as scheduling_services
from tests import factories
from tests.api.test_exchange_lists import make_request
from tests.api.test_permission_matrix import REQUEST_BODY
from tests.scheduling.conftest import accepted_request, make_expert

pytestmark = pytest.mark.django_db

API = "/api/v1"
FREE_TEXT = ("context", "tried_so_far", "desired_outcome")


@pytest.fixture
def senco():
    return factories.MembershipFactory(
        role=Role.SENCO, school=factories.SchoolFactory(easting=550000, northing=280000)
    ).user


@pytest.fixture
def school(senco):
    return senco.memberships.get().school


@pytest.fixture
def officer(school):
    return factories.LaOfficerMembershipFactory(local_authority=school.local_authority).user


def free_text(body: dict) -> tuple:
    return tuple(body[field] for field in FREE_TEXT)


def test_an_officer_reads_its_las_requests_without_the_pupil_free_text(client_for, school, officer):
    mine = factories.SupportRequestFactory(school=school)
    factories.SupportRequestFactory()  # another LA's school
    client = client_for(officer)

    [item] = client.get(f"{API}/requests").json()["results"]
    detail = client.get(f"{API}/requests/{mine.pk}").json()

    assert item["id"] == mine.pk
    assert free_text(item) == free_text(detail) == (None, None, None)
    assert (detail["title"], detail["shares_details_with_local_authority"]) == (mine.title, False)


def test_another_las_requests_and_sessions_are_404_to_an_officer(client_for, senco, school):
    scene = accepted_request(make_expert(), senco=senco)
    [offered, *_] = scheduling_services.slots_offer(support_request_id=scene.request.pk)
    elsewhere = factories.LaOfficerMembershipFactory().user
    client = client_for(elsewhere)

    assert client.get(f"{API}/requests").json()["results"] == []
    assert client.get(f"{API}/sessions").json()["results"] == []
    assert client.get(f"{API}/requests/{scene.request.pk}").status_code == 404
    assert client.get(f"{API}/sessions/{offered.pk}").status_code == 404
    assert client.get(f"{API}/requests/{scene.request.pk}/goals").status_code == 404


def test_an_officer_reads_its_las_sessions_without_the_people(client_for, senco, school, officer):
    scene = accepted_request(make_expert(), senco=senco)
    [offered, *_] = scheduling_services.slots_offer(support_request_id=scene.request.pk)

    response = client_for(officer).get(f"{API}/sessions/{offered.pk}")

    assert response.status_code == 200
    body = response.json()
    assert (body["request"], body["request_title"]) == (scene.request.pk, scene.request.title)
    assert (body["expert_name"], body["attendees"], body["video_link"]) == ("", [], "")


def test_the_free_text_shows_once_the_school_shares_it_at_any_status(
    client_for, senco, school, officer
):
    support_request = factories.SupportRequestFactory(school=school, created_by=senco)
    services.support_request_submit(support_request=support_request, by=senco)

    shared = client_for(senco).patch(
        f"{API}/requests/{support_request.pk}",
        {"shares_details_with_local_authority": True},
        format="json",
    )
    detail = client_for(officer).get(f"{API}/requests/{support_request.pk}").json()
    [item] = client_for(officer).get(f"{API}/requests").json()["results"]

    assert shared.status_code == 200, shared.content
    assert shared.json()["status"] == "submitted"
    assert SupportRequest.objects.get(pk=support_request.pk).shares_details_with_local_authority
    expected = (
        support_request.context,
        support_request.tried_so_far,
        support_request.desired_outcome,
    )
    assert free_text(detail) == free_text(item) == expected


def test_status_change_reasons_are_hidden_from_an_officer_until_shared(
    client_for, senco, school, officer
):
    support_request = factories.SupportRequestFactory(school=school, created_by=senco)
    reason = "Raised after the pupil's review meeting."
    services.support_request_submit(support_request=support_request, by=senco, reason=reason)
    history = f"{API}/requests/{support_request.pk}/history"

    hidden = client_for(officer).get(history).json()
    own = client_for(senco).get(history).json()
    SupportRequest.objects.filter(pk=support_request.pk).update(
        shares_details_with_local_authority=True
    )
    shared = client_for(officer).get(history).json()

    assert [(c["to_status"], c["reason"]) for c in hidden] == [("submitted", None)]
    assert [c["reason"] for c in own] == [c["reason"] for c in shared] == [reason]


def test_a_school_shares_from_the_start_and_can_stop_sharing(client_for, senco, officer):
    created = client_for(senco).post(
        f"{API}/requests", {**REQUEST_BODY, "shares_details_with_local_authority": True}
    )
    pk = created.json()["id"]
    before = client_for(officer).get(f"{API}/requests/{pk}").json()

    client_for(senco).patch(
        f"{API}/requests/{pk}", {"shares_details_with_local_authority": False}, format="json"
    )
    after = client_for(officer).get(f"{API}/requests/{pk}").json()

    assert created.status_code == 201
    assert before["context"] == REQUEST_BODY["context"]
    assert free_text(after) == (None, None, None)


def test_past_the_draft_only_the_sharing_flag_changes_and_a_mixed_patch_stores_nothing(
    client_for, senco, school
):
    support_request = factories.SupportRequestFactory(school=school, created_by=senco)
    services.support_request_submit(support_request=support_request, by=senco)

    response = client_for(senco).patch(
        f"{API}/requests/{support_request.pk}",
        {"shares_details_with_local_authority": True, "title": "Changed"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "not_editable"
    stored = SupportRequest.objects.get(pk=support_request.pk)
    assert (stored.title, stored.shares_details_with_local_authority) == (
        support_request.title,
        False,
    )


def test_goal_wording_is_hidden_from_an_officer_until_shared(client_for, senco, school, officer):
    scene = accepted_request(make_expert(), senco=senco)
    path = f"{API}/requests/{scene.request.pk}/goals"
    goal = client_for(senco).post(
        path,
        {"description": "Calmer transitions", "expected_outcome": "Prompt only.", "baseline": -1},
    )
    hidden = client_for(officer).get(path).json()
    SupportRequest.objects.filter(pk=scene.request.pk).update(
        shares_details_with_local_authority=True
    )
    shown = client_for(officer).get(f"{path}/{goal.json()['id']}").json()

    assert goal.status_code == 201, goal.content
    assert [(g["description"], g["expected_outcome"], g["baseline"]) for g in hidden] == [
        (None, None, -1)
    ]
    assert (shown["description"], shown["expected_outcome"]) == (
        "Calmer transitions",
        "Prompt only.",
    )


def test_an_officer_who_is_also_the_schools_staff_reads_the_free_text(client_for, school, officer):
    factories.MembershipFactory(user=officer, school=school, role=Role.SCHOOL_STAFF)
    support_request = factories.SupportRequestFactory(school=school)

    body = client_for(officer).get(f"{API}/requests/{support_request.pk}").json()

    assert body["context"] == support_request.context


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("patch", "", {"title": "Changed"}),
        ("patch", "", {"shares_details_with_local_authority": True}),
        ("delete", "", None),
        ("post", "/submit", {}),
        ("post", "/cancel", {"reason": "No longer needed."}),
        ("post", "/goals", {"description": "d", "expected_outcome": "e", "baseline": -1}),
        ("post", "/confidence", {"rating": 2}),
    ],
)
def test_every_write_on_its_las_request_is_403_to_an_officer_and_changes_nothing(
    client_for, school, officer, method, suffix, body
):
    support_request = factories.SupportRequestFactory(school=school)

    response = getattr(client_for(officer), method)(
        f"{API}/requests/{support_request.pk}{suffix}", body, format="json"
    )

    assert response.status_code == 403, response.content
    stored = SupportRequest.objects.get(pk=support_request.pk)
    assert (stored.title, stored.status, stored.shares_details_with_local_authority) == (
        support_request.title,
        "draft",
        False,
    )
    assert not stored.goals.exists()


def test_the_lean_list_and_the_serializer_hide_the_same_fields(client_for, school, officer):
    # The list is built from rows (exchange/pages.py), the schema's serializer from
    # instances: both apply ``access.hides_pupil_details``.
    factories.SupportRequestFactory(school=school, shares_details_with_local_authority=True)
    factories.SupportRequestFactory(school=school)
    visible = selectors.support_requests_visible_to(user=officer).order_by("-created_at", "-id")
    scope = caller_scope(user=officer)

    expected = SupportRequestSerializer(visible, many=True, context={"scope": scope}).data
    body = client_for(officer).get(f"{API}/requests").json()

    assert body["results"] == expected
    assert [row["context"] is None for row in expected] == [True, False]


def count_list_queries(client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}/requests")
    assert response.status_code == 200
    return len(queries), response.json()["count"]


def test_an_officers_request_list_costs_what_a_coordinators_does_whatever_the_page_size(
    client_for,
):
    authority, trust = factories.LocalAuthorityFactory(), factories.TrustFactory()
    officer = factories.LaOfficerMembershipFactory(local_authority=authority).user
    coordinator = factories.TrustCoordinatorMembershipFactory(trust=trust).user
    senco = factories.UserFactory()

    def add(index: int) -> None:
        request = make_request(index, senco)
        request.school.local_authority, request.school.trust = authority, trust
        request.school.save()

    add(0)
    one = count_list_queries(client_for(officer))
    for index in range(1, 5):
        add(index)
    five = count_list_queries(client_for(officer))

    assert (one[1], five[1]) == (1, 5)
    assert five[0] == one[0] == count_list_queries(client_for(coordinator))[0]


def test_me_shows_an_officers_local_authority(client_for):
    membership = factories.LaOfficerMembershipFactory(local_authority__name="Cambridgeshire")

    body = client_for(membership.user).get(f"{API}/me").json()

    assert body["roles"] == ["la_officer"]
    assert body["memberships"] == [
        {
            "id": membership.id,
            "role": "la_officer",
            "school": None,
            "trust": None,
            "local_authority": {
                "code": membership.local_authority.code,
                "name": "Cambridgeshire",
            },
        }
    ]

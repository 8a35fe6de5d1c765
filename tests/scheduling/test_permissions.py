"""Who may do what with a session, for every role. A refused write changes nothing."""

import pytest

from accounts.enums import Role
from scheduling import services
from scheduling.models import Session
from tests.factories import MembershipFactory, TrustCoordinatorMembershipFactory, UserFactory
from tests.scheduling.conftest import make_expert

pytestmark = pytest.mark.django_db

ROLES = ["senco", "staff", "expert", "other_expert", "stranger", "coordinator", "admin", "anon"]


@pytest.fixture
def world(scene):
    offered = services.slots_offer(support_request_id=scene.request.pk)
    coordinator = TrustCoordinatorMembershipFactory().user
    scene.request.school.trust = coordinator.memberships.get().trust
    scene.request.school.save()
    people = {
        "senco": scene.senco,
        "staff": MembershipFactory(role=Role.SCHOOL_STAFF, school=scene.request.school).user,
        "expert": scene.expert.user,
        "other_expert": make_expert().user,
        "stranger": MembershipFactory(role=Role.SENCO).user,
        "coordinator": coordinator,
        "admin": UserFactory(is_staff=True, is_superuser=True),
        "anon": None,
    }
    return offered, people


def expect(role: str, allowed: set[str], *, hidden: set[str], anon: int = 401) -> int:
    if role == "anon":
        return anon
    if role in allowed:
        return 200
    return 404 if role in hidden else 403


OUTSIDERS = {"other_expert", "stranger"}


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_a_session(world, client_for, role):
    (session, *_), people = world

    response = client_for(people[role]).get(f"/api/v1/sessions/{session.pk}")

    allowed = {"senco", "staff", "expert", "coordinator", "admin"}
    assert response.status_code == expect(role, allowed, hidden=OUTSIDERS)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_school_confirms_an_offer(world, client_for, role):
    (session, *_), people = world

    response = client_for(people[role]).post(f"/api/v1/sessions/{session.pk}/confirm")

    assert response.status_code == expect(role, {"senco", "staff", "admin"}, hidden=OUTSIDERS)
    confirmed = Session.objects.get(pk=session.pk).status == "confirmed"
    assert confirmed is (response.status_code == 200)


@pytest.mark.parametrize("role", ROLES)
def test_either_side_cancels_but_nobody_else(world, client_for, role):
    (session, *_), people = world

    response = client_for(people[role]).post(
        f"/api/v1/sessions/{session.pk}/cancel", {"reason": "Clash."}, format="json"
    )

    allowed = {"senco", "staff", "expert", "admin"}
    assert response.status_code == expect(role, allowed, hidden=OUTSIDERS)
    cancelled = Session.objects.get(pk=session.pk).status == "cancelled"
    assert cancelled is (response.status_code == 200)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_school_asks_for_other_times(world, client_for, role):
    (session, *_), people = world

    response = client_for(people[role]).post(f"/api/v1/requests/{session.request_id}/slot-offers")

    # The expert sees the request (it was proposed to them) but does not act for the school.
    allowed = {"senco", "staff", "admin"}
    expected = expect(role, allowed, hidden=OUTSIDERS)
    assert response.status_code == (201 if expected == 200 else expected)
    still_offered = Session.objects.filter(pk=session.pk, status="offered").exists()
    assert still_offered is (response.status_code != 201)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_two_sides_download_the_invitation(world, client_for, role):
    (session, *_), people = world

    response = client_for(people[role]).get(f"/api/v1/sessions/{session.pk}/ics")

    allowed = {"senco", "staff", "expert", "admin"}
    assert response.status_code == expect(role, allowed, hidden=OUTSIDERS)

import pytest

from accounts.enums import Role
from tests.factories import (
    MembershipFactory,
    SchoolFactory,
    TrustCoordinatorMembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_me_shows_the_callers_memberships_and_roles(client_for):
    school = SchoolFactory(name="Fernlea Primary School")
    senco = MembershipFactory(role=Role.SENCO, school=school).user
    MembershipFactory(user=senco, role=Role.SCHOOL_STAFF, school=SchoolFactory())

    body = client_for(senco).get("/api/v1/me").json()

    assert body["email"] == senco.email
    assert body["is_platform_admin"] is False
    assert body["roles"] == ["school_staff", "senco"]
    assert {(m["role"], m["school"]["name"]) for m in body["memberships"]} >= {
        ("senco", "Fernlea Primary School")
    }
    assert all(m["trust"] is m["local_authority"] is None for m in body["memberships"])


def test_me_shows_a_trust_coordinators_trust(client_for):
    membership = TrustCoordinatorMembershipFactory(trust__name="Horizon Learning Trust")

    body = client_for(membership.user).get("/api/v1/me").json()

    assert body["roles"] == ["trust_coordinator"]
    assert body["memberships"] == [
        {
            "id": membership.id,
            "role": "trust_coordinator",
            "school": None,
            "trust": {"code": membership.trust.code, "name": "Horizon Learning Trust"},
            "local_authority": None,
        }
    ]


def test_me_shows_only_the_caller(client_for):
    MembershipFactory.create_batch(3)
    admin = UserFactory(is_staff=True)

    body = client_for(admin).get("/api/v1/me").json()

    assert body["is_platform_admin"] is True
    assert body["memberships"] == []
    assert body["roles"] == []


def test_me_patch_changes_the_name_and_nothing_else(client_for):
    user = UserFactory(full_name="Old Name", email="me@example.org")

    response = client_for(user).patch(
        "/api/v1/me",
        {"full_name": "New Name", "email": "other@example.org", "is_staff": True},
        format="json",
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.full_name, user.email, user.is_staff) == ("New Name", "me@example.org", False)


def test_me_query_count_does_not_grow_with_memberships(client_for, django_assert_num_queries):
    one = MembershipFactory().user
    many = MembershipFactory().user
    MembershipFactory.create_batch(9, user=many)

    with django_assert_num_queries(1):
        assert len(client_for(one).get("/api/v1/me").json()["memberships"]) == 1
    with django_assert_num_queries(1):
        assert len(client_for(many).get("/api/v1/me").json()["memberships"]) == 10

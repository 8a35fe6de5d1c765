"""Invariants the database enforces by itself."""

import pytest
from django.db import IntegrityError

from accounts.enums import Role
from accounts.models import Membership, User
from tests.factories import LocalAuthorityFactory, SchoolFactory, TrustFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_emails_are_unique_whatever_their_case():
    UserFactory(email="senco@example.org")

    # objects.create skips the manager's normalisation: the database constraint still holds.
    with pytest.raises(IntegrityError):
        User.objects.create(email="SENCO@example.org")


def test_create_user_normalises_the_whole_address():
    user = User.objects.create_user("  Senco@Example.ORG ", "pw-long-enough-1")

    assert user.email == "senco@example.org"
    assert User.objects.get_by_natural_key("SENCO@example.org") == user


@pytest.mark.parametrize(
    ("role", "with_school", "with_trust", "with_la"),
    [
        (Role.TRUST_COORDINATOR, True, False, False),
        (Role.TRUST_COORDINATOR, False, False, False),
        (Role.TRUST_COORDINATOR, False, True, True),
        (Role.SENCO, False, True, False),
        (Role.EXPERT, True, True, False),
        (Role.SCHOOL_STAFF, False, False, False),
        (Role.SCHOOL_STAFF, True, False, True),
        (Role.SENCO, False, False, True),
        (Role.LA_OFFICER, False, False, False),
        (Role.LA_OFFICER, True, False, True),
        (Role.LA_OFFICER, False, True, True),
        (Role.LA_OFFICER, True, False, False),
    ],
)
def test_a_membership_scope_must_match_its_role(role, with_school, with_trust, with_la):
    with pytest.raises(IntegrityError):
        Membership.objects.create(
            user=UserFactory(),
            role=role,
            school=SchoolFactory() if with_school else None,
            trust=TrustFactory() if with_trust else None,
            local_authority=LocalAuthorityFactory() if with_la else None,
        )


def test_an_la_officer_holds_a_local_authority_once():
    user, authority = UserFactory(), LocalAuthorityFactory()
    Membership.objects.create(user=user, role=Role.LA_OFFICER, local_authority=authority)

    with pytest.raises(IntegrityError):
        Membership.objects.create(user=user, role=Role.LA_OFFICER, local_authority=authority)


def test_a_user_holds_a_role_at_a_school_once():
    user, school = UserFactory(), SchoolFactory()
    Membership.objects.create(user=user, role=Role.SENCO, school=school)

    with pytest.raises(IntegrityError):
        Membership.objects.create(user=user, role=Role.SENCO, school=school)


def test_a_school_age_range_cannot_be_inverted():
    with pytest.raises(IntegrityError):
        SchoolFactory(statutory_low_age=11, statutory_high_age=4)

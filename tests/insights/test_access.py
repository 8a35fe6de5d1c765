"""Who reads analytics, and over which schools (``insights.access``)."""

import pytest

from accounts.access import caller_scope
from accounts.enums import Role
from accounts.models import School
from exchange.models import SupportRequest
from insights.access import analytics_schools, reads_analytics
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def schools():
    trust, authority = factories.TrustFactory(), factories.LocalAuthorityFactory()
    return {
        "in_trust": factories.SchoolFactory(trust=trust),
        "in_la": factories.SchoolFactory(local_authority=authority),
        "elsewhere": factories.SchoolFactory(),
    }


def schools_read_by(user) -> set[int]:
    scope = caller_scope(user=user)
    return set(School.objects.filter(analytics_schools(scope)).values_list("urn", flat=True))


def test_an_la_officer_reads_the_figures_of_its_las_schools_only(schools):
    officer = factories.LaOfficerMembershipFactory(
        local_authority=schools["in_la"].local_authority
    ).user

    assert reads_analytics(caller_scope(user=officer))
    assert schools_read_by(officer) == {schools["in_la"].urn}


def test_a_coordinator_who_is_also_an_la_officer_reads_both(schools):
    coordinator = factories.TrustCoordinatorMembershipFactory(trust=schools["in_trust"].trust).user
    factories.LaOfficerMembershipFactory(
        user=coordinator, local_authority=schools["in_la"].local_authority
    )

    assert schools_read_by(coordinator) == {schools["in_trust"].urn, schools["in_la"].urn}


def test_the_rule_applies_across_a_relation(schools):
    officer = factories.LaOfficerMembershipFactory(
        local_authority=schools["in_la"].local_authority
    ).user
    mine = factories.SupportRequestFactory(school=schools["in_la"])
    factories.SupportRequestFactory(school=schools["elsewhere"])

    rule = analytics_schools(caller_scope(user=officer), "school__")

    assert list(SupportRequest.objects.filter(rule)) == [mine]


@pytest.mark.parametrize("role", [Role.SCHOOL_STAFF, Role.SENCO, Role.EXPERT])
def test_school_members_read_no_analytics(schools, role):
    member = factories.MembershipFactory(role=role, school=schools["in_la"]).user

    assert not reads_analytics(caller_scope(user=member))


def test_admins_read_every_schools_figures(schools):
    admin = factories.UserFactory(is_staff=True)

    assert reads_analytics(caller_scope(user=admin))
    assert schools_read_by(admin) == {school.urn for school in schools.values()}

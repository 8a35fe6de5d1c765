import pytest

from accounts.enums import Phase, Role, SchoolKind
from accounts.models import SchoolNeedProvision
from tests.factories import (
    LocalAuthorityFactory,
    MembershipFactory,
    SchoolFactory,
    SpecialSchoolFactory,
    TrustFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def urns(response) -> list[int]:
    assert response.status_code == 200, response.content
    return sorted(school["urn"] for school in response.json()["results"])


@pytest.fixture
def user(db):
    return UserFactory()


def test_list_shows_open_schools_with_their_details(client_for, user):
    trust = TrustFactory(code="5001", name="Horizon Learning Trust")
    school = SpecialSchoolFactory(
        urn=140089,
        name="Willowgate Specialist School",
        trust=trust,
        local_authority=LocalAuthorityFactory(code="873", name="Cambridgeshire"),
    )
    SchoolNeedProvision.objects.create(school=school, need_code="ASD", label="ASD - Autistic")

    body = client_for(user).get("/api/v1/schools").json()

    assert body["count"] == 1
    [row] = body["results"]
    assert row["urn"] == 140089
    assert row["kind"] == "special"
    assert row["local_authority"] == {"code": "873", "name": "Cambridgeshire"}
    assert row["trust"] == {"code": "5001", "name": "Horizon Learning Trust"}
    assert row["sen_provisions"] == [{"need_code": "ASD", "label": "ASD - Autistic"}]
    assert row["my_roles"] == []


def test_closed_schools_are_hidden_from_non_members(client_for, user):
    closed = SchoolFactory(is_active=False, gias_status="Closed")
    open_school = SchoolFactory()
    client = client_for(user)

    assert urns(client.get("/api/v1/schools")) == [open_school.urn]
    response = client.get(f"/api/v1/schools/{closed.urn}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_closed_schools_are_visible_to_their_members_and_admins(client_for, admin_user):
    closed = SchoolFactory(is_active=False, gias_status="Closed")
    member = MembershipFactory(school=closed, role=Role.SENCO).user
    open_school = SchoolFactory()

    assert urns(client_for(member).get("/api/v1/schools")) == [closed.urn, open_school.urn]
    assert client_for(member).get(f"/api/v1/schools/{closed.urn}").json()["my_roles"] == ["senco"]
    assert urns(client_for(admin_user).get("/api/v1/schools")) == [closed.urn, open_school.urn]


def test_mine_filter_and_my_roles_follow_the_callers_memberships(client_for):
    membership = MembershipFactory(role=Role.EXPERT, school=SpecialSchoolFactory())
    MembershipFactory(user=membership.user, role=Role.SCHOOL_STAFF, school=membership.school)
    other = SchoolFactory()
    client = client_for(membership.user)

    mine = client.get("/api/v1/schools", {"mine": "true"}).json()["results"]
    assert [(s["urn"], s["my_roles"]) for s in mine] == [
        (membership.school.urn, ["expert", "school_staff"])
    ]
    assert urns(client.get("/api/v1/schools", {"mine": "false"})) == [other.urn]


def test_filters(client_for, user):
    la = LocalAuthorityFactory(code="330", name="Birmingham")
    trust = TrustFactory(code="5002")
    primary = SchoolFactory(local_authority=la, region="West Midlands", trust=trust)
    secondary = SchoolFactory(phase=Phase.SECONDARY, region="London")
    special = SpecialSchoolFactory(region="London")
    resourced = SchoolFactory(kind=SchoolKind.MAINSTREAM_RESOURCED, region="London")
    SchoolNeedProvision.objects.create(school=special, need_code="SEMH", label="SEMH - …")
    SchoolNeedProvision.objects.create(school=resourced, need_code="SEMH", label="SEMH - …")
    SchoolNeedProvision.objects.create(school=resourced, need_code="ASD", label="ASD - …")
    client = client_for(user)

    assert urns(client.get("/api/v1/schools", {"la": "330"})) == [primary.urn]
    assert urns(client.get("/api/v1/schools", {"region": "west midlands"})) == [primary.urn]
    assert urns(client.get("/api/v1/schools", {"phase": "secondary"})) == [secondary.urn]
    assert urns(client.get("/api/v1/schools", {"kind": "special"})) == [special.urn]
    assert urns(client.get("/api/v1/schools", {"need": "SEMH"})) == [special.urn, resourced.urn]
    assert urns(client.get("/api/v1/schools", {"trust": "5002"})) == [primary.urn]
    assert urns(client.get("/api/v1/schools", {"kind": "mainstream", "region": "London"})) == [
        secondary.urn
    ]


def test_search_by_name_urn_and_postcode(client_for, user):
    fernlea = SchoolFactory(urn=140008, name="Fernlea Primary School", postcode="CB6 8RX")
    hill = SchoolFactory(urn=140128, name="Hillcroft School", postcode="B20 7FL")
    client = client_for(user)

    assert urns(client.get("/api/v1/schools", {"search": "fernlea"})) == [fernlea.urn]
    assert urns(client.get("/api/v1/schools", {"search": "140128"})) == [hill.urn]
    assert urns(client.get("/api/v1/schools", {"search": "B20 7FL"})) == [hill.urn]
    assert urns(client.get("/api/v1/schools", {"search": "nowhere"})) == []


def test_ordering(client_for, user):
    SchoolFactory(urn=3, name="Beta")
    SchoolFactory(urn=1, name="Gamma")
    SchoolFactory(urn=2, name="Alpha")

    response = client_for(user).get("/api/v1/schools", {"ordering": "-urn"})

    assert [s["urn"] for s in response.json()["results"]] == [3, 2, 1]
    default = client_for(user).get("/api/v1/schools").json()["results"]
    assert [s["name"] for s in default] == ["Alpha", "Beta", "Gamma"]


def test_an_invalid_filter_value_is_400_naming_the_field(client_for, user):
    response = client_for(user).get("/api/v1/schools", {"kind": "castle", "need": "XYZ"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"kind", "need"}
    assert body["fields"]["kind"][0]["code"] == "invalid_choice"


def test_page_size_is_capped(client_for, user, settings):
    settings.API_MAX_PAGE_SIZE = 5
    SchoolFactory.create_batch(7)
    client = client_for(user)

    capped = client.get("/api/v1/schools", {"page_size": 1000}).json()
    assert (capped["count"], len(capped["results"])) == (7, 5)
    small = client.get("/api/v1/schools", {"page_size": 2, "page": 2}).json()
    assert len(small["results"]) == 2
    assert small["previous"] is not None


def test_a_page_past_the_end_is_404_in_the_error_format(client_for, user):
    SchoolFactory()

    response = client_for(user).get("/api/v1/schools", {"page": 9})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_school_list_query_count_is_constant(client_for, django_assert_num_queries):
    user = MembershipFactory().user
    client = client_for(user)

    def create_with_provisions(count: int) -> None:
        for school in SchoolFactory.create_batch(count, trust=TrustFactory()):
            SchoolNeedProvision.objects.create(school=school, need_code="ASD", label="ASD")
            MembershipFactory(user=user, school=school)

    create_with_provisions(1)
    # count, page, SEN provisions, the caller's memberships
    with django_assert_num_queries(4):
        assert client.get("/api/v1/schools").json()["count"] == 2
    create_with_provisions(9)
    with django_assert_num_queries(4):
        assert client.get("/api/v1/schools").json()["count"] == 11


def test_trusts_list_counts_visible_schools(client_for, user, django_assert_num_queries):
    trust = TrustFactory(code="5001", name="Horizon Learning Trust")
    SchoolFactory.create_batch(2, trust=trust)
    SchoolFactory(trust=trust, is_active=False)
    client = client_for(user)

    with django_assert_num_queries(2):
        body = client.get("/api/v1/trusts").json()

    assert body["results"] == [
        {"code": "5001", "name": "Horizon Learning Trust", "school_count": 2}
    ]
    assert client.get("/api/v1/trusts/5001").json()["school_count"] == 2
    assert client.get("/api/v1/trusts", {"search": "horizon"}).json()["count"] == 1
    assert client.get("/api/v1/trusts/9999").status_code == 404


def test_trust_list_query_count_is_constant(client_for, user, django_assert_num_queries):
    TrustFactory()
    with django_assert_num_queries(2):
        assert client_for(user).get("/api/v1/trusts").json()["count"] == 1
    TrustFactory.create_batch(9)
    with django_assert_num_queries(2):
        assert client_for(user).get("/api/v1/trusts").json()["count"] == 10


def test_schools_are_read_only(client_for, admin_user):
    school = SchoolFactory()

    response = client_for(admin_user).patch(
        f"/api/v1/schools/{school.urn}", {"name": "x"}, format="json"
    )

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"

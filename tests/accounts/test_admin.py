import pytest

from tests.factories import MembershipFactory, SchoolFactory, TrustCoordinatorMembershipFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["user", "school", "trust", "membership", "localauthority"])
def test_admin_changelists_and_change_forms_render(client, admin_user, model):
    membership = MembershipFactory(
        school=SchoolFactory(trust=TrustCoordinatorMembershipFactory().trust)
    )
    objects = {
        "user": membership.user.pk,
        "school": membership.school.pk,
        "trust": membership.school.trust.pk,
        "membership": membership.pk,
        "localauthority": membership.school.local_authority.pk,
    }
    client.force_login(admin_user)

    assert client.get(f"/admin/accounts/{model}/").status_code == 200
    assert client.get(f"/admin/accounts/{model}/{objects[model]}/change/").status_code == 200


def test_school_urn_is_read_only_once_created(client, admin_user):
    school = SchoolFactory(urn=140008)
    client.force_login(admin_user)

    response = client.get(f"/admin/accounts/school/{school.pk}/change/")

    assert 'name="urn"' not in response.content.decode()
    assert 'name="urn"' in client.get("/admin/accounts/school/add/").content.decode()

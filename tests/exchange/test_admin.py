from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.constants import NEED_CODES
from exchange import services
from exchange.models import Need
from tests.factories import ExpertProfileFactory, MembershipFactory, SupportRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_taxonomy_migration_loads_every_need_code_the_gias_import_maps_to():
    assert set(Need.objects.values_list("code", flat=True)) == set(NEED_CODES)


@pytest.mark.parametrize(
    "model", ["need", "topic", "expertprofile", "credential", "supportrequest"]
)
def test_exchange_admin_pages_render(admin_client, model):
    expert = ExpertProfileFactory(specialisms=[("ASD", "lead"), ("aac", "aware")])
    credential = services.credential_add(expert=expert, kind="qts")
    support_request = SupportRequestFactory(needs=["SLCN"])
    senco = MembershipFactory(role="senco", school=support_request.school).user
    services.support_request_submit(support_request=support_request, by=senco)
    objects = {
        "need": Need.objects.get(code="ASD").pk,
        "topic": expert.specialisms.get(topic__isnull=False).topic_id,
        "expertprofile": expert.pk,
        "credential": credential.pk,
        "supportrequest": support_request.pk,
    }

    assert admin_client.get(f"/admin/exchange/{model}/").status_code == 200
    change = admin_client.get(f"/admin/exchange/{model}/{objects[model]}/change/")
    assert change.status_code == 200


def test_request_admin_shows_history_read_only_and_status_cannot_be_edited(admin_client):
    support_request = SupportRequestFactory()
    senco = MembershipFactory(role="senco", school=support_request.school).user
    services.support_request_submit(support_request=support_request, by=senco)

    page = admin_client.get(f"/admin/exchange/supportrequest/{support_request.pk}/change/")

    html = page.content.decode()
    assert 'name="status"' not in html
    assert "submitted" in html
    assert 'name="history-0-reason"' not in html


def test_verify_and_suspend_actions(admin_client):
    expert = ExpertProfileFactory(is_verified=False)
    url = "/admin/exchange/expertprofile/"

    admin_client.post(url, {"action": "verify", "_selected_action": [expert.pk]})
    expert.refresh_from_db()
    assert expert.is_verified
    assert expert.verified_at is not None

    admin_client.post(url, {"action": "suspend", "_selected_action": [expert.pk]})
    expert.refresh_from_db()
    assert expert.is_suspended
    assert not expert.accepting_work


def test_credential_verification_action_records_who(admin_client, admin_user):
    expert = ExpertProfileFactory()
    credential = services.credential_add(expert=expert, kind="mq_hearing")

    admin_client.post(
        "/admin/exchange/expertprofile/",
        {"action": "verify_credentials", "_selected_action": [expert.pk]},
    )

    credential.refresh_from_db()
    assert (credential.status, credential.verified_by) == ("verified", admin_user)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("missing", {"none"}),
        ("expired", {"old"}),
        ("expiring", {"soon"}),
        ("current", {"soon", "later"}),
    ],
)
def test_safeguarding_filter(admin_client, choice, expected):
    today = timezone.localdate()
    experts = {
        "none": ExpertProfileFactory(bio="none"),
        "old": ExpertProfileFactory(bio="old", safeguarding_expires_on=today - timedelta(days=1)),
        "soon": ExpertProfileFactory(
            bio="soon", safeguarding_expires_on=today + timedelta(days=10)
        ),
        "later": ExpertProfileFactory(
            bio="later", safeguarding_expires_on=today + timedelta(days=200)
        ),
    }

    page = admin_client.get("/admin/exchange/expertprofile/", {"safeguarding": choice})

    shown = {
        name
        for name, e in experts.items()
        if f"/expertprofile/{e.pk}/change/" in page.content.decode()
    }
    assert shown == expected

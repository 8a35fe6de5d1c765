"""Django admin for scheduling: calendars and closures editable, sessions read-only."""

from datetime import date

import pytest

from exchange.models import Closure, Notification, TermCalendar
from scheduling import services
from scheduling.models import Session

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def booked(scene):
    chosen = services.slots_offer(support_request_id=scene.request.pk)[0]
    return services.session_confirm(session=chosen, by=scene.senco)


@pytest.mark.parametrize(
    ("app", "model"),
    [
        ("exchange", "termcalendar"),
        ("exchange", "closure"),
        ("scheduling", "session"),
        ("exchange", "notification"),
    ],
)
def test_scheduling_admin_pages_render(admin_client, booked, app, model):
    objects = {
        "termcalendar": TermCalendar.objects.get(is_default=True).pk,
        "closure": Closure.objects.first().pk,
        "session": booked.pk,
        "notification": Notification.objects.first().pk,
    }

    assert admin_client.get(f"/admin/{app}/{model}/").status_code == 200
    change = admin_client.get(f"/admin/{app}/{model}/{objects[model]}/change/")
    assert change.status_code == 200


def test_an_admin_adds_an_inset_day_to_the_default_calendar(admin_client):
    calendar = TermCalendar.objects.get(is_default=True)
    existing = calendar.closures.count()
    data = {
        "name": calendar.name,
        "closures-TOTAL_FORMS": existing + 1,
        "closures-INITIAL_FORMS": existing,
        "closures-MIN_NUM_FORMS": 0,
        "closures-MAX_NUM_FORMS": 1000,
    }
    for index, closure in enumerate(calendar.closures.order_by("start_date", "id")):
        data |= {
            f"closures-{index}-id": closure.pk,
            f"closures-{index}-calendar": calendar.pk,
            f"closures-{index}-kind": closure.kind,
            f"closures-{index}-name": closure.name,
            f"closures-{index}-start_date": closure.start_date.isoformat(),
            f"closures-{index}-end_date": closure.end_date.isoformat(),
        }
    data |= {
        f"closures-{existing}-calendar": calendar.pk,
        f"closures-{existing}-kind": "inset",
        f"closures-{existing}-name": "Extra INSET day",
        f"closures-{existing}-start_date": "2027-06-25",
        f"closures-{existing}-end_date": "2027-06-25",
        "is_default": "on",
    }

    response = admin_client.post(f"/admin/exchange/termcalendar/{calendar.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert calendar.closures.filter(kind="inset", start_date=date(2027, 6, 25)).exists()


def test_sessions_cannot_be_added_or_edited_in_admin(admin_client, booked):
    page = admin_client.get(f"/admin/scheduling/session/{booked.pk}/change/")

    assert admin_client.get("/admin/scheduling/session/add/").status_code == 403
    assert 'name="starts_at"' not in page.content.decode()
    assert Session.objects.get(pk=booked.pk).status == "confirmed"

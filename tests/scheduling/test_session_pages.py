"""The lean session list (scheduling/pages.py) gives exactly ``SessionSerializer``'s JSON,
people hidden from trust coordinators as the serializer hides them."""

import pytest

from accounts.access import caller_scope
from scheduling import selectors, services
from scheduling.models import Session, SessionChange
from scheduling.serializers import SessionSerializer
from tests.factories import TrustCoordinatorMembershipFactory, TrustFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("caller", ["admin", "senco", "coordinator", "expert"])
def test_the_session_list_is_the_serializers_json(scene, client_for, caller):
    offered = services.slots_offer(support_request_id=scene.request.pk)
    first = offered[0]
    first.attendees.set([scene.senco, UserFactory(email="a-colleague@example.org")])
    SessionChange.objects.create(
        session=first,
        kind="rescheduled",
        reason="The class trip moved.",
        previous_starts_at=first.starts_at,
        previous_ends_at=first.ends_at,
    )
    Session.objects.filter(pk=first.pk).update(video_link="https://meet.example.org/x")
    if caller == "coordinator":
        school = scene.request.school
        if school.trust is None:
            school.trust = TrustFactory()
            school.save()
        user = TrustCoordinatorMembershipFactory(trust=school.trust).user
    else:
        user = {
            "admin": lambda: UserFactory(is_staff=True),
            "senco": lambda: scene.senco,
            "expert": lambda: scene.expert.user,
        }[caller]()
    scope = caller_scope(user=user)
    expected = SessionSerializer(
        selectors.sessions_visible_to(user=user).order_by("starts_at", "id"),
        many=True,
        context={"scope": scope},
    ).data

    body = client_for(user).get("/api/v1/sessions").json()

    assert body["count"] == len(offered)
    assert body["results"] == expected
    shown = next(item for item in body["results"] if item["id"] == first.pk)
    assert bool(shown["attendees"]) == (caller != "coordinator")
    assert any(change["reason"] for change in shown["changes"]) == (caller != "coordinator")

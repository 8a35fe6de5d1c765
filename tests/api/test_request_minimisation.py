"""Data minimisation: an expert reads a support request (its description of the pupils)
only while an open or accepted proposal, or a session, ties them to it (docs/privacy.md)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.enums import Role
from exchange import services as exchange_services
from exchange.access import TYING_PROPOSAL_STATUSES, TYING_SESSION_STATUSES
from exchange.models import SupportRequest
from matching import services as matching_services
from matching.enums import LIVE_PROPOSAL_STATUSES
from matching.models import Proposal
from scheduling import services as scheduling_services
from scheduling.enums import SessionStatus
from scheduling.models import Session
from tests.factories import MembershipFactory, SchoolFactory, SupportRequestFactory
from tests.scheduling.conftest import accepted_request, make_expert

pytestmark = pytest.mark.django_db


def reads(client, request_id: int, proposal_id: int) -> dict[str, object]:
    """What the expert gets for the request, everywhere it or its text shows."""
    listed = client.get("/api/v1/requests").json()["results"]
    inbox = client.get("/api/v1/proposals").json()["results"]
    return {
        "request": client.get(f"/api/v1/requests/{request_id}").status_code,
        "history": client.get(f"/api/v1/requests/{request_id}/history").status_code,
        "proposals": client.get(f"/api/v1/requests/{request_id}/proposals").status_code,
        "slot_offers": client.get(f"/api/v1/requests/{request_id}/slot-offers").status_code,
        "proposal": client.get(f"/api/v1/proposals/{proposal_id}").status_code,
        "listed": any(row["id"] == request_id for row in listed),
        "in_inbox": any(row["id"] == proposal_id for row in inbox),
    }


SEES = {
    "request": 200,
    "history": 200,
    "proposals": 200,
    "slot_offers": 200,
    "proposal": 200,
    "listed": True,
    "in_inbox": True,
}
GONE = {
    "request": 404,
    "history": 404,
    "proposals": 404,
    "slot_offers": 404,
    "proposal": 404,
    "listed": False,
    "in_inbox": False,
}


@pytest.fixture
def expert(db):
    return make_expert()


@pytest.fixture
def two_experts(db):
    """Two experts who can both take the request: both are proposed."""
    return make_expert(), make_expert()


def proposed_request(expert) -> tuple[SupportRequest, Proposal]:
    """A submitted request of a SENCO's school, proposed to ``expert`` (and undecided)."""
    senco = MembershipFactory(
        role=Role.SENCO, school=SchoolFactory(easting=550000, northing=280000)
    )
    draft = SupportRequestFactory(
        school=senco.school, created_by=senco.user, phase="primary", video_acceptable=True
    )
    exchange_services.support_request_submit(support_request=draft, by=senco.user)
    matching_services.proposals_create_for_request(support_request_id=draft.pk)
    return draft, Proposal.objects.get(request=draft, expert=expert)


def test_an_open_proposal_lets_the_expert_read_the_request(client_for, expert):
    support_request, proposal = proposed_request(expert)

    assert proposal.status == "proposed"
    assert reads(client_for(expert.user), support_request.pk, proposal.pk) == SEES


def test_an_accepted_proposal_lets_the_expert_read_the_request(client_for, expert):
    scene = accepted_request(expert)

    assert reads(client_for(expert.user), scene.request.pk, scene.proposal.pk) == SEES


def test_a_declined_proposal_hides_the_request(client_for, expert):
    support_request, proposal = proposed_request(expert)
    accepted = accepted_request(expert)
    client = client_for(expert.user)

    declined = client.post(f"/api/v1/proposals/{proposal.pk}/decline", {"reason": "Full term."})

    assert declined.status_code == 200
    assert reads(client, support_request.pk, proposal.pk) == GONE
    # Their accepted request is untouched.
    assert reads(client, accepted.request.pk, accepted.proposal.pk) == SEES


def test_an_expired_proposal_hides_the_request(client_for, expert):
    support_request, proposal = proposed_request(expert)
    Proposal.objects.filter(pk=proposal.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert matching_services.proposals_expire() == 1
    assert Proposal.objects.get(pk=proposal.pk).status == "expired"
    assert reads(client_for(expert.user), support_request.pk, proposal.pk) == GONE


def test_a_proposal_withdrawn_when_another_expert_accepted_hides_the_request(
    client_for, two_experts
):
    expert, other = two_experts
    scene = accepted_request(other)
    proposal = Proposal.objects.get(request=scene.request, expert=expert)

    assert proposal.status == "withdrawn"
    assert reads(client_for(expert.user), scene.request.pk, proposal.pk) == GONE
    # The school still reads every proposal it was made.
    school = client_for(scene.senco).get(f"/api/v1/requests/{scene.request.pk}/proposals")
    assert {row["id"] for row in school.json()} == {proposal.pk, scene.proposal.pk}


def test_cancelling_the_request_hides_it_from_the_expert_but_keeps_their_session(
    client_for, expert
):
    scene = accepted_request(expert)
    [offered, *_] = scheduling_services.slots_offer(support_request_id=scene.request.pk)
    scheduling_services.session_confirm(session=offered, by=scene.senco)

    cancelled = client_for(scene.senco).post(
        f"/api/v1/requests/{scene.request.pk}/cancel", {"reason": "The pupil moved school."}
    )

    assert cancelled.status_code == 200
    assert Proposal.objects.get(pk=scene.proposal.pk).status == "withdrawn"
    client = client_for(expert.user)
    assert reads(client, scene.request.pk, scene.proposal.pk) == GONE
    # Their calendar still shows the cancelled session (its time, the request's title).
    session = client.get(f"/api/v1/sessions/{offered.pk}").json()
    assert session["status"] == "cancelled"


def test_a_session_ties_the_expert_to_the_request_until_it_is_cancelled(client_for, expert):
    scene = accepted_request(expert)
    scheduling_services.slots_offer(support_request_id=scene.request.pk)
    # A session that outlives the proposal's tie (no API path does this today): the
    # session alone keeps the request readable, and only while it is not cancelled.
    Proposal.objects.filter(pk=scene.proposal.pk).update(status="withdrawn")
    client = client_for(expert.user)
    tied = client.get(f"/api/v1/requests/{scene.request.pk}").status_code

    Session.objects.filter(request=scene.request).update(status=SessionStatus.CANCELLED)
    untied = client.get(f"/api/v1/requests/{scene.request.pk}").status_code

    assert (tied, untied) == (200, 404)


def test_the_tying_statuses_name_the_upper_layers_values():
    assert set(TYING_PROPOSAL_STATUSES) == set(LIVE_PROPOSAL_STATUSES)
    assert set(TYING_SESSION_STATUSES) == set(SessionStatus.values) - {SessionStatus.CANCELLED}

"""An accepted request ready to schedule: a SENCO's mainstream school, an expert 2 km away
free every school day 09:00–15:00, the expert's accepted proposal."""

from dataclasses import dataclass
from datetime import time, timedelta

import pytest

from accounts.enums import Role
from accounts.models import User
from exchange import services as exchange_services
from exchange.models import AvailabilityWindow, ExpertProfile, SupportRequest
from matching import services as matching_services
from matching.models import Proposal
from matching.selectors import local_today
from tests.factories import (
    ExpertProfileFactory,
    MembershipFactory,
    SchoolFactory,
    SpecialSchoolFactory,
    SupportRequestFactory,
)


@dataclass
class Scene:
    senco: User
    expert: ExpertProfile
    request: SupportRequest
    proposal: Proposal


def make_expert(*, windows=((time(9), time(15)),), **fields) -> ExpertProfile:
    values = {
        "is_verified": True,
        "offers_observation_visit": True,
        "offers_video_call": True,
        "serves_primary": True,
        "max_travel_km": 30,
        "sessions_per_week": 5,
        "sessions_per_month": 20,
        "safeguarding_expires_on": local_today() + timedelta(days=365),
        **fields,
    }
    expert = ExpertProfileFactory(
        school=SpecialSchoolFactory(easting=552000, northing=280000),
        specialisms=[("ASD", "lead")],
        **values,
    )
    for weekday in range(5):
        for start, end in windows:
            AvailabilityWindow.objects.create(
                expert=expert, weekday=weekday, start_time=start, end_time=end
            )
    return expert


def accepted_request(expert: ExpertProfile, *, senco: User | None = None, **fields) -> Scene:
    """A request of the SENCO's school that ``expert`` (the only candidate) accepted. The
    on-commit slot offering does not run in a plain ``db`` test: call the service."""
    if senco is None:
        senco = MembershipFactory(
            role=Role.SENCO, school=SchoolFactory(easting=550000, northing=280000)
        ).user
    school = senco.memberships.get().school
    draft = SupportRequestFactory(
        school=school,
        created_by=senco,
        phase="primary",
        format=fields.pop("format", "observation_visit"),
        video_acceptable=True,
        **fields,
    )
    exchange_services.support_request_submit(support_request=draft, by=senco)
    matching_services.proposals_create_for_request(support_request_id=draft.pk)
    proposal = Proposal.objects.get(request=draft, expert=expert)
    matching_services.proposal_accept(proposal=proposal, by=expert.user)
    draft.refresh_from_db()
    return Scene(senco=senco, expert=expert, request=draft, proposal=proposal)


@pytest.fixture
def expert(db) -> ExpertProfile:
    return make_expert()


@pytest.fixture
def scene(expert) -> Scene:
    return accepted_request(expert)

"""The lean list pages (exchange/pages.py) give exactly the JSON of the output serializers
they stand in for, field for field, in the same order."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from exchange import selectors
from exchange.filters import experts_by_distance
from exchange.models import Credential, ExpertProfile, SupportRequest
from exchange.serializers import ExpertSerializer, SupportRequestSerializer
from matching.models import MatchingPolicy, Proposal
from matching.serializers import ProposalSerializer
from tests.api.test_exchange_lists import make_expert, make_request
from tests.factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_request_list_is_the_serializers_json(client_for, admin_user):
    senco = UserFactory()
    for index in range(3):
        make_request(index, senco)
    SupportRequest.objects.filter(pk=SupportRequest.objects.order_by("pk").first().pk).update(
        parental_consent_obtained=True,
        parental_consent_date=date(2026, 11, 2),
        submitted_at=timezone.now(),
        year_groups=[3, 4],
    )
    expected = SupportRequestSerializer(
        selectors.support_requests_visible_to(user=admin_user).order_by("-created_at", "-id"),
        many=True,
    ).data

    body = client_for(admin_user).get("/api/v1/requests").json()

    assert body["count"] == 3
    assert body["results"] == expected


@pytest.mark.parametrize("near", [False, True])
def test_the_expert_directory_is_the_serializers_json(client_for, near):
    for index in range(3):
        make_expert(index)
    first, second = ExpertProfile.objects.order_by("pk")[:2]
    ExpertProfile.objects.filter(pk=first.pk).update(
        is_paused=True, safeguarding_expires_on=timezone.localdate() + timedelta(days=30)
    )
    ExpertProfile.objects.filter(pk=second.pk).update(
        safeguarding_expires_on=timezone.localdate() - timedelta(days=1), offers_staff_training=True
    )
    Credential.objects.filter(expert=first).update(
        verified_at=timezone.now(), awarded_on=date(2020, 7, 1)
    )
    caller = UserFactory()
    experts = selectors.experts_visible_to(user=caller)
    params = {}
    if near:
        origin = SchoolFactory(easting=530000, northing=180000)
        params = {"near": origin.urn}
        experts = experts_by_distance(experts, (origin.easting, origin.northing), None)
    expected = ExpertSerializer(experts, many=True).data

    body = client_for(caller).get("/api/v1/experts", params).json()

    assert body["count"] == 3
    assert body["results"] == expected
    assert any(row["distance_km"] is not None for row in body["results"]) == near


def test_proposal_lists_are_the_serializers_json(client_for, admin_user):
    senco = UserFactory()
    support_request = make_request(0, senco)
    now = timezone.now()
    for rank in (2, 1):
        Proposal.objects.create(
            request=support_request,
            expert=make_expert(rank),
            policy=MatchingPolicy.objects.get(is_active=True),
            rank=rank,
            score=71.5,
            summary="Close, and knows ASD.",
            breakdown=[
                {
                    "criterion": "distance",
                    "label": "Distance",
                    "weight": 20,
                    "value": 1,  # stored as an int: served as a float
                    "points": 20,
                    "explanation": "3.1 km away",
                }
            ],
            delivery_format="video_call",
            distance_km=3.1 if rank == 1 else None,
            expires_at=now + timedelta(days=14),
            remind_at=now + timedelta(days=10),
        )
    proposals = Proposal.objects.filter(request=support_request)
    client = client_for(admin_user)

    listed = client.get(f"/api/v1/requests/{support_request.pk}/proposals").json()
    inbox = client.get("/api/v1/proposals").json()

    assert listed == ProposalSerializer(proposals.order_by("rank", "id"), many=True).data
    assert [item["rank"] for item in listed] == [1, 2]
    assert (
        inbox["results"]
        == ProposalSerializer(proposals.order_by("-created_at", "-id"), many=True).data
    )

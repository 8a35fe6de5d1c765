"""The lean list pages (exchange/pages.py) give exactly the JSON of the output serializers
they stand in for, field for field, in the same order."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers

from config import rows
from exchange import selectors
from exchange.filters import experts_by_distance
from exchange.models import Credential, ExpertProfile, SupportRequest
from exchange.serializers import ExpertSerializer, SupportRequestSerializer
from matching.models import MatchingPolicy, Proposal
from matching.serializers import ProposalSerializer
from tests.api.test_exchange_lists import make_expert, make_request
from tests.factories import MembershipFactory, SchoolFactory, UserFactory

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


def _raise(client, needs: list[str]) -> tuple[dict, int]:
    """A SENCO raises a request (topics and windows given out of order): its answer, and the
    queries it took."""
    soon = timezone.localdate() + timedelta(days=7)
    body = {
        "title": "Sensory regulation",
        "scope": "class",
        "needs": needs,
        "primary_need": needs[0],
        "topics": ["visual-timetables", "sensory-regulation"],
        "phase": "primary",
        "year_groups": [5, 4],
        "sen_status": "sen_support",
        "context": "Two pupils struggle with noise.",
        "desired_outcome": "Calmer transitions.",
        "format": "any",
        "preferred_windows": [
            {"date": str(soon + timedelta(days=1)), "start_time": "09:00", "end_time": "12:00"},
            {"date": str(soon), "start_time": "13:00", "end_time": "15:00"},
            {"date": str(soon), "start_time": "09:00", "end_time": "11:00"},
        ],
    }
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/requests", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json(), len(queries)


def test_a_raised_requests_answer_is_its_detail_in_queries_not_growing_with_needs(client_for):
    senco = MembershipFactory(role="senco")
    client = client_for(senco.user)

    one, one_queries = _raise(client, ["SLCN"])
    three, three_queries = _raise(client, ["SLCN", "ASD", "SEMH"])

    for raised in (one, three):
        assert raised == client.get(f"/api/v1/requests/{raised['id']}").json()
    assert three["needs"] == ["ASD", "SLCN", "SEMH"]  # the list's order, not the body's
    assert [w["start_time"] for w in three["preferred_windows"]] == ["09:00", "13:00", "09:00"]
    assert one_queries == three_queries


def test_a_requests_detail_and_its_proposals_read_the_request_as_one_row(client_for):
    senco = UserFactory()
    support_request = make_request(0, senco)
    client = client_for(senco)
    # The caller's memberships, then the row; elsewhere than on PostgreSQL, one more query
    # each for its needs, topics and preferred windows.
    row = 1 if connection.vendor == "postgresql" else 4

    detail, _ = _counted(client, f"/api/v1/requests/{support_request.pk}")
    proposals, body = _counted(client, f"/api/v1/requests/{support_request.pk}/proposals")

    assert detail == 1 + row
    assert (proposals, body) == (1 + row + 1, [])  # and the proposals' rows


def _counted(client, path: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def test_dates_and_times_take_the_fast_formatting_when_drf_would_format_them_so():
    assert rows._converter(serializers.DateTimeField()) is rows.datetime_text
    assert rows._converter(serializers.DateField()) is rows.day_text
    assert rows._converter(serializers.TimeField()) is rows.time_text
    assert rows._converter(serializers.CharField()) is None
    custom = serializers.DateTimeField(format="%Y")
    assert rows._converter(custom)(timezone.now()) == str(timezone.localdate().year)

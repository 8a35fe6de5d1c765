"""Accepts racing through the API on PostgreSQL: an expert's monthly capacity and a request's
one accepted expert hold however many requests arrive at once."""

import threading
from collections import Counter
from datetime import timedelta

from django.db import connection, transaction

from exchange import services as exchange_services
from exchange.models import ExpertProfile, SupportRequest
from matching import services
from matching.enums import RunTrigger
from matching.models import MatchingPolicy, Proposal, UnmatchedRequest
from matching.selectors import local_today
from tests.factories import (
    ExpertProfileFactory,
    SchoolFactory,
    SpecialSchoolFactory,
    SupportRequestFactory,
)
from tests.postgres import RACING, Call, race

pytestmark = RACING

RACERS = 12
# A loser of two experts racing for one request: the request was taken (the winner withdrew
# the loser's proposal first, or the database's one-accepted-per-request index caught it),
# or PostgreSQL broke a lock cycle between the two and the client may retry.
LOST_REQUEST_CODES = {"already_accepted", "illegal_transition", "concurrent_update"}


def make_expert(**fields) -> ExpertProfile:
    return ExpertProfileFactory(
        school=SpecialSchoolFactory(easting=551000, northing=280000),
        specialisms=[("ASD", "lead")],
        **{
            "is_verified": True,
            "offers_observation_visit": True,
            "offers_video_call": True,
            "serves_primary": True,
            "max_travel_km": 30,
            "sessions_per_week": 1,
            "sessions_per_month": 4,
            "safeguarding_expires_on": local_today() + timedelta(days=365),
            **fields,
        },
    )


def proposed_request() -> SupportRequest:
    draft = SupportRequestFactory(
        school=SchoolFactory(easting=550000, northing=280000),
        phase="primary",
        format="observation_visit",
        video_acceptable=True,
    )
    exchange_services.support_request_submit(support_request=draft, by=draft.created_by)
    services.proposals_create_for_request(support_request_id=draft.pk)
    return draft


def race_accepts(calls: list[tuple[ExpertProfile, Proposal]]) -> list[tuple[int, int, dict]]:
    """Each expert POSTs ``/proposals/{id}/accept`` for their proposal at the same moment, one
    thread each; returns ``(proposal id, status, body)`` per call."""
    answers = race(
        [Call(expert.user, f"/api/v1/proposals/{proposal.pk}/accept") for expert, proposal in calls]
    )
    return [(int(a.call.path.split("/")[-2]), a.status, a.body) for a in answers]


def test_simultaneous_accepts_by_a_one_session_expert_accept_exactly_one():
    expert = make_expert(sessions_per_month=RACERS)
    requests = [proposed_request() for _ in range(RACERS)]
    proposals = list(Proposal.objects.filter(expert=expert))
    assert len(proposals) == RACERS
    # Then the expert cuts their capacity to one session this month, and accepts them all.
    ExpertProfile.objects.filter(pk=expert.pk).update(sessions_per_month=1)

    results = race_accepts([(expert, proposal) for proposal in proposals])

    statuses = Counter(status for _, status, _ in results)
    assert statuses == {200: 1, 409: RACERS - 1}
    for _, status, body in results:
        if status == 409:
            assert body["code"] == "capacity_full"
            assert body["details"] == {"accepted": 1, "sessions_per_month": 1}
    [winner] = [proposal_id for proposal_id, status, _ in results if status == 200]
    accepted = Proposal.objects.filter(expert=expert, status="accepted")
    assert list(accepted.values_list("pk", flat=True)) == [winner]
    assert Proposal.objects.filter(expert=expert, status="proposed").count() == RACERS - 1
    request_statuses = Counter(
        SupportRequest.objects.filter(pk__in=[r.pk for r in requests]).values_list(
            "status", flat=True
        )
    )
    assert request_statuses == {"accepted": 1, "proposed": RACERS - 1}


def test_two_experts_accepting_one_request_at_once_only_one_gets_it():
    first, second = make_expert(sessions_per_month=20), make_expert(sessions_per_month=20)
    for _ in range(10):  # a few rounds, so both orders and the tight interleavings are seen
        support_request = proposed_request()
        calls = [
            (expert, Proposal.objects.get(request=support_request, expert=expert))
            for expert in (first, second)
        ]

        results = race_accepts(calls)

        assert sorted(status for _, status, _ in results) == [200, 409]
        [(winner, _, _)] = [r for r in results if r[1] == 200]
        [(loser, _, body)] = [r for r in results if r[1] == 409]
        assert body["code"] in LOST_REQUEST_CODES, body
        assert body["status"] == 409
        statuses = dict(
            Proposal.objects.filter(request=support_request).values_list("pk", "status")
        )
        assert statuses == {winner: "accepted", loser: "withdrawn"}
        support_request.refresh_from_db()
        assert support_request.status == "accepted"


def submitted_request(**fields) -> SupportRequest:
    draft = SupportRequestFactory(
        school=SchoolFactory(easting=fields.pop("easting", 550000), northing=280000),
        phase="primary",
        format="observation_visit",
        **{"video_acceptable": True, **fields},
    )
    exchange_services.support_request_submit(support_request=draft, by=draft.created_by)
    return draft


def test_a_round_records_what_it_wrote_when_a_worker_holds_a_request():
    expert = make_expert()
    held = submitted_request()
    served = submitted_request()
    # Nobody travels 200 km for a visit: unmatched, with its reason.
    nobody = submitted_request(easting=750000, video_acceptable=False)
    locked, release = threading.Event(), threading.Event()

    def worker() -> None:
        # A per-request worker busy with ``held``: its row stays locked during the round.
        try:
            with transaction.atomic():
                SupportRequest.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        run = services.matching_round_run(trigger=RunTrigger.COMMAND)
    finally:
        release.set()
        thread.join(timeout=30)

    # The solver gave the expert to both nearby requests; the write skipped the held one.
    [proposal] = Proposal.objects.filter(run=run)
    assert (proposal.request_id, proposal.expert_id) == (served.pk, expert.pk)
    assert list(UnmatchedRequest.objects.filter(run=run).values_list("request_id")) == [
        (nobody.pk,)
    ]
    assert run.requests_considered == 3
    assert (run.matched_count, run.unmatched_count) == (1, 1)
    assert run.objective_value == round(proposal.score * 100)
    held.refresh_from_db()
    assert held.status == "submitted"


POLICY_RACERS = {
    "weight_topics": 11,
    "weight_age": 12,
    "weight_format": 13,
    "weight_distance": 14,
    "weight_availability": 16,
    "weight_urgency": 17,
}


def test_simultaneous_policy_patches_each_build_on_the_version_before(admin_user):
    services.matching_policy_publish(by=admin_user, min_score=50, proposals_per_request=5)
    first = MatchingPolicy.objects.get(is_active=True).version
    answers = race(
        [
            Call(admin_user, "/api/v1/matching-policy", {field: value}, method="patch")
            for field, value in POLICY_RACERS.items()
        ]
    )
    statuses = [answer.status for answer in answers]

    assert statuses == [201] * len(POLICY_RACERS)
    versions = list(MatchingPolicy.objects.filter(version__gt=first).order_by("version"))
    assert [v.version for v in versions] == list(range(first + 1, first + 1 + len(POLICY_RACERS)))
    # Each version is the one before with exactly one racer's change: none started over
    # from the defaults.
    previous = MatchingPolicy.objects.get(version=first)
    for version in versions:
        changed = {
            name
            for name in services.POLICY_FIELDS
            if getattr(version, name) != getattr(previous, name)
        }
        assert len(changed) == 1, changed
        [name] = changed
        assert getattr(version, name) == POLICY_RACERS[name]
        assert (version.min_score, version.proposals_per_request) == (50, 5)
        previous = version
    active = MatchingPolicy.objects.get(is_active=True)
    assert active.version == first + len(POLICY_RACERS)
    assert {name: getattr(active, name) for name in POLICY_RACERS} == POLICY_RACERS

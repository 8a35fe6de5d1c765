"""Matching's invariants, enforced by the database itself: whatever a service or a race
gets wrong, these rows cannot be written."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from exchange.models import ExpertProfile, SupportRequest
from matching.models import MatchingPolicy, MatchingRun, Proposal
from tests.factories import ExpertProfileFactory, SupportRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def support_request() -> SupportRequest:
    return SupportRequestFactory()


@pytest.fixture
def expert() -> ExpertProfile:
    return ExpertProfileFactory()


def proposal(support_request: SupportRequest, expert: ExpertProfile, **fields) -> Proposal:
    now = timezone.now()
    return Proposal.objects.create(
        request=support_request,
        expert=expert,
        policy=MatchingPolicy.objects.get(is_active=True),
        score=50,
        delivery_format="video_call",
        expires_at=now + timedelta(days=14),
        remind_at=now + timedelta(days=10),
        **fields,
    )


@pytest.mark.parametrize("second_status", ["proposed", "accepted"])
@pytest.mark.parametrize("first_status", ["proposed", "accepted"])
def test_one_live_proposal_per_request_and_expert(
    support_request, expert, first_status, second_status
):
    proposal(support_request, expert, status=first_status)

    with pytest.raises(IntegrityError), transaction.atomic():
        proposal(support_request, expert, status=second_status)


@pytest.mark.parametrize("earlier", ["declined", "expired", "withdrawn"])
def test_an_expert_may_be_proposed_again_after_a_decided_proposal(support_request, expert, earlier):
    coded = {"decline_reason": "Busy.", "decline_reason_code": "no_capacity"}
    proposal(support_request, expert, status=earlier, **(coded if earlier == "declined" else {}))

    proposal(support_request, expert)

    assert Proposal.objects.filter(request=support_request, expert=expert).count() == 2


def test_one_accepted_proposal_per_request(support_request, expert):
    proposal(support_request, expert, status="accepted")

    with pytest.raises(IntegrityError), transaction.atomic():
        proposal(support_request, ExpertProfileFactory(), status="accepted")


def test_a_request_may_have_several_undecided_proposals(support_request, expert):
    proposal(support_request, expert, status="accepted")

    proposal(support_request, ExpertProfileFactory())
    proposal(support_request, ExpertProfileFactory())

    assert Proposal.objects.filter(request=support_request).count() == 3


def test_a_decline_must_have_a_reason(support_request, expert):
    with pytest.raises(IntegrityError), transaction.atomic():
        proposal(
            support_request,
            expert,
            status="declined",
            decline_reason="",
            decline_reason_code="no_capacity",
        )

    declined = proposal(
        support_request,
        expert,
        status="declined",
        decline_reason="Busy.",
        decline_reason_code="no_capacity",
    )
    assert declined.decline_reason == "Busy."


@pytest.mark.parametrize(
    ("status", "code"),
    [("declined", ""), ("declined", "busy"), ("expired", "no_capacity"), ("proposed", "other")],
)
def test_a_decline_and_only_a_decline_has_a_known_reason_code(
    support_request, expert, status, code
):
    with pytest.raises(IntegrityError), transaction.atomic():
        proposal(
            support_request, expert, status=status, decline_reason="Busy.", decline_reason_code=code
        )


def test_one_running_matching_run():
    policy = MatchingPolicy.objects.get(is_active=True)
    MatchingRun.objects.create(policy=policy, objective="max_score", trigger="schedule")

    with pytest.raises(IntegrityError), transaction.atomic():
        MatchingRun.objects.create(policy=policy, objective="max_score", trigger="admin")

    for status in ("succeeded", "failed"):
        MatchingRun.objects.create(
            policy=policy, objective="max_score", trigger="admin", status=status
        )
    assert MatchingRun.objects.count() == 3


def test_one_active_matching_policy():
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchingPolicy.objects.create(version=2, is_active=True)

    MatchingPolicy.objects.create(version=2, is_active=False)
    assert MatchingPolicy.objects.filter(is_active=True).count() == 1

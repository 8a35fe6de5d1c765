"""Matching learns from real feedback and outcomes: a school's ratings and the SENCO's
review, given through the API, change the next match's score and its explanation."""

import pytest

from accounts.enums import Role
from exchange.models import ExpertTrackRecord
from matching.models import Proposal
from tests.factories import MembershipFactory, SchoolFactory, SupportRequestFactory
from tests.knowledge.conftest import hold_session

pytestmark = pytest.mark.django_db


def match_new_request(expert, client_for, capture):
    """A new school's request, submitted through the API: the worker proposes the expert.
    Returns the proposal as the school reads it, then withdraws it so the expert's load
    is the same for the next request."""
    senco = MembershipFactory(
        role=Role.SENCO, school=SchoolFactory(easting=550000, northing=280000)
    ).user
    draft = SupportRequestFactory(
        school=senco.memberships.get().school,
        created_by=senco,
        phase="primary",
        format="observation_visit",
        video_acceptable=True,
    )
    client = client_for(senco)
    with capture(execute=True):
        submitted = client.post(f"/api/v1/requests/{draft.pk}/submit", {}, format="json")
    assert submitted.status_code == 200, submitted.content
    proposals = client.get(f"/api/v1/requests/{draft.pk}/proposals").json()
    Proposal.objects.filter(request=draft).update(status="withdrawn")
    [proposal] = [p for p in proposals if p["expert"]["id"] == expert.pk]
    return proposal


def feedback_item(proposal):
    [item] = [c for c in proposal["breakdown"] if c["criterion"] == "feedback"]
    return item


def test_a_schools_ratings_raise_the_experts_next_score_and_say_so(
    expert, client_for, django_capture_on_commit_callbacks, eager_tasks
):
    held = hold_session(expert)
    before = match_new_request(expert, client_for, django_capture_on_commit_callbacks)

    given = client_for(held.senco).post(
        "/api/v1/feedback",
        {"session": held.session.pk, "useful": 5, "practical": 5, "would_recommend": 5},
        format="json",
    )
    assert given.status_code == 201, given.content
    after = match_new_request(expert, client_for, django_capture_on_commit_callbacks)

    assert feedback_item(before)["explanation"] == "no feedback yet"
    assert feedback_item(after)["explanation"] == "rated 5.0/5 after 1 session"
    # The prior 4 shrinks one 5 to (5 + 3·4) / 4 = 4.25: 0.75 → 0.8125 of the weight.
    weight = feedback_item(before)["weight"]
    assert feedback_item(before)["value"] == pytest.approx(0.75)
    assert feedback_item(after)["value"] == pytest.approx(0.8125, abs=1e-3)
    # Only that criterion moved; the score is the points over the weights that apply, × 100.
    applied = sum(c["weight"] for c in before["breakdown"])
    others = [c for c in after["breakdown"] if c["criterion"] != "feedback"]
    assert others == [c for c in before["breakdown"] if c["criterion"] != "feedback"]
    expected = weight * 0.0625 * 100 / applied
    assert after["score"] - before["score"] == pytest.approx(expected, abs=0.01)
    assert "rated 5.0/5 after 1 session" in after["summary"]


def test_a_poor_rating_lowers_the_score_and_a_change_of_mind_counts(
    expert, client_for, django_capture_on_commit_callbacks, eager_tasks
):
    held = hold_session(expert)
    client = client_for(held.senco)
    feedback = client.post(
        "/api/v1/feedback",
        {"session": held.session.pk, "useful": 1, "practical": 2, "would_recommend": 3},
        format="json",
    ).json()
    poor = match_new_request(expert, client_for, django_capture_on_commit_callbacks)
    client.patch(f"/api/v1/feedback/{feedback['id']}", {"useful": 5}, format="json")
    better = match_new_request(expert, client_for, django_capture_on_commit_callbacks)

    assert feedback_item(poor)["explanation"] == "rated 2.0/5 after 1 session"
    assert feedback_item(better)["explanation"] == "rated 3.3/5 after 1 session"
    assert poor["score"] < better["score"]


def test_the_experts_own_feedback_does_not_rate_them(held, client_for):
    client_for(held.expert.user).post(
        "/api/v1/feedback",
        {
            "session": held.session.pk,
            "useful": 5,
            "practical": 5,
            "would_recommend": 5,
            "covered": "Everything.",
            "next_steps": "More.",
        },
        format="json",
    )
    assert not ExpertTrackRecord.objects.filter(expert=held.expert, feedback_count__gt=0).exists()


def test_reviews_feed_the_track_record_and_after_three_the_explanation(
    expert, client_for, django_capture_on_commit_callbacks, eager_tasks
):
    for levels in ([1, 0], [0, 0], [-1, -1]):
        done = hold_session(expert)
        goals = [
            done.request.goals.create(
                position=p, description="d", expected_outcome="e", baseline=-1
            )
            for p in (1, 2)
        ]
        response = client_for(done.senco).post(
            f"/api/v1/requests/{done.request.pk}/review",
            {
                "attainments": [
                    {"goal": g.pk, "attainment": x} for g, x in zip(goals, levels, strict=True)
                ],
                "confidence_after": 4,
                "practice_changed": True,
                "more_support_needed": False,
                "specialist_placement_considered": False,
            },
            format="json",
        )
        assert response.status_code == 201, response.content

    record = ExpertTrackRecord.objects.get(expert=expert)
    assert (record.reviews_count, record.reviews_met_count) == (3, 2)
    proposal = match_new_request(expert, client_for, django_capture_on_commit_callbacks)
    assert feedback_item(proposal)["explanation"] == (
        "no feedback yet; goals met or exceeded in 2 of 3 reviews"
    )
    # The prior rating (0.75) averaged with the shrunk share (2 + 0.75·3) / 6.
    assert feedback_item(proposal)["value"] == pytest.approx((0.75 + 4.25 / 6) / 2, abs=1e-3)

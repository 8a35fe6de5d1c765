"""Why a round left a request unmatched (``matching.unmet``): each finer reason from a round
end to end, the classification itself, and the migration that reclassifies old rows."""

import importlib
from collections import Counter

import pytest
from django.apps import apps
from hypothesis import given
from hypothesis import strategies as st

from exchange.enums import CredentialKind, VerificationStatus
from matching import services
from matching.enums import RunTrigger, UnmatchedReason
from matching.models import MatchingPolicy, MatchingRun, UnmatchedRequest
from matching.scoring import EXCLUSION_LABELS, Exclusion, describe_exclusions
from matching.unmet import unmatched_reason
from tests.factories import SchoolFactory, need
from tests.matching.test_services import make_expert, make_request, place, propose

MIGRATION = importlib.import_module("matching.migrations.0003_unmatched_reasons_finer")


def round_reason(support_request) -> tuple[str, str]:
    run = services.matching_round_run(trigger=RunTrigger.COMMAND)
    row = UnmatchedRequest.objects.get(run=run, request=support_request)
    return row.reason, row.explanation


# --- each reason from a round ----------------------------------------------------------------


@pytest.mark.django_db
def test_nobody_covering_the_need_is_no_qualified_expert():
    make_expert(specialisms=(("SLCN", "lead"),))
    support_request = make_request()

    assert round_reason(support_request) == (
        "no_qualified_expert",
        "No expert covers these needs in this phase.",
    )


@pytest.mark.django_db
def test_a_sensory_need_without_the_mandatory_qualification_is_no_qualified_expert():
    make_expert(specialisms=(("VI", "lead"),))
    support_request = make_request(primary_need=need("VI"))

    assert round_reason(support_request)[0] == "no_qualified_expert"


@pytest.mark.django_db
def test_a_qualified_expert_verified_for_the_sensory_need_is_not_excluded_for_it():
    make_expert(
        specialisms=(("VI", "lead"),),
        credentials=((CredentialKind.MQ_VISION, VerificationStatus.VERIFIED),),
        sessions_per_month=1,
    )
    make_request(primary_need=need("VI"), urgency="urgent")
    second = make_request(primary_need=need("VI"))

    assert round_reason(second)[0] == "capacity_taken"


@pytest.mark.django_db
def test_no_acceptable_format_offered_is_format_not_offered():
    make_expert(offers_observation_visit=False, offers_video_call=False, offers_consultation=True)
    support_request = make_request(format="observation_visit", video_acceptable=False)

    assert round_reason(support_request) == (
        "format_not_offered",
        "No expert could take this request: 1 does not offer an acceptable format.",
    )


@pytest.mark.django_db
def test_beyond_travel_with_video_not_acceptable_is_too_far():
    make_expert(km=100)
    support_request = make_request(video_acceptable=False)

    assert round_reason(support_request)[0] == "too_far"


@pytest.mark.django_db
def test_beyond_the_video_reach_is_too_far():
    make_expert(km=400)
    support_request = make_request(video_acceptable=True)

    reason, explanation = round_reason(support_request)

    assert reason == "too_far"
    assert "beyond the policy's reach for video calls" in explanation


@pytest.mark.django_db
def test_the_only_expert_at_the_requesting_school_is_no_feasible_expert():
    school = SchoolFactory(**place(0))
    make_expert(school=school)
    support_request = make_request(school=school, video_acceptable=False)

    assert round_reason(support_request) == (
        "no_feasible_expert",
        "No expert could take this request: 1 works at the requesting school.",
    )


@pytest.mark.django_db
def test_every_pair_below_the_minimum_is_below_minimum_score():
    MatchingPolicy.objects.filter(is_active=True).update(min_score=100)
    make_expert()
    support_request = make_request()

    assert round_reason(support_request) == (
        "below_minimum_score",
        "No expert could take this request: 1 scored below the policy's minimum.",
    )


@pytest.mark.django_db
def test_capacity_that_went_to_a_higher_scoring_request_is_capacity_taken():
    make_expert(sessions_per_month=1)
    make_request(urgency="urgent")
    routine = make_request(urgency="routine")

    assert round_reason(routine) == (
        "capacity_taken",
        "Every suitable expert's capacity went to requests that scored higher.",
    )


@pytest.mark.django_db
def test_the_reason_is_the_furthest_any_expert_got():
    # One expert lacks the format, one is too far, one was proposed before: the last got
    # furthest, so the request waits on that expert's answer, not on supply.
    make_expert(offers_observation_visit=False, offers_video_call=False, offers_consultation=True)
    make_expert(km=100)
    support_request = make_request(video_acceptable=False)
    declined = make_expert()
    [proposal] = propose(support_request)
    services.proposal_decline(proposal=proposal, by=declined.user, reason="Too busy.")

    reason, explanation = round_reason(support_request)

    assert reason == "proposed_before"
    assert explanation == (
        "No expert could take this request: 1 does not offer an acceptable format; "
        "1 already proposed for it and declined or did not answer; "
        "1 the school is beyond their travel distance for a visit."
    )


# --- the classification ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exclusions", "reason"),
    [
        ({}, "no_qualified_expert"),
        ({Exclusion.NO_CAPACITY: 3}, "no_qualified_expert"),
        ({Exclusion.MANDATORY_QUALIFICATION: 2}, "no_qualified_expert"),
        ({Exclusion.OWN_TRUST: 1, Exclusion.MANDATORY_QUALIFICATION: 4}, "no_feasible_expert"),
        ({Exclusion.FORMAT: 1, Exclusion.OWN_SCHOOL: 1}, "format_not_offered"),
        ({Exclusion.SAFEGUARDING: 2, Exclusion.FORMAT: 1}, "no_feasible_expert"),
        ({Exclusion.SAFEGUARDING: 2, Exclusion.TOO_FAR: 1}, "too_far"),
        ({Exclusion.OUT_OF_REACH: 1, Exclusion.FORMAT: 5}, "too_far"),
        ({Exclusion.PROPOSED_BEFORE: 1, Exclusion.TOO_FAR: 9}, "proposed_before"),
        ({Exclusion.LOW_SCORE: 1, Exclusion.PROPOSED_BEFORE: 1}, "below_minimum_score"),
        ({Exclusion.LOW_SCORE: 0, Exclusion.FORMAT: 1}, "format_not_offered"),
    ],
)
def test_unmatched_reason(exclusions, reason):
    assert unmatched_reason(Counter(exclusions)) == reason


ROUND_EXCLUSIONS = sorted(set(EXCLUSION_LABELS) - {Exclusion.NO_NEED_OVERLAP, Exclusion.PHASE})


@given(st.dictionaries(st.sampled_from(ROUND_EXCLUSIONS), st.integers(1, 50)))
def test_the_migration_reads_back_from_an_explanation_the_reason_a_round_gives(exclusions):
    assert MIGRATION.reason_from(describe_exclusions(exclusions)) == unmatched_reason(exclusions)


def test_every_reason_a_round_gives_is_a_choice():
    given_reasons = {unmatched_reason({code: 1}) for code in ROUND_EXCLUSIONS}
    assert given_reasons | {"capacity_taken"} == set(UnmatchedReason.values)


@pytest.mark.django_db
def test_the_migration_reclassifies_old_rows_from_their_explanation_and_back():
    run = MatchingRun.objects.create(
        policy=MatchingPolicy.objects.get(is_active=True),
        objective="max_score",
        trigger="command",
        status="succeeded",
    )
    far, nobody, own, odd, taken = (make_request() for _ in range(5))
    explanations = {
        far: describe_exclusions({Exclusion.TOO_FAR: 2, Exclusion.FORMAT: 1}),
        nobody: describe_exclusions({}),
        own: describe_exclusions({Exclusion.OWN_SCHOOL: 1}),
        odd: "Written by hand.",
    }
    for request, explanation in explanations.items():
        UnmatchedRequest.objects.create(
            run=run, request=request, reason="no_feasible_expert", explanation=explanation
        )
    UnmatchedRequest.objects.create(run=run, request=taken, reason="capacity_taken")

    MIGRATION.reclassify(apps, None)

    reasons = dict(UnmatchedRequest.objects.values_list("request_id", "reason"))
    assert reasons == {
        far.pk: "too_far",
        nobody.pk: "no_qualified_expert",
        own.pk: "no_feasible_expert",
        odd.pk: "no_feasible_expert",
        taken.pk: "capacity_taken",
    }

    MIGRATION.coarsen(apps, None)

    reasons = dict(UnmatchedRequest.objects.values_list("request_id", "reason"))
    assert reasons == {**dict.fromkeys(reasons, "no_feasible_expert"), taken.pk: "capacity_taken"}

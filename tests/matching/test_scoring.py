"""The matching score: hard constraints, each weighted criterion, explanations and ranking.

Pure functions over dataclasses, so no database: facts are built with ``expert()`` and
``request()``, sensible defaults overridden per test.
"""

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.enums import (
    LEVEL_RANK,
    MANDATORY_QUALIFICATION_FOR_NEED,
    CredentialKind,
    EducationPhase,
    Format,
    RequestFormat,
    Urgency,
)
from matching.scoring import (
    Criterion,
    Excluded,
    Exclusion,
    ExpertFacts,
    Match,
    RequestFacts,
    ScoringPolicy,
    Weights,
    age_criterion,
    availability_criterion,
    describe_exclusions,
    distance_criterion,
    distance_km,
    evaluate,
    fairness_criterion,
    feedback_criterion,
    format_criterion,
    needs_criterion,
    rank,
    topics_criterion,
    urgency_criterion,
    usable_needs,
)

# A Monday: the availability horizon (3 weeks) runs to Monday 24 March, exclusive.
TODAY = date(2025, 3, 3)
TUESDAY = date(2025, 3, 4)
WEDNESDAY = date(2025, 3, 5)
SATURDAY = date(2025, 3, 8)
POLICY = ScoringPolicy()
ALL_FORMATS = frozenset(Format)
# Somewhere in London, in British National Grid metres.
EASTING, NORTHING = 530_000, 180_000


def hours(start: float, end: float) -> tuple[int, int]:
    """Minutes after midnight for a window given in hours: ``hours(13, 16)``."""
    return int(start * 60), int(end * 60)


def expert(**overrides) -> ExpertFacts:
    """A verified, available ASD lead in primary who offers every format, at the school gate."""
    facts = ExpertFacts(
        id=1,
        school_urn=100_001,
        trust_id=None,
        easting=EASTING,
        northing=NORTHING,
        is_verified=True,
        is_suspended=False,
        is_paused=False,
        formats=ALL_FORMATS,
        phases=frozenset({EducationPhase.PRIMARY}),
        age_min=4,
        age_max=11,
        max_travel_km=20,
        need_levels={"ASD": 4},
        topic_levels={},
        verified_credentials=frozenset({CredentialKind.QTS}),
        safeguarding_expires_on=TODAY + timedelta(days=365),
        capacity=4,
        load=0,
    )
    return replace(facts, **overrides)


def request(**overrides) -> RequestFacts:
    """A routine primary ASD consultation from another school at the same spot."""
    facts = RequestFacts(
        id=10,
        school_urn=200_002,
        trust_id=None,
        easting=EASTING,
        northing=NORTHING,
        primary_need="ASD",
        needs=frozenset({"ASD"}),
        topics=frozenset(),
        phase=EducationPhase.PRIMARY,
        ages=(7, 8),
        format=RequestFormat.CONSULTATION,
        video_acceptable=False,
        urgency=Urgency.ROUTINE,
    )
    return replace(facts, **overrides)


def at_km(east_km: float, north_km: float = 0) -> dict[str, int]:
    """Coordinates offset from the default location, for an expert override."""
    return {
        "easting": EASTING + round(east_km * 1000),
        "northing": NORTHING + round(north_km * 1000),
    }


def matched(req: RequestFacts, exp: ExpertFacts, policy: ScoringPolicy = POLICY) -> Match:
    result = evaluate(req, exp, policy, TODAY)
    assert isinstance(result, Match), result
    return result


def excluded_reason(req: RequestFacts, exp: ExpertFacts, policy: ScoringPolicy = POLICY) -> str:
    result = evaluate(req, exp, policy, TODAY)
    assert isinstance(result, Excluded), result
    assert (result.request_id, result.expert_id) == (req.id, exp.id)
    return result.reason


def criterion(match: Match, name: str):
    return next(c for c in match.criteria if c.criterion == name)


# --- hard constraints ----------------------------------------------------------------------


def test_the_default_facts_make_a_feasible_pair():
    match = matched(request(), expert())

    assert match.delivery_format == Format.CONSULTATION
    assert match.distance_km == 0


@pytest.mark.parametrize(
    "overrides",
    [{"is_verified": False}, {"is_suspended": True}, {"is_paused": True}],
    ids=["unverified", "suspended", "paused"],
)
def test_expert_not_accepting_work_is_excluded(overrides):
    assert excluded_reason(request(), expert(**overrides)) == Exclusion.NOT_ACCEPTING


@pytest.mark.parametrize(
    ("capacity", "load"), [(2, 2), (2, 3), (0, 0)], ids=["full", "over", "zero"]
)
def test_expert_without_remaining_capacity_is_excluded(capacity, load):
    assert excluded_reason(request(), expert(capacity=capacity, load=load)) == (
        Exclusion.NO_CAPACITY
    )


def test_expert_with_one_session_left_is_not_excluded_for_capacity():
    matched(request(), expert(capacity=2, load=1))


def test_expert_at_the_requesting_school_is_excluded_by_default():
    own = expert(school_urn=request().school_urn)

    assert excluded_reason(request(), own) == Exclusion.OWN_SCHOOL


def test_expert_at_the_requesting_school_is_allowed_when_the_policy_allows_it():
    own = expert(school_urn=request().school_urn)

    matched(request(), own, ScoringPolicy(allow_own_school=True))


def test_expert_in_the_requesting_trust_is_allowed_by_default():
    matched(request(trust_id=7), expert(trust_id=7))


def test_expert_in_the_requesting_trust_is_excluded_when_the_policy_forbids_it():
    policy = ScoringPolicy(allow_own_trust=False)

    assert excluded_reason(request(trust_id=7), expert(trust_id=7), policy) == Exclusion.OWN_TRUST


def test_two_schools_outside_any_trust_are_not_the_same_trust():
    matched(request(trust_id=None), expert(trust_id=None), ScoringPolicy(allow_own_trust=False))


def test_expert_in_another_trust_is_allowed_when_own_trust_is_forbidden():
    matched(request(trust_id=7), expert(trust_id=8), ScoringPolicy(allow_own_trust=False))


def test_expert_covering_none_of_the_needs_is_excluded():
    req = request(primary_need="SLCN", needs=frozenset({"SLCN", "SEMH"}))

    assert excluded_reason(req, expert(need_levels={"ASD": 4, "MLD": 2})) == (
        Exclusion.NO_NEED_OVERLAP
    )


def test_expert_covering_only_a_secondary_need_is_not_excluded():
    req = request(primary_need="SLCN", needs=frozenset({"SLCN", "ASD"}))

    matched(req, expert(need_levels={"ASD": 2}))


@pytest.mark.parametrize("need", ["HI", "VI", "MSI"])
def test_sensory_primary_need_requires_the_mandatory_qualification(need):
    req = request(primary_need=need, needs=frozenset({need}))
    claims = expert(need_levels={need: 4})

    assert excluded_reason(req, claims) == Exclusion.MANDATORY_QUALIFICATION


@pytest.mark.parametrize("need", ["HI", "VI", "MSI"])
def test_sensory_primary_need_is_matched_with_the_mandatory_qualification(need):
    req = request(primary_need=need, needs=frozenset({need}))
    qualified = expert(
        need_levels={need: 4},
        verified_credentials=frozenset({MANDATORY_QUALIFICATION_FOR_NEED[need]}),
    )

    assert criterion(matched(req, qualified), Criterion.NEEDS).value == 1.0


def test_the_wrong_mandatory_qualification_does_not_count():
    req = request(primary_need="HI", needs=frozenset({"HI"}))
    wrong = expert(
        need_levels={"HI": 4}, verified_credentials=frozenset({CredentialKind.MQ_VISION})
    )

    assert excluded_reason(req, wrong) == Exclusion.MANDATORY_QUALIFICATION


def test_usable_needs_drops_a_sensory_claim_without_its_qualification():
    claims = {"HI": 4, "VI": 3, "ASD": 2}

    assert usable_needs(expert(need_levels=claims)) == {"ASD": 2}
    assert usable_needs(
        expert(need_levels=claims, verified_credentials=frozenset({CredentialKind.MQ_VISION}))
    ) == {"VI": 3, "ASD": 2}


def test_sensory_claim_without_qualification_does_not_overlap_a_secondary_need():
    req = request(primary_need="ASD", needs=frozenset({"ASD", "HI"}))

    assert excluded_reason(req, expert(need_levels={"HI": 4})) == Exclusion.NO_NEED_OVERLAP


def test_sensory_claim_without_qualification_does_not_count_towards_coverage():
    req = request(primary_need="ASD", needs=frozenset({"ASD", "HI"}))
    unqualified = expert(need_levels={"ASD": 4, "HI": 4})
    qualified = replace(unqualified, verified_credentials=frozenset({CredentialKind.MQ_HEARING}))

    without = criterion(matched(req, unqualified), Criterion.NEEDS)
    with_mq = criterion(matched(req, qualified), Criterion.NEEDS)

    assert without.value == pytest.approx(2 / 3)
    assert without.explanation == "covers ASD at lead level; not HI"
    assert with_mq.value == 1.0


def test_expert_not_working_in_the_phase_is_excluded():
    secondary_only = expert(phases=frozenset({EducationPhase.SECONDARY}))

    assert excluded_reason(request(), secondary_only) == Exclusion.PHASE


def test_expert_not_offering_the_format_is_excluded():
    req = request(format=RequestFormat.STAFF_TRAINING)

    assert excluded_reason(req, expert(formats=frozenset({Format.CONSULTATION}))) == (
        Exclusion.FORMAT
    )


def test_video_is_not_offered_instead_unless_the_school_accepts_it():
    req = request(format=RequestFormat.CONSULTATION, video_acceptable=False)

    assert excluded_reason(req, expert(formats=frozenset({Format.VIDEO_CALL}))) == (
        Exclusion.FORMAT
    )


@pytest.mark.parametrize(
    "expires_on", [TODAY - timedelta(days=1), None], ids=["expired-yesterday", "never-confirmed"]
)
def test_visit_without_current_safeguarding_is_excluded(expires_on):
    req = request(format=RequestFormat.OBSERVATION_VISIT)

    assert excluded_reason(req, expert(safeguarding_expires_on=expires_on)) == (
        Exclusion.SAFEGUARDING
    )


def test_safeguarding_expiring_today_is_still_current():
    req = request(format=RequestFormat.OBSERVATION_VISIT)

    match = matched(req, expert(safeguarding_expires_on=TODAY))

    assert match.delivery_format == Format.OBSERVATION_VISIT


def test_remote_consultation_needs_no_safeguarding_confirmation():
    matched(request(), expert(safeguarding_expires_on=None))


def test_visit_beyond_the_experts_travel_distance_is_excluded():
    req = request(format=RequestFormat.STAFF_TRAINING)

    assert excluded_reason(req, expert(max_travel_km=20, **at_km(20.5))) == Exclusion.TOO_FAR


def test_visit_at_exactly_the_travel_distance_is_allowed():
    req = request(format=RequestFormat.OBSERVATION_VISIT)

    match = matched(req, expert(max_travel_km=20, **at_km(12, 16)))

    assert match.distance_km == pytest.approx(20.0)
    assert match.delivery_format == Format.OBSERVATION_VISIT


def test_visit_to_a_school_of_unknown_location_is_excluded():
    req = request(format=RequestFormat.OBSERVATION_VISIT, easting=None, northing=None)

    assert excluded_reason(req, expert()) == Exclusion.TOO_FAR


def test_visit_too_far_falls_back_to_a_video_call_when_video_is_acceptable():
    req = request(format=RequestFormat.OBSERVATION_VISIT, video_acceptable=True)

    match = matched(req, expert(max_travel_km=20, **at_km(30)))

    assert match.delivery_format == Format.VIDEO_CALL
    fit = criterion(match, Criterion.FORMAT)
    assert fit.value == 0.5
    assert fit.explanation == "offers a video call instead of an observation visit"
    # Distance is then judged against the policy's video reach, not the travel distance.
    assert criterion(match, Criterion.DISTANCE).value == pytest.approx(1 - 30 / 150)


def test_visit_without_safeguarding_falls_back_to_a_video_call_when_video_is_acceptable():
    req = request(format=RequestFormat.STAFF_TRAINING, video_acceptable=True)

    match = matched(req, expert(safeguarding_expires_on=None))

    assert match.delivery_format == Format.VIDEO_CALL
    assert criterion(match, Criterion.FORMAT).explanation == (
        "offers a video call instead of staff training"
    )


def test_fallback_keeps_the_visit_reason_when_the_expert_offers_no_video():
    req = request(format=RequestFormat.OBSERVATION_VISIT, video_acceptable=True)
    visits_only = expert(formats=frozenset({Format.OBSERVATION_VISIT}), **at_km(30))

    assert excluded_reason(req, visits_only) == Exclusion.TOO_FAR


@pytest.mark.parametrize("asked", [RequestFormat.VIDEO_CALL, RequestFormat.CONSULTATION])
def test_remote_formats_beyond_the_policy_video_reach_are_excluded(asked):
    req = request(format=asked)

    assert excluded_reason(req, expert(**at_km(150.5))) == Exclusion.OUT_OF_REACH
    assert excluded_reason(req, expert(**at_km(70)), ScoringPolicy(video_reach_km=60)) == (
        Exclusion.OUT_OF_REACH
    )


def test_remote_format_at_exactly_the_video_reach_is_allowed():
    match = matched(request(format=RequestFormat.VIDEO_CALL), expert(**at_km(90, 120)))

    assert match.distance_km == pytest.approx(150.0)
    assert criterion(match, Criterion.DISTANCE).value == pytest.approx(0.0)


def test_remote_format_for_a_school_of_unknown_location_is_allowed():
    match = matched(request(format=RequestFormat.VIDEO_CALL, easting=None), expert())

    assert match.distance_km is None
    assert criterion(match, Criterion.DISTANCE).explanation == "distance unknown"


def test_any_format_prefers_a_visit_when_the_expert_can_make_one():
    match = matched(request(format=RequestFormat.ANY), expert())

    assert match.delivery_format == Format.OBSERVATION_VISIT
    assert criterion(match, Criterion.FORMAT).value == 1.0
    assert criterion(match, Criterion.FORMAT).explanation == "offers an observation visit"


def test_any_format_moves_on_past_a_visit_the_expert_cannot_make():
    far = expert(**at_km(50))

    match = matched(request(format=RequestFormat.ANY), far)

    assert match.delivery_format == Format.CONSULTATION
    assert criterion(match, Criterion.FORMAT).value == 1.0


def test_hard_constraints_are_checked_before_the_format():
    req = request(format=RequestFormat.OBSERVATION_VISIT)
    both = expert(is_paused=True, safeguarding_expires_on=None)

    assert excluded_reason(req, both) == Exclusion.NOT_ACCEPTING


def test_an_exclusion_explains_itself():
    result = evaluate(request(), expert(is_paused=True), POLICY, TODAY)

    assert isinstance(result, Excluded)
    assert result.explanation == "not accepting work (unverified, suspended or paused)"


# --- needs and topics ----------------------------------------------------------------------


def test_primary_need_counts_double_and_level_scales_the_coverage():
    req = request(primary_need="ASD", needs=frozenset({"ASD", "SLCN", "SEMH"}))
    exp = expert(need_levels={"ASD": 4, "SLCN": 2})

    score = needs_criterion(req, exp, weight=30)

    # (2 × 4/4 + 1 × 2/4 + 1 × 0) / (2 + 1 + 1)
    assert score.value == pytest.approx(0.625)
    assert score.weight == 30
    assert score.explanation == "covers ASD at lead level, SLCN at practitioner level; not SEMH"


def test_covering_only_a_secondary_need_scores_a_quarter():
    req = request(primary_need="ASD", needs=frozenset({"ASD", "SLCN"}))

    score = needs_criterion(req, expert(need_levels={"SLCN": 3}), weight=30)

    assert score.value == pytest.approx(1 * 3 / 4 / 3)
    assert score.explanation == "covers SLCN at specialist level; not ASD"


@pytest.mark.parametrize(("level", "rank_"), LEVEL_RANK.items())
def test_need_coverage_scales_with_level(level, rank_):
    score = needs_criterion(request(), expert(need_levels={"ASD": rank_}), weight=30)

    assert score.value == pytest.approx(rank_ / 4)
    assert score.explanation == f"covers ASD at {level} level"


def test_lead_counts_fully_and_practitioner_half():
    lead = needs_criterion(request(), expert(need_levels={"ASD": 4}), weight=30)
    practitioner = needs_criterion(request(), expert(need_levels={"ASD": 2}), weight=30)

    assert (lead.value, practitioner.value) == (1.0, 0.5)


def test_needs_explanation_when_nothing_is_covered():
    score = needs_criterion(request(), expert(need_levels={"MLD": 4}), weight=30)

    assert score.value == 0.0
    assert score.explanation == "covers none of the needs (ASD)"


def test_topics_are_not_applicable_when_the_school_named_none():
    score = topics_criterion(request(topics=frozenset()), expert(), weight=10)

    assert (score.weight, score.value, score.explanation) == (0, 0.0, "no topics named")


def test_topic_coverage_is_the_level_scaled_share_with_readable_labels():
    req = request(topics=frozenset({"sensory-regulation", "visual_timetables"}))
    exp = expert(topic_levels={"sensory-regulation": 3, "aac": 4})

    score = topics_criterion(req, exp, weight=10)

    assert score.weight == 10
    assert score.value == pytest.approx(0.5 * 3 / 4)
    assert (
        score.explanation == "covers sensory regulation at specialist level; not visual timetables"
    )


def test_topics_explanation_when_none_is_covered():
    score = topics_criterion(request(topics=frozenset({"aac"})), expert(), weight=10)

    assert score.value == 0.0
    assert score.explanation == "covers none of the topics (aac)"


# --- age, format, distance -----------------------------------------------------------------


def test_age_fit_is_the_share_of_ages_inside_the_experts_range():
    score = age_criterion(request(ages=(4, 5, 6, 7)), expert(age_min=5, age_max=11), weight=10)

    assert score.value == 0.75
    assert score.explanation == "works with ages 5–11: 3 of 4 ages covered"


def test_age_fit_is_full_when_every_age_is_inside_the_range_inclusive():
    score = age_criterion(request(ages=(5, 11)), expert(age_min=5, age_max=11), weight=10)

    assert score.value == 1.0
    assert score.explanation == "works with ages 5–11, as your pupils"


def test_age_fit_is_full_when_no_year_groups_are_given():
    score = age_criterion(request(ages=()), expert(age_min=5, age_max=11), weight=10)

    assert score.value == 1.0
    assert score.explanation == "works with ages 5–11; no year groups given"


def test_age_fit_is_zero_when_no_age_is_inside_the_range():
    score = age_criterion(request(ages=(14, 15)), expert(age_min=5, age_max=11), weight=10)

    assert score.value == 0.0


@pytest.mark.parametrize(
    ("asked", "delivered", "value", "text"),
    [
        (RequestFormat.CONSULTATION, Format.CONSULTATION, 1.0, "offers a consultation"),
        (RequestFormat.ANY, Format.STAFF_TRAINING, 1.0, "offers staff training"),
        (RequestFormat.VIDEO_CALL, Format.VIDEO_CALL, 1.0, "offers a video call"),
        (
            RequestFormat.CONSULTATION,
            Format.VIDEO_CALL,
            0.5,
            "offers a video call instead of a consultation",
        ),
    ],
)
def test_format_fit(asked, delivered, value, text):
    score = format_criterion(request(format=asked), delivered, weight=10)

    assert (score.value, score.explanation) == (value, text)


def test_distance_is_computed_from_national_grid_metres():
    assert distance_km(request(), expert(**at_km(3, 4))) == pytest.approx(5.0)
    assert distance_km(request(easting=None), expert()) is None
    assert distance_km(request(), expert(northing=None)) is None


@pytest.mark.parametrize(
    ("km", "value"), [(0, 1.0), (5, 0.75), (10, 0.5), (20, 0.0)], ids=["gate", "5", "10", "reach"]
)
def test_distance_for_a_visit_is_linear_to_the_travel_distance(km, value):
    score = distance_criterion(
        km, expert(max_travel_km=20), Format.OBSERVATION_VISIT, POLICY, weight=15
    )

    assert score.value == pytest.approx(value)


@pytest.mark.parametrize(("km", "value"), [(0, 1.0), (30, 0.8), (75, 0.5), (150, 0.0), (400, 0.0)])
def test_distance_for_remote_formats_is_linear_to_the_policy_video_reach(km, value):
    for delivery in (Format.VIDEO_CALL, Format.CONSULTATION):
        score = distance_criterion(km, expert(max_travel_km=20), delivery, POLICY, weight=15)

        assert score.value == pytest.approx(value)


def test_video_reach_comes_from_the_policy():
    policy = ScoringPolicy(video_reach_km=60)

    score = distance_criterion(15, expert(), Format.VIDEO_CALL, policy, weight=15)

    assert score.value == pytest.approx(0.75)


def test_unknown_distance_scores_zero():
    score = distance_criterion(None, expert(), Format.VIDEO_CALL, POLICY, weight=15)

    assert (score.value, score.explanation) == (0.0, "distance unknown")


def test_distance_explanation_for_an_exact_offset():
    match = matched(request(), expert(**at_km(7.2)))

    assert match.distance_km == pytest.approx(7.2)
    assert criterion(match, Criterion.DISTANCE).explanation == "7.2 km away"


def test_distance_explanation_rounds_to_one_decimal():
    score = distance_criterion(12.345, expert(), Format.VIDEO_CALL, POLICY, weight=15)

    assert score.explanation == "12.3 km away"


# --- availability --------------------------------------------------------------------------

TUESDAY_AFTERNOON = (1, *hours(13, 16))


def available(**overrides) -> ExpertFacts:
    return expert(weekly_windows=(TUESDAY_AFTERNOON,), **overrides)


def score_availability(req: RequestFacts, exp: ExpertFacts, policy: ScoringPolicy = POLICY):
    return availability_criterion(req, exp, policy, TODAY, weight=10)


def test_preferred_time_inside_a_weekly_window_fits():
    req = request(preferred_windows=((TUESDAY, *hours(14, 15)),))

    score = score_availability(req, available())

    assert score.value == 1.0
    assert score.explanation == "free in 1 of your 1 preferred times in the next 3 weeks"


def test_preferred_time_overlapping_a_window_by_less_than_a_session_does_not_fit():
    too_short = (TUESDAY, *hours(15.5, 17))
    long_enough = (TUESDAY + timedelta(weeks=1), *hours(15, 17))
    req = request(preferred_windows=(too_short, long_enough))

    score = score_availability(req, available())

    assert score.value == 0.5
    assert score.explanation == "free in 1 of your 2 preferred times in the next 3 weeks"


def test_session_length_comes_from_the_policy():
    req = request(preferred_windows=((TUESDAY, *hours(15.5, 17)),))

    score = score_availability(req, available(), ScoringPolicy(session_minutes=30))

    assert score.value == 1.0


def test_preferred_time_on_another_weekday_does_not_fit():
    req = request(preferred_windows=((WEDNESDAY, *hours(13, 16)),))

    assert score_availability(req, available()).value == 0.0


def test_preferred_time_on_an_unavailable_date_does_not_fit():
    next_tuesday = TUESDAY + timedelta(weeks=1)
    req = request(preferred_windows=((TUESDAY, *hours(13, 15)), (next_tuesday, *hours(13, 15))))

    score = score_availability(req, available(unavailable_dates=frozenset({TUESDAY})))

    assert score.value == 0.5


def test_preferred_time_at_a_weekend_does_not_fit():
    req = request(preferred_windows=((SATURDAY, *hours(10, 12)), (TUESDAY, *hours(13, 14))))
    every_day = expert(weekly_windows=tuple((day, *hours(9, 17)) for day in range(5)))

    assert score_availability(req, every_day).value == 0.5


def test_only_preferred_times_inside_the_horizon_count():
    inside = [(TUESDAY + timedelta(weeks=w), *hours(13, 15)) for w in range(3)]
    outside = [
        (TUESDAY + timedelta(weeks=3), *hours(13, 15)),  # 25 March: past the horizon
        (TUESDAY - timedelta(weeks=1), *hours(13, 15)),  # already gone
        (WEDNESDAY + timedelta(weeks=3), *hours(13, 15)),
    ]
    req = request(preferred_windows=(*inside, *outside))

    score = score_availability(req, available(unavailable_dates=frozenset({TUESDAY})))

    assert score.value == pytest.approx(2 / 3)
    assert score.explanation == "free in 2 of your 3 preferred times in the next 3 weeks"


def test_today_is_inside_the_horizon_and_the_horizon_end_is_not():
    monday = (0, *hours(9, 12))
    horizon = TODAY + timedelta(weeks=3)
    req = request(preferred_windows=((TODAY, *hours(9, 10)), (horizon, *hours(9, 10))))

    score = score_availability(req, expert(weekly_windows=(monday,)))

    assert score.value == 1.0
    assert score.explanation == "free in 1 of your 1 preferred times in the next 3 weeks"


def test_preferred_times_all_beyond_the_horizon_fall_back_to_weekly_minutes():
    req = request(preferred_windows=((TUESDAY + timedelta(weeks=5), *hours(9, 10)),))

    score = score_availability(req, available())

    assert score.value == pytest.approx(180 / 240)


def test_without_preferred_times_weekly_minutes_count_towards_the_target():
    score = score_availability(request(), available())

    assert score.value == pytest.approx(180 / 240)
    assert score.explanation == "free on Tuesday afternoons in the next 3 weeks"


def test_weekly_minutes_are_capped_at_full_availability():
    windows = ((0, *hours(9, 12)), (3, *hours(9, 12)))

    assert score_availability(request(), expert(weekly_windows=windows)).value == 1.0


def test_availability_target_comes_from_the_policy():
    policy = ScoringPolicy(availability_target_minutes=360)

    assert score_availability(request(), available(), policy).value == pytest.approx(0.5)


def test_weekly_windows_are_spoken_by_day_and_part_of_day():
    windows = (
        (3, *hours(9, 10)),
        TUESDAY_AFTERNOON,
        (0, *hours(8.5, 11)),
        (0, *hours(10, 11.5)),  # a second Monday morning window is said once
    )

    score = score_availability(request(), expert(weekly_windows=windows))

    assert score.explanation == (
        "free on Monday mornings, Tuesday afternoons and Thursday mornings in the next 3 weeks"
    )


def test_a_window_starting_at_noon_is_an_afternoon():
    score = score_availability(request(), expert(weekly_windows=((4, *hours(12, 13)),)))

    assert score.explanation == "free on Friday afternoons in the next 3 weeks"


def test_mornings_are_spoken_before_afternoons_of_the_same_day():
    windows = (TUESDAY_AFTERNOON, (1, *hours(9, 11)))

    score = score_availability(request(), expert(weekly_windows=windows))

    assert score.explanation == (
        "free on Tuesday mornings and Tuesday afternoons in the next 3 weeks"
    )


def test_weekly_time_on_unavailable_dates_does_not_count():
    away = frozenset(TUESDAY + timedelta(weeks=week) for week in range(3))

    score = score_availability(request(), available(unavailable_dates=away))

    assert score.value == 0.0


def test_no_weekly_availability_scores_zero():
    score = score_availability(request(), expert(weekly_windows=()))

    assert (score.value, score.explanation) == (0.0, "no weekly availability set")


def test_horizon_weeks_come_from_the_policy():
    req = request(preferred_windows=((TUESDAY + timedelta(weeks=4), *hours(13, 15)),))

    score = score_availability(req, available(), ScoringPolicy(availability_weeks=6))

    assert score.explanation == "free in 1 of your 1 preferred times in the next 6 weeks"


# --- urgency, feedback, fairness -----------------------------------------------------------


@pytest.mark.parametrize(
    ("urgency", "days", "value", "text"),
    [
        (Urgency.URGENT, 0, 1.0, "urgent, waiting 0 days"),
        (Urgency.SOON, 0, 0.6, "soon, waiting 0 days"),
        (Urgency.ROUTINE, 0, 0.3, "routine, waiting 0 days"),
        (Urgency.ROUTINE, 12, 0.5, "routine, waiting 12 days"),
        (Urgency.SOON, 24, 1.0, "soon, waiting 24 days"),
        (Urgency.SOON, 30, 1.0, "soon, waiting 30 days"),
        (Urgency.URGENT, 90, 1.0, "urgent, waiting 90 days"),
    ],
)
def test_urgency_grows_with_waiting_and_is_capped_at_one(urgency, days, value, text):
    score = urgency_criterion(request(urgency=urgency, days_waiting=days), weight=5)

    assert score.value == pytest.approx(value)
    assert score.explanation == text


@pytest.mark.parametrize(
    ("total", "count", "value", "text"),
    [
        (0.0, 0, 0.75, "no feedback yet"),
        (5.0, 1, (17 / 4 - 1) / 4, "rated 5.0/5 after 1 session"),
        (1.0, 1, (13 / 4 - 1) / 4, "rated 1.0/5 after 1 session"),
        (9.0, 2, 0.8, "rated 4.5/5 after 2 sessions"),
        (50.0, 10, (62 / 13 - 1) / 4, "rated 5.0/5 after 10 sessions"),
    ],
    ids=["none", "one-five", "one-one", "two", "ten-fives"],
)
def test_feedback_is_shrunk_towards_a_prior_of_four(total, count, value, text):
    score = feedback_criterion(expert(feedback_sum=total, feedback_count=count), weight=5)

    assert score.value == pytest.approx(value)
    assert score.explanation == text


@pytest.mark.parametrize(
    ("reviews", "met", "value", "text"),
    [
        # Fewer than three reviews: the rating alone, and no word of outcomes.
        (2, 2, 0.8, "rated 4.5/5 after 2 sessions"),
        # Five of six met: share (5 + 0.75·3) / 9, averaged with the rating's 0.8.
        (
            6,
            5,
            (0.8 + (5 + 2.25) / 9) / 2,
            "rated 4.5/5 after 2 sessions; goals met or exceeded in 5 of 6 reviews",
        ),
        (
            3,
            0,
            (0.8 + 2.25 / 6) / 2,
            "rated 4.5/5 after 2 sessions; goals met or exceeded in 0 of 3 reviews",
        ),
    ],
    ids=["too-few", "five-of-six", "none-met"],
)
def test_outcomes_count_once_there_are_enough_reviews(reviews, met, value, text):
    facts = expert(feedback_sum=9.0, feedback_count=2, outcome_reviews=reviews, outcomes_met=met)
    score = feedback_criterion(facts, weight=5)

    assert score.value == pytest.approx(value)
    assert score.explanation == text


def test_outcomes_alone_speak_when_there_is_no_feedback():
    facts = expert(outcome_reviews=4, outcomes_met=4)
    score = feedback_criterion(facts, weight=5)

    assert score.value == pytest.approx((0.75 + (4 + 2.25) / 7) / 2)
    assert score.explanation == "no feedback yet; goals met or exceeded in 4 of 4 reviews"


def test_a_long_record_of_fives_outranks_one_glowing_review():
    one = feedback_criterion(expert(feedback_sum=5.0, feedback_count=1), weight=5)
    many = feedback_criterion(expert(feedback_sum=50.0, feedback_count=10), weight=5)

    assert many.value > one.value > 0.75


@pytest.mark.parametrize(
    ("load", "capacity", "received", "value"),
    [
        (0, 4, 0, 1.0),
        (1, 4, 0, (0.75 + 1) / 2),
        (3, 4, 1, (0.25 + 0.5) / 2),
        (0, 4, 3, (1 + 0.25) / 2),
        (4, 4, 0, 0.5),
        (0, 0, 0, 0.5),
    ],
)
def test_fairness_halves_expert_load_and_school_sessions(load, capacity, received, value):
    score = fairness_criterion(
        request(school_sessions_received=received),
        expert(load=load, capacity=capacity),
        weight=5,
    )

    assert score.value == pytest.approx(value)


def test_fairness_explanation():
    none_yet = fairness_criterion(request(), expert(load=1, capacity=4), weight=5)
    some = fairness_criterion(
        request(school_sessions_received=3), expert(load=2, capacity=5), weight=5
    )

    assert none_yet.explanation == (
        "1 of 4 sessions this month taken; your school has had no sessions recently"
    )
    assert some.explanation == (
        "2 of 5 sessions this month taken; your school has had 3 sessions recently"
    )


@pytest.mark.parametrize(
    ("explain", "expected"),
    [
        (
            lambda: urgency_criterion(request(days_waiting=1), weight=5),
            "routine, waiting 1 day",
        ),
        (
            lambda: feedback_criterion(expert(feedback_sum=4.0, feedback_count=1), weight=5),
            "rated 4.0/5 after 1 session",
        ),
        (
            lambda: fairness_criterion(request(school_sessions_received=1), expert(), weight=5),
            "0 of 4 sessions this month taken; your school has had 1 session recently",
        ),
    ],
    ids=["urgency", "feedback", "fairness"],
)
def test_explanations_use_the_singular_for_one(explain, expected):
    assert explain().explanation == expected


# --- the total -----------------------------------------------------------------------------


def scenario() -> tuple[RequestFacts, ExpertFacts]:
    """Every criterion at a different, hand-computable value."""
    req = request(ages=(3, 4, 5, 6), urgency=Urgency.ROUTINE)
    exp = expert(age_min=4, age_max=11, weekly_windows=((2, *hours(13, 15)),), **at_km(18, 24))
    return req, exp


def test_score_is_the_weighted_mean_on_a_0_to_100_scale_without_non_applicable_criteria():
    req, exp = scenario()

    match = matched(req, exp)

    values = {c.criterion: c.value for c in match.criteria}
    assert values == pytest.approx(
        {
            Criterion.NEEDS: 1.0,  # × 30
            Criterion.TOPICS: 0.0,  # not applicable: weight 0
            Criterion.AGE: 0.75,  # × 10
            Criterion.FORMAT: 1.0,  # × 10
            Criterion.DISTANCE: 0.8,  # 30 km of a 150 km video reach, × 15
            Criterion.AVAILABILITY: 0.5,  # 120 of 240 minutes, × 10
            Criterion.URGENCY: 0.3,  # × 5
            Criterion.FEEDBACK: 0.75,  # × 5
            Criterion.FAIRNESS: 1.0,  # × 5
        }
    )
    assert criterion(match, Criterion.TOPICS).weight == 0
    # (30 + 7.5 + 10 + 12 + 5 + 1.5 + 3.75 + 5) / 90
    assert match.score == 83.06


def test_a_named_topic_the_expert_does_not_cover_counts_as_zero():
    req, exp = scenario()

    match = matched(replace(req, topics=frozenset({"aac"})), exp)

    assert match.score == 74.75


def test_score_with_policy_weights():
    req, exp = scenario()
    only_age_and_distance = Weights(0, 0, 1, 0, 3, 0, 0, 0, 0)

    match = matched(req, exp, ScoringPolicy(weights=only_age_and_distance))

    assert match.score == pytest.approx(100 * (0.75 + 3 * 0.8) / 4, abs=0.005)


def test_score_is_zero_when_every_weight_is_zero():
    req, exp = scenario()

    assert matched(req, exp, ScoringPolicy(weights=Weights(0, 0, 0, 0, 0, 0, 0, 0, 0))).score == 0


def test_match_summary_joins_the_applicable_explanations_in_order():
    req, exp = scenario()

    match = matched(req, exp)

    assert match.summary == (
        "covers ASD at lead level; works with ages 4–11: 3 of 4 ages covered; "
        "offers a consultation; 30.0 km away; free on Wednesday afternoons in the next 3 weeks; "
        "routine, waiting 0 days; no feedback yet; "
        "0 of 4 sessions this month taken; your school has had no sessions recently"
    )


def test_criterion_points_are_weight_times_value():
    req, exp = scenario()

    distance = criterion(matched(req, exp), Criterion.DISTANCE)

    assert distance.points == pytest.approx(12.0)


@pytest.mark.parametrize(
    "pair",
    [
        scenario(),
        (
            request(
                format=RequestFormat.OBSERVATION_VISIT,
                video_acceptable=True,
                topics=frozenset({"aac", "sensory-regulation"}),
                needs=frozenset({"ASD", "SLCN"}),
                preferred_windows=((TUESDAY, *hours(13, 15)),),
                urgency=Urgency.SOON,
                days_waiting=9,
                school_sessions_received=2,
            ),
            expert(
                topic_levels={"aac": 2},
                weekly_windows=(TUESDAY_AFTERNOON,),
                feedback_sum=13.0,
                feedback_count=3,
                load=1,
                **at_km(40),
            ),
        ),
        (request(easting=None, northing=None), expert()),
    ],
    ids=["scenario", "video-fallback", "unknown-distance"],
)
def test_evaluating_without_explanations_gives_the_same_score(pair):
    req, exp = pair

    explained = matched(req, exp)
    silent = evaluate(req, exp, POLICY, TODAY, explain=False)

    assert isinstance(silent, Match)
    assert silent.score == explained.score
    assert silent.delivery_format == explained.delivery_format
    assert [(c.criterion, c.weight, c.value) for c in silent.criteria] == [
        (c.criterion, c.weight, c.value) for c in explained.criteria
    ]
    assert silent.criteria[0].explanation == ""


# --- ranking -------------------------------------------------------------------------------


def test_rank_orders_best_first_and_counts_exclusions():
    lead = expert(id=3, **at_km(6))
    practitioner = expert(id=1, need_levels={"ASD": 2}, **at_km(6))
    paused = expert(id=2, is_paused=True)
    secondary = expert(id=4, phases=frozenset({EducationPhase.SECONDARY}))
    also_secondary = expert(id=5, phases=frozenset({EducationPhase.SECONDARY}))

    ranking = rank(
        request(), [practitioner, paused, secondary, lead, also_secondary], POLICY, TODAY
    )

    assert [m.expert_id for m in ranking.matches] == [3, 1]
    assert ranking.matches[0].score > ranking.matches[1].score
    assert ranking.exclusions == Counter({Exclusion.PHASE: 2, Exclusion.NOT_ACCEPTING: 1})


def test_rank_breaks_ties_nearer_first_then_lower_id():
    # Distance carries no weight here, so only the tie-break separates these.
    policy = ScoringPolicy(weights=Weights(distance=0))
    experts = [
        expert(id=7, **at_km(9)),
        expert(id=5, **at_km(3)),
        expert(id=2, **at_km(9)),
        expert(id=9, easting=None, northing=None),
        expert(id=4, **at_km(3)),
    ]

    ranking = rank(request(), experts, policy, TODAY)

    assert len({m.score for m in ranking.matches}) == 1
    assert [m.expert_id for m in ranking.matches] == [4, 5, 2, 7, 9]
    assert ranking.exclusions == Counter()


def test_rank_without_explanations_keeps_the_order():
    experts = [expert(id=i, **at_km(i)) for i in (4, 1, 3, 2)]

    explained = rank(request(), experts, POLICY, TODAY)
    silent = rank(request(), experts, POLICY, TODAY, explain=False)

    assert [m.expert_id for m in explained.matches] == [1, 2, 3, 4]
    assert [(m.expert_id, m.score) for m in silent.matches] == [
        (m.expert_id, m.score) for m in explained.matches
    ]


def test_rank_of_no_experts_is_empty():
    ranking = rank(request(), [], POLICY, TODAY)

    assert (ranking.matches, ranking.exclusions) == ([], Counter())


def test_describe_exclusions_most_common_first_then_by_code():
    text = describe_exclusions(
        {Exclusion.TOO_FAR: 4, Exclusion.NO_CAPACITY: 2, Exclusion.NOT_ACCEPTING: 2}
    )

    assert text == (
        "No expert could take this request: "
        "4 the school is beyond their travel distance for a visit; "
        "2 no capacity left this month; "
        "2 not accepting work (unverified, suspended or paused)."
    )


def test_describe_exclusions_when_nobody_was_excluded():
    assert describe_exclusions(Counter()) == "No expert covers these needs in this phase."


# --- property ------------------------------------------------------------------------------

NEEDS = ("ASD", "SLCN", "SPLD", "MLD", "SLD", "PMLD", "SEMH", "HI", "VI", "MSI", "PD", "OTH")
TOPICS = ("aac", "sensory-regulation", "attachment_and_trauma", "phonics")
levels = st.integers(min_value=1, max_value=4)
minutes = st.integers(min_value=7 * 60, max_value=18 * 60)


@st.composite
def windows(draw) -> tuple[int, int, int]:
    start = draw(minutes)
    return draw(st.integers(0, 4)), start, start + draw(st.integers(15, 240))


@st.composite
def preferred(draw) -> tuple[date, int, int]:
    start = draw(minutes)
    day = TODAY + timedelta(days=draw(st.integers(-7, 35)))
    return day, start, start + draw(st.integers(15, 240))


@st.composite
def feasible_pairs(draw) -> tuple[RequestFacts, ExpertFacts]:
    """Random facts that pass every hard constraint: a video call is always possible."""
    primary = draw(st.sampled_from(NEEDS))
    needs = draw(st.frozensets(st.sampled_from(NEEDS), max_size=4)) | {primary}
    claimed = {**draw(st.dictionaries(st.sampled_from(NEEDS), levels, max_size=5))}
    claimed[primary] = draw(levels)  # a fresh dict: the drawn one stays as drawn
    credentials = draw(st.frozensets(st.sampled_from(list(CredentialKind))))
    if primary in MANDATORY_QUALIFICATION_FOR_NEED:
        credentials |= {MANDATORY_QUALIFICATION_FOR_NEED[primary]}
    phase = draw(st.sampled_from(list(EducationPhase)))
    age_min = draw(st.integers(2, 19))
    capacity = draw(st.integers(1, 10))
    ratings = draw(st.lists(st.integers(1, 5), max_size=20))
    # Within ±70 km on each axis, so a video call stays inside the 150 km video reach.
    offset = st.integers(-70_000, 70_000)

    exp = expert(
        easting=draw(st.none() | offset.map(lambda metres: EASTING + metres)),
        northing=NORTHING + draw(offset),
        formats=draw(st.frozensets(st.sampled_from(list(Format)))) | {Format.VIDEO_CALL},
        phases=draw(st.frozensets(st.sampled_from(list(EducationPhase)))) | {phase},
        age_min=age_min,
        age_max=draw(st.integers(age_min, 25)),
        max_travel_km=draw(st.integers(0, 200)),
        need_levels=claimed,
        topic_levels=draw(st.dictionaries(st.sampled_from(TOPICS), levels)),
        verified_credentials=credentials,
        safeguarding_expires_on=draw(
            st.none() | st.dates(TODAY - timedelta(days=30), TODAY + timedelta(days=30))
        ),
        capacity=capacity,
        load=draw(st.integers(0, capacity - 1)),
        weekly_windows=tuple(draw(st.lists(windows(), max_size=6))),
        unavailable_dates=draw(
            st.frozensets(st.dates(TODAY, TODAY + timedelta(days=28)), max_size=5)
        ),
        feedback_sum=float(sum(ratings)),
        feedback_count=len(ratings),
    )
    req = request(
        easting=EASTING + draw(offset),
        northing=NORTHING + draw(offset),
        primary_need=primary,
        needs=needs,
        topics=draw(st.frozensets(st.sampled_from(TOPICS))),
        phase=phase,
        ages=tuple(draw(st.lists(st.integers(2, 25), max_size=6))),
        format=draw(st.sampled_from(list(RequestFormat))),
        video_acceptable=True,
        urgency=draw(st.sampled_from(list(Urgency))),
        days_waiting=draw(st.integers(0, 365)),
        preferred_windows=tuple(draw(st.lists(preferred(), max_size=5))),
        school_sessions_received=draw(st.integers(0, 50)),
    )
    return req, exp


@settings(max_examples=200, deadline=None)
@given(feasible_pairs())
def test_score_is_within_0_and_100_and_every_criterion_within_0_and_1(pair):
    req, exp = pair

    match = evaluate(req, exp, POLICY, TODAY)

    assert isinstance(match, Match)
    assert 0 <= match.score <= 100
    for score in match.criteria:
        assert 0 <= score.value <= 1, score
    silent = evaluate(req, exp, POLICY, TODAY, explain=False)
    assert isinstance(silent, Match)
    assert silent.score == match.score

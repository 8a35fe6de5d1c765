"""Scoring over arrays (``vectorised``) and the round's candidate graph.

There is one implementation of every rule (``matching.scoring``); ``vectorised`` runs it on
arrays of pairs. These tests pin what that gives on known pairs — scores, criterion values,
exclusions, delivery formats — check that one pair scored on its own numbers and the same
pair scored among many in arrays agree to the last bit (the numbers-or-arrays helpers), and
that ``round_candidates`` is the graph of its definition (the nearest few, in
``scoring.ranking_key``'s order), on generated facts that reach every branch.
"""

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.enums import (
    CredentialKind,
    EducationPhase,
    Format,
    RequestFormat,
    Urgency,
)
from matching import candidates
from matching.candidates import SCORED_PER_EDGE, nearest_k, round_candidates
from matching.scoring import (
    Criterion,
    Exclusion,
    ExpertFacts,
    Match,
    RequestFacts,
    ScoringPolicy,
    Weights,
    criterion_values,
    evaluate,
    python_sum,
    rank,
    ranking_key,
    round_score,
    unknown_last,
    usable_needs,
)
from matching.vectorised import REASONS, TableView, build_tables, evaluate_pairs
from tests.matching.test_scoring import TUESDAY_AFTERNOON, at_km, expert, hours, request, scenario

TODAY = date(2025, 3, 3)
NEEDS = ("ASD", "SLCN", "MLD", "HI", "VI")
TOPICS = ("sensory-diets", "phonics", "zones", "aac")
PHASES = (EducationPhase.PRIMARY, EducationPhase.SECONDARY)
CREDENTIALS = (CredentialKind.QTS, CredentialKind.MQ_HEARING, CredentialKind.MQ_VISION)
levels = st.integers(1, 4)
coordinate = st.one_of(st.none(), st.integers(400_000, 420_000))
minutes = st.integers(8 * 60, 17 * 60)


@st.composite
def window(draw: st.DrawFn) -> tuple[int, int, int]:
    start = draw(minutes)
    return (draw(st.integers(0, 4)), start, start + draw(st.integers(0, 240)))


@st.composite
def experts(draw: st.DrawFn, id: int) -> ExpertFacts:
    capacity = draw(st.integers(0, 6))
    return ExpertFacts(
        id=id,
        school_urn=draw(st.integers(1, 4)),
        trust_id=draw(st.one_of(st.none(), st.integers(1, 2))),
        easting=draw(coordinate),
        northing=draw(coordinate),
        is_verified=draw(st.sampled_from([True, True, False])),
        is_suspended=draw(st.sampled_from([False, False, True])),
        is_paused=False,
        formats=frozenset(draw(st.sets(st.sampled_from(list(Format)), min_size=1))),
        phases=frozenset(draw(st.sets(st.sampled_from(PHASES), min_size=1))),
        age_min=draw(st.integers(3, 10)),
        age_max=draw(st.integers(10, 19)),
        max_travel_km=draw(st.sampled_from([0, 5, 10, 20, 30])),
        need_levels=draw(st.dictionaries(st.sampled_from(NEEDS), levels, min_size=1)),
        topic_levels=draw(st.dictionaries(st.sampled_from(TOPICS), levels)),
        verified_credentials=frozenset(draw(st.sets(st.sampled_from(CREDENTIALS)))),
        safeguarding_expires_on=draw(
            st.sampled_from([None, TODAY, TODAY - timedelta(days=1), TODAY + timedelta(days=90)])
        ),
        capacity=capacity,
        load=draw(st.integers(0, capacity)),
        weekly_windows=tuple(draw(st.lists(window(), max_size=3))),
        unavailable_dates=frozenset(
            TODAY + timedelta(days=d) for d in draw(st.sets(st.integers(0, 25), max_size=3))
        ),
        feedback_sum=float(draw(st.integers(0, 40))),
        feedback_count=draw(st.integers(0, 8)),
        **outcomes(draw),
    )


def outcomes(draw: st.DrawFn) -> dict[str, int]:
    """Outcome reviews, and how many met their goals (fewer than three do not count)."""
    reviews = draw(st.integers(0, 6))
    return {"outcome_reviews": reviews, "outcomes_met": draw(st.integers(0, reviews))}


@st.composite
def requests(draw: st.DrawFn, id: int) -> RequestFacts:
    primary = draw(st.sampled_from(NEEDS))
    windows = []
    for day, start, length in draw(
        st.lists(st.tuples(st.integers(-2, 25), minutes, st.integers(0, 180)), max_size=3)
    ):
        windows.append((TODAY + timedelta(days=day), start, start + length))
    ages = sorted(set(draw(st.lists(st.integers(4, 18), max_size=4))))
    return RequestFacts(
        id=id,
        school_urn=draw(st.integers(1, 4)),
        trust_id=draw(st.one_of(st.none(), st.integers(1, 2))),
        easting=draw(coordinate),
        northing=draw(coordinate),
        primary_need=primary,
        needs=frozenset({primary, *draw(st.sets(st.sampled_from(NEEDS), max_size=2))}),
        topics=frozenset(draw(st.sets(st.sampled_from(TOPICS), max_size=2))),
        phase=draw(st.sampled_from(PHASES)),
        ages=tuple(ages),
        format=draw(st.sampled_from(list(RequestFormat))),
        video_acceptable=draw(st.booleans()),
        urgency=draw(st.sampled_from(list(Urgency))),
        days_waiting=draw(st.integers(0, 90)),
        preferred_windows=tuple(windows),
        school_sessions_received=draw(st.integers(0, 3)),
    )


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[RequestFacts], list[ExpertFacts], ScoringPolicy]:
    n_requests = draw(st.integers(1, 6))
    n_experts = draw(st.integers(1, 12))
    policy = ScoringPolicy(
        allow_own_school=draw(st.booleans()),
        allow_own_trust=draw(st.booleans()),
        video_reach_km=draw(st.sampled_from([5, 15, 150])),
    )
    return (
        [draw(requests(10 + i)) for i in range(n_requests)],
        [draw(experts(100 + i)) for i in range(n_experts)],
        policy,
    )


def score_pairs(reqs, exps, policy=None):
    """Every (request, expert) pair scored in arrays: the tables, the pairs, the result."""
    tables = build_tables(reqs, exps, policy or ScoringPolicy(), TODAY)
    ri, ei = np.divmod(np.arange(len(reqs) * len(exps), dtype=np.int64), len(exps))
    return tables, ri, ei, evaluate_pairs(tables, ri, ei)


# --- known pairs, scored in arrays -------------------------------------------------------


def test_arrays_score_the_hand_computed_scenario():
    req, exp = scenario()
    topics = replace(req, id=11, topics=frozenset({"aac"}))

    _, _, _, scored = score_pairs([req, topics], [exp])

    # (30 + 7.5 + 10 + 12 + 5 + 1.5 + 3.75 + 5) / 90, then with an uncovered topic / 100.
    assert scored.score.tolist() == [83.06, 74.75]
    assert scored.reason.tolist() == [0, 0]
    assert scored.distance.tolist() == pytest.approx([30.0, 30.0])


def test_arrays_give_each_criterion_its_hand_computed_value():
    req, exp = scenario()
    tables, ri, ei, scored = score_pairs([req], [exp])

    pairs = TableView(tables, ri, ei, scored.distance)
    values = {
        name: (weight, value) for name, weight, value in criterion_values(pairs, scored.delivery)
    }

    assert {name: float(value[0]) for name, (_, value) in values.items()} == pytest.approx(
        {
            Criterion.NEEDS: 1.0,
            Criterion.TOPICS: 0.0,
            Criterion.AGE: 0.75,
            Criterion.FORMAT: 1.0,
            Criterion.DISTANCE: 0.8,
            Criterion.AVAILABILITY: 0.5,
            Criterion.URGENCY: 0.3,
            Criterion.FEEDBACK: 0.75,
            Criterion.FAIRNESS: 1.0,
        }
    )
    # Topics do not apply when the school named none.
    assert int(values[Criterion.TOPICS][0][0]) == 0
    assert values[Criterion.NEEDS][0] == 30


def test_arrays_count_preferred_times_that_fit_a_weekly_window():
    tuesday = date(2025, 3, 4)
    fits = (tuesday, *hours(14, 15))
    too_short = (tuesday + timedelta(weeks=1), *hours(15.5, 17))
    on_a_day_off = (tuesday + timedelta(weeks=2), *hours(13, 15))
    req = request(preferred_windows=(fits, too_short, on_a_day_off))
    exp = expert(
        weekly_windows=(TUESDAY_AFTERNOON,),
        unavailable_dates=frozenset({tuesday + timedelta(weeks=2)}),
    )
    tables, ri, ei, scored = score_pairs([req], [exp])

    pairs = TableView(tables, ri, ei, scored.distance)

    assert pairs.fits.tolist() == [1]
    assert pairs.wanted_count.tolist() == [3]


@pytest.mark.parametrize(
    ("req", "exp", "reason"),
    [
        (request(), expert(is_paused=True), Exclusion.NOT_ACCEPTING),
        (request(), expert(capacity=2, load=2), Exclusion.NO_CAPACITY),
        (request(), expert(school_urn=200_002), Exclusion.OWN_SCHOOL),
        (
            request(primary_need="HI", needs=frozenset({"HI"})),
            expert(need_levels={"HI": 4}),
            Exclusion.MANDATORY_QUALIFICATION,
        ),
        (
            request(primary_need="SLCN", needs=frozenset({"SLCN"})),
            expert(),
            Exclusion.NO_NEED_OVERLAP,
        ),
        (request(), expert(phases=frozenset({EducationPhase.SECONDARY})), Exclusion.PHASE),
        (
            request(format=RequestFormat.STAFF_TRAINING),
            expert(formats=frozenset({Format.CONSULTATION})),
            Exclusion.FORMAT,
        ),
        (
            request(format=RequestFormat.OBSERVATION_VISIT),
            expert(safeguarding_expires_on=None),
            Exclusion.SAFEGUARDING,
        ),
        (request(format=RequestFormat.OBSERVATION_VISIT), expert(**at_km(20.5)), Exclusion.TOO_FAR),
        (
            request(format=RequestFormat.OBSERVATION_VISIT, easting=None),
            expert(),
            Exclusion.TOO_FAR,
        ),
        (request(format=RequestFormat.VIDEO_CALL), expert(**at_km(150.5)), Exclusion.OUT_OF_REACH),
    ],
    ids=[
        "not-accepting",
        "no-capacity",
        "own-school",
        "qualification",
        "no-need",
        "phase",
        "format",
        "safeguarding",
        "too-far",
        "visit-unknown-location",
        "out-of-reach",
    ],
)
def test_arrays_exclude_a_pair_for_its_first_failing_constraint(req, exp, reason):
    _, _, _, scored = score_pairs([req], [exp])

    assert REASONS[scored.reason[0]] == reason
    assert scored.delivery.tolist() == [-1]
    assert np.isnan(scored.score[0])


def test_arrays_exclude_own_trust_only_when_the_policy_says_so():
    req, exp = request(trust_id=7), expert(trust_id=7)

    _, _, _, allowed = score_pairs([req], [exp])
    _, _, _, forbidden = score_pairs([req], [exp], ScoringPolicy(allow_own_trust=False))

    assert allowed.reason.tolist() == [0]
    assert REASONS[forbidden.reason[0]] == Exclusion.OWN_TRUST


def test_arrays_fall_back_to_a_video_call_and_judge_its_distance_by_the_video_reach():
    req = request(format=RequestFormat.OBSERVATION_VISIT, video_acceptable=True)
    tables, ri, ei, scored = score_pairs([req], [expert(**at_km(30))])

    pairs = TableView(tables, ri, ei, scored.distance)
    values = {name: value for name, _, value in criterion_values(pairs, scored.delivery)}

    assert tables.formats[scored.delivery[0]] == Format.VIDEO_CALL
    assert values[Criterion.FORMAT].tolist() == [0.5]
    assert values[Criterion.DISTANCE].tolist() == pytest.approx([1 - 30 / 150])


def test_arrays_and_one_pair_agree_on_the_explained_match():
    req, exp = scenario()
    _, _, _, scored = score_pairs([req], [exp])

    match = evaluate(req, exp, ScoringPolicy(), TODAY)

    assert isinstance(match, Match)
    assert scored.score.tolist() == [match.score]
    assert match.summary.startswith("covers ASD at lead level; works with ages 4–11")


# --- one pair on its numbers, many pairs in arrays: the same result, bit for bit ---------


@settings(max_examples=150, deadline=None)
@given(instances())
def test_one_pair_and_arrays_of_pairs_agree_bit_for_bit(instance):
    reqs, exps, policy = instance
    tables, ri, ei, scored = score_pairs(reqs, exps, policy)
    for k, (r, e) in enumerate(zip(ri.tolist(), ei.tolist(), strict=True)):
        plain = evaluate(reqs[r], exps[e], policy, TODAY, explain=False)
        if isinstance(plain, Match):
            assert REASONS[scored.reason[k]] == ""
            assert tables.formats[scored.delivery[k]] == plain.delivery_format
            assert scored.score[k] == plain.score
            if plain.distance_km is None:
                assert np.isnan(scored.distance[k])
            else:
                assert scored.distance[k] == plain.distance_km
        else:
            assert REASONS[scored.reason[k]] == plain.reason
            assert scored.delivery[k] == -1


@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=50))
def test_round_score_on_arrays_is_pythons_round(scores):
    ties = [k / 100 + 0.005 for k in range(0, 10_000, 997)]

    rounded = round_score(np.array(scores + ties))

    assert rounded.tolist() == [round(x, 2) for x in scores + ties]


@given(st.lists(st.lists(st.floats(-1e6, 1e6), min_size=9, max_size=9), min_size=1, max_size=5))
def test_python_sum_on_arrays_is_pythons_sum(rows):
    columns = [np.array(column) for column in zip(*rows, strict=True)]

    assert python_sum(columns).tolist() == [sum(row) for row in rows]


def plain_round_candidates(reqs, exps, policy, per_request, min_score, proposed=frozenset()):
    """The candidate graph by its definition, pair by pair with ``scoring.evaluate``: for
    each request, the nearest few experts (unknown distances last, then lower id) that
    ``evaluate`` finds feasible and that were not proposed for it before, the best of those
    (``ranking_key``) at or above the minimum score as edges. A request without an edge is
    explained over the experts sharing a need and its phase: each one's exclusion,
    "proposed before", or (when it fits) "below the minimum score"."""
    pool = [e for e in exps if e.remaining > 0]
    edges, feasible, exclusions = [], set(), {}
    keep = per_request * SCORED_PER_EDGE
    for req in reqs:
        matches = []
        for e in pool:
            if (req.id, e.id) in proposed:
                continue
            result = evaluate(req, e, policy, TODAY, explain=False)
            if isinstance(result, Match):
                matches.append(result)
        matches.sort(key=lambda m: (unknown_last(m.distance_km), m.expert_id))
        matches = [m for m in matches[:keep] if m.score >= min_score]
        if matches:
            matches.sort(key=lambda m: ranking_key(m.score, m.distance_km, m.expert_id))
            edges += [(m.request_id, m.expert_id, m.score) for m in matches[:per_request]]
            feasible.add(req.id)
            continue
        excluded = Counter()
        for e in pool:
            if req.needs.isdisjoint(usable_needs(e)) or req.phase not in e.phases:
                continue
            result = evaluate(req, e, policy, TODAY, explain=False)
            if isinstance(result, Match):
                proposed_before = (req.id, e.id) in proposed
                excluded[Exclusion.PROPOSED_BEFORE if proposed_before else Exclusion.LOW_SCORE] += 1
            else:
                excluded[result.reason] += 1
        exclusions[req.id] = excluded
    return edges, feasible, exclusions


@settings(max_examples=150, deadline=None)
@given(instances(), st.integers(1, 3), st.sampled_from([0, 20, 60]), st.data())
def test_round_candidates_is_the_plain_graph(instance, per_request, min_score, data):
    reqs, exps, policy = instance
    proposed = data.draw(
        st.sets(
            st.tuples(st.sampled_from([r.id for r in reqs]), st.sampled_from([e.id for e in exps]))
        )
    )
    # Pairs of requests or experts outside the round are ignored.
    pairs = sorted(proposed | {(1, exps[0].id), (reqs[0].id, 1)})
    graph = round_candidates(
        requests=reqs,
        experts=exps,
        policy=policy,
        today=TODAY,
        per_request=per_request,
        min_score=min_score,
        proposed_before=(
            np.array([r for r, _ in pairs], dtype=np.int64),
            np.array([e for _, e in pairs], dtype=np.int64),
        ),
    )
    edges, feasible, exclusions = plain_round_candidates(
        reqs, exps, policy, per_request, min_score, frozenset(proposed)
    )
    assert (
        list(
            zip(
                graph.request_ids.tolist(),
                graph.expert_ids.tolist(),
                graph.scores.tolist(),
                strict=True,
            )
        )
        == edges
    )
    assert graph.feasible == feasible
    if any(e.remaining > 0 for e in exps):
        assert {k: +v for k, v in graph.exclusions.items()} == {
            k: +v for k, v in exclusions.items()
        }


# --- the coarse filter applies every hard constraint before the nearest-k cut --------------

# 24 experts are scored per request with the default 8 edges; 30 near experts that cannot
# take the request must not hide a feasible one 15 km away.
NEAR = range(1, 31)


def graph_for(req, exps, **kwargs):
    return round_candidates(
        requests=[req],
        experts=exps,
        policy=ScoringPolicy(),
        today=TODAY,
        per_request=8,
        min_score=20,
        **kwargs,
    )


def test_a_far_qualified_expert_is_found_behind_near_experts_without_the_qualification():
    near = [expert(id=i, need_levels={"ASD": 4}, **at_km(0.1 * i)) for i in NEAR]
    far = expert(
        id=99,
        need_levels={"HI": 4},
        verified_credentials=frozenset({CredentialKind.MQ_HEARING}),
        **at_km(15),
    )

    graph = graph_for(request(primary_need="HI", needs=frozenset({"HI", "ASD"})), [*near, far])

    assert graph.expert_ids.tolist() == [99]


def test_a_far_visiting_expert_is_found_behind_near_experts_offering_only_video():
    near = [expert(id=i, formats=frozenset({Format.VIDEO_CALL}), **at_km(0.1 * i)) for i in NEAR]

    graph = graph_for(
        request(format=RequestFormat.OBSERVATION_VISIT), [*near, expert(id=99, **at_km(15))]
    )

    assert graph.expert_ids.tolist() == [99]


def test_a_far_expert_is_found_behind_near_experts_at_the_requesting_school():
    near = [expert(id=i, school_urn=200_002, **at_km(0.1 * i)) for i in NEAR]

    graph = graph_for(request(), [*near, expert(id=99, **at_km(15))])

    assert graph.expert_ids.tolist() == [99]


def test_a_far_expert_is_found_behind_near_experts_without_current_safeguarding():
    near = [
        expert(id=i, safeguarding_expires_on=TODAY - timedelta(days=1), **at_km(0.1 * i))
        for i in NEAR
    ]

    graph = graph_for(
        request(format=RequestFormat.OBSERVATION_VISIT), [*near, expert(id=99, **at_km(15))]
    )

    assert graph.expert_ids.tolist() == [99]


def test_experts_proposed_before_are_left_out_and_the_next_nearest_considered():
    near = [expert(id=i, **at_km(0.1 * i)) for i in NEAR]
    req = request()

    graph = graph_for(
        req,
        [*near, expert(id=99, **at_km(15))],
        proposed_before=(np.full(30, req.id, dtype=np.int64), np.array(list(NEAR))),
    )

    assert graph.expert_ids.tolist() == [99]


def test_proposals_for_another_request_do_not_exclude_the_expert():
    req = request()

    graph = graph_for(req, [expert(id=5)], proposed_before=(np.array([req.id + 1]), np.array([5])))

    assert graph.expert_ids.tolist() == [5]


def test_a_request_whose_only_expert_was_proposed_before_is_explained_so():
    req = request()
    others = [expert(id=7, school_urn=200_002), expert(id=8, need_levels={"SLCN": 4})]

    graph = graph_for(
        req, [expert(id=5), *others], proposed_before=(np.array([req.id]), np.array([5]))
    )

    assert len(graph) == 0
    assert graph.feasible == set()
    # Expert 8 shares no need: not counted.
    assert graph.exclusions == {
        req.id: Counter({Exclusion.PROPOSED_BEFORE: 1, Exclusion.OWN_SCHOOL: 1})
    }


def test_a_request_without_candidates_counts_each_experts_first_failing_constraint():
    req = request(format=RequestFormat.OBSERVATION_VISIT)
    exps = [
        expert(id=1, **at_km(25)),  # beyond a 20 km travel distance
        expert(id=2, formats=frozenset({Format.VIDEO_CALL})),
        expert(id=3, safeguarding_expires_on=None),
        expert(id=4, school_urn=200_002, formats=frozenset({Format.VIDEO_CALL})),
    ]

    graph = graph_for(req, exps)

    assert graph.exclusions == {
        req.id: Counter(
            {
                Exclusion.TOO_FAR: 1,
                Exclusion.FORMAT: 1,
                Exclusion.SAFEGUARDING: 1,
                Exclusion.OWN_SCHOOL: 1,
            }
        )
    }


def test_an_unknown_distance_sorts_last_in_the_round_as_in_ranking():
    # Distance carries no weight, so only the tie-break separates these equal scores.
    policy = ScoringPolicy(weights=Weights(distance=0))
    req = request(format=RequestFormat.VIDEO_CALL)
    exps = [
        expert(id=9, easting=None, northing=None),
        expert(id=7, **at_km(9)),
        expert(id=5, **at_km(3)),
        expert(id=2, **at_km(9)),
    ]

    graph = round_candidates(
        requests=[req], experts=exps, policy=policy, today=TODAY, per_request=3, min_score=0
    )
    ranking = rank(req, exps, policy, TODAY)

    assert graph.expert_ids.tolist() == [5, 2, 7]
    assert [m.expert_id for m in ranking.matches] == [5, 2, 7, 9]


def test_the_nearest_few_leave_unknown_distances_for_last():
    chosen = np.arange(4)

    nearest = nearest_k(chosen, np.array([np.nan, 5.0, np.nan, 1.0]), np.array([1, 2, 3, 4]), 3)

    assert nearest.tolist() == [0, 1, 3]


@given(
    st.lists(
        st.tuples(st.sampled_from([0.0, 1.0, 1.5, 2.0, float("nan")]), st.integers(1, 40)),
        min_size=2,
        max_size=30,
        unique_by=lambda row: row[1],
    ),
    st.integers(1, 10),
)
def test_nearest_k_is_the_head_of_the_ranking_order_by_distance(rows, keep):
    distance = np.array([d for d, _ in rows])
    expert_ids = np.array([i for _, i in rows])
    keep = min(keep, len(rows) - 1)
    chosen = np.arange(100, 100 + len(rows))

    nearest = nearest_k(chosen, distance, expert_ids, keep)

    order = sorted(range(len(rows)), key=lambda k: (unknown_last(distance[k]), expert_ids[k]))
    assert set(nearest.tolist()) == set(chosen[order[:keep]].tolist())
    assert nearest.tolist() == sorted(nearest.tolist())


@settings(max_examples=100, deadline=None)
@given(instances(), st.integers(1, 3), st.sampled_from([(1.0,), (2.0, 8.0), (30.0, 60.0)]))
def test_the_nearest_within_a_radius_are_the_nearest_of_all(instance, per_request, radii_km):
    # Looking near the school first (many requests at once, in blocks) finds what looking
    # among every expert finds, whichever radius each request is served at.
    reqs, exps, policy = instance
    pool = [e for e in exps if e.remaining > 0]
    if not pool:
        return
    tables = build_tables(reqs, pool, policy, TODAY)
    ids = np.array([e.id for e in pool], dtype=np.int64)
    before = {0: np.array([0], dtype=np.int64)}

    near = candidates._nearest(tables, ids, before, per_request, radii_km)
    everyone = candidates._nearest(tables, ids, before, per_request, ())

    assert [a.tolist() for a in near] == [a.tolist() for a in everyone]


def test_blocks_of_schools_find_the_same_nearest_experts_as_one_by_one(monkeypatch):
    # Schools spread over several blocks, some sharing a location, experts at equal
    # distances (ties at the cut go to the lower id), one request per school left to the
    # whole pool (nobody near).
    monkeypatch.setattr(candidates, "BLOCK_M", 3_000.0)
    reqs = [
        request(id=n, easting=400_000 + 1_000 * (n % 9), northing=400_000 + 700 * (n // 3))
        for n in range(1, 25)
    ]
    exps = [
        expert(id=m, easting=400_000 + 500 * (m % 13), northing=400_000 + 500 * (m % 7))
        for m in range(1, 60)
    ] + [expert(id=99, easting=460_000, northing=400_000)]
    tables = build_tables(reqs, exps, ScoringPolicy(), TODAY)
    ids = np.array([e.id for e in exps], dtype=np.int64)

    for radii in [(0.6,), (1.5, 4.0), (10.0,)]:
        near = candidates._nearest(tables, ids, {}, 2, radii)
        assert [a.tolist() for a in near] == [
            a.tolist() for a in candidates._nearest(tables, ids, {}, 2, ())
        ]

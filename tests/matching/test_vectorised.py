"""The vectorised scoring and candidate graph against the plain scoring, pair by pair.

``vectorised.evaluate_pairs`` must give exactly what ``scoring.evaluate`` gives — the same
exclusion, delivery format, distance and score to the last bit — and ``round_candidates``
exactly the graph of the plain algorithm (the nearest few by a stable sort, each scored by
``scoring.evaluate``), on generated facts that reach every branch.
"""

from collections import Counter
from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.enums import (
    CredentialKind,
    EducationPhase,
    Format,
    RequestFormat,
    Urgency,
)
from matching.candidates import SCORED_PER_EDGE, _nearest_k, round_candidates
from matching.scoring import (
    Exclusion,
    ExpertFacts,
    Match,
    RequestFacts,
    ScoringPolicy,
    evaluate,
    usable_needs,
)
from matching.vectorised import REASONS, build_tables, evaluate_pairs
from tests.matching.test_scoring import at_km, expert, request

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
    )


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


@settings(max_examples=150, deadline=None)
@given(instances())
def test_evaluate_pairs_is_evaluate_bit_for_bit(instance):
    reqs, exps, policy = instance
    tables = build_tables(reqs, exps, policy, TODAY)
    ri, ei = np.divmod(np.arange(len(reqs) * len(exps), dtype=np.int64), len(exps))
    scored = evaluate_pairs(tables, ri, ei)
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


def plain_round_candidates(reqs, exps, policy, per_request, min_score, proposed=frozenset()):
    """The candidate graph by its definition, pair by pair with ``scoring.evaluate``: for
    each request, the nearest few experts (a stable sort; unknown distances last) that
    ``evaluate`` finds feasible and that were not proposed for it before, the best of those
    at or above the minimum score as edges. A request without an edge is explained over the
    experts sharing a need and its phase: each one's exclusion, "proposed before", or (when
    it fits) "below the minimum score"."""
    pool = [e for e in exps if e.remaining > 0]
    edges, feasible, exclusions = [], set(), {}
    keep = per_request * SCORED_PER_EDGE
    for req in reqs:
        rows = []
        for index, e in enumerate(pool):
            if (req.id, e.id) in proposed:
                continue
            result = evaluate(req, e, policy, TODAY, explain=False)
            if isinstance(result, Match):
                distance = float("nan") if result.distance_km is None else result.distance_km
                rows.append((distance, index, result))
        finite = sorted((row for row in rows if row[0] == row[0]), key=lambda row: row[:2])
        chosen = finite + [row for row in rows if row[0] != row[0]]
        matches = [m for _, _, m in chosen[:keep] if m.score >= min_score]
        if matches:
            matches.sort(key=lambda m: (-m.score, m.distance_km or 0.0, m.expert_id))
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


@given(
    st.lists(st.sampled_from([0.0, 1.0, 1.5, 2.0, float("nan")]), min_size=2, max_size=30),
    st.integers(1, 10),
)
def test_nearest_k_is_the_head_of_a_stable_argsort(distances, keep):
    distance = np.array(distances)
    if len(distance) <= keep:
        keep = len(distance) - 1
    chosen = np.arange(100, 100 + len(distance))
    expected = set(chosen[np.argsort(distance, kind="stable")[:keep]].tolist())
    assert set(_nearest_k(chosen, distance, keep).tolist()) == expected

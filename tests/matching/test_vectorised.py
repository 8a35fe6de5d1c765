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
    IN_PERSON_FORMATS,
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
    acceptable_formats,
    evaluate,
    usable_needs,
)
from matching.vectorised import REASONS, build_tables, evaluate_pairs

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


def plain_round_candidates(reqs, exps, policy, per_request, min_score):
    """The candidate graph as it was built before vectorising: the nearest few by a
    stable sort over every expert, each scored by ``scoring.evaluate``."""
    pool = [e for e in exps if e.remaining > 0]
    edges, feasible, exclusions = [], set(), {}
    keep = per_request * SCORED_PER_EDGE
    for request in reqs:
        remote = any(
            f not in IN_PERSON_FORMATS
            for f in acceptable_formats(request.format, request.video_acceptable)
        )
        rows = []
        covering = 0
        for index, e in enumerate(pool):
            if request.needs.isdisjoint(usable_needs(e)) or request.phase not in e.phases:
                continue
            covering += 1
            if request.easting is None or request.northing is None:
                distance = 0.0
                if not remote:
                    continue
            elif e.easting is None or e.northing is None:
                distance = float("nan")
                if not remote:
                    continue
            else:
                distance = float(
                    np.hypot(e.easting - request.easting, e.northing - request.northing) / 1000
                )
                reach = max(e.max_travel_km, policy.video_reach_km) if remote else e.max_travel_km
                if not distance <= reach:
                    continue
            rows.append((distance, index))
        finite = sorted((d, i) for d, i in rows if d == d)
        chosen = [i for _, i in finite] + [i for d, i in rows if d != d]
        matches, excluded = [], Counter()
        for index in chosen[:keep]:
            result = evaluate(request, pool[index], policy, TODAY, explain=False)
            if isinstance(result, Match):
                if result.score >= min_score:
                    matches.append(result)
                else:
                    excluded[Exclusion.LOW_SCORE] += 1
            else:
                excluded[result.reason] += 1
        if matches:
            matches.sort(key=lambda m: (-m.score, m.distance_km or 0.0, m.expert_id))
            edges += [(m.request_id, m.expert_id, m.score) for m in matches[:per_request]]
            feasible.add(request.id)
        else:
            if covering - len(rows):
                excluded[Exclusion.TOO_FAR] += covering - len(rows)
            exclusions[request.id] = excluded
    return edges, feasible, exclusions


@settings(max_examples=100, deadline=None)
@given(instances(), st.integers(1, 3), st.sampled_from([0, 20, 60]))
def test_round_candidates_is_the_plain_graph(instance, per_request, min_score):
    reqs, exps, policy = instance
    graph = round_candidates(
        requests=reqs,
        experts=exps,
        policy=policy,
        today=TODAY,
        per_request=per_request,
        min_score=min_score,
    )
    edges, feasible, exclusions = plain_round_candidates(reqs, exps, policy, per_request, min_score)
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
        assert {k: +v for k, v in graph.exclusions.items()} == exclusions


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

"""``scoring.evaluate`` for many pairs at once, as NumPy over arrays: same hard constraints
in the same order, same delivery format, same score to the last bit.

Pure (no ORM). A matching round scores hundreds of thousands of pairs; building a
``Match`` with nine ``CriterionScore`` objects for each costs more than the solve, and only
the pairs it proposes need their sentences. Here every per-expert and per-request quantity
is computed once, and each criterion is the same IEEE-754 operations, in the same order, as
its scalar twin in ``scoring`` (including the Neumaier-compensated summation of Python's
``sum`` over floats, and Python's own ``round`` to two decimals). The unit tests check the
two against each other on generated facts.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from exchange.enums import IN_PERSON_FORMATS, MANDATORY_QUALIFICATION_FOR_NEED, RequestFormat
from matching.scoring import (
    MAX_LEVEL,
    PRIMARY_NEED_IMPORTANCE,
    SECONDARY_NEED_IMPORTANCE,
    Exclusion,
    ExpertFacts,
    RequestFacts,
    ScoringPolicy,
    _weekly_free_minutes,
    acceptable_formats,
    feedback_criterion,
    urgency_criterion,
    usable_needs,
)

# Reason codes, in the order ``hard_constraint`` then ``delivery_format`` check them; 0 = fits.
REASONS: tuple[str, ...] = (
    "",
    Exclusion.NOT_ACCEPTING,
    Exclusion.NO_CAPACITY,
    Exclusion.OWN_SCHOOL,
    Exclusion.OWN_TRUST,
    Exclusion.MANDATORY_QUALIFICATION,
    Exclusion.NO_NEED_OVERLAP,
    Exclusion.PHASE,
    Exclusion.FORMAT,
    Exclusion.SAFEGUARDING,
    Exclusion.TOO_FAR,
    Exclusion.OUT_OF_REACH,
    # Not hard constraints: for callers that filter on the score, or on earlier proposals.
    Exclusion.LOW_SCORE,
    Exclusion.PROPOSED_BEFORE,
)
CODE = {reason: code for code, reason in enumerate(REASONS)}
# Integer coordinates up to this size square and add exactly in a double, so the correctly
# rounded ``sqrt`` of the sum is ``math.hypot``'s correctly rounded result.
EXACT_COORDINATE = 2**25

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]


def _index(values: Sequence[str]) -> dict[str, int]:
    return {value: i for i, value in enumerate(sorted(set(values)))}


@dataclass(slots=True)
class Tables:
    """Per-expert and per-request arrays, built once per round."""

    experts: Sequence[ExpertFacts]
    requests: Sequence[RequestFacts]
    policy: ScoringPolicy
    today: date
    # experts
    accepting: Bools
    remaining: Ints
    school: Ints
    trust: Ints  # -1: none
    credential: Bools  # [expert, mandatory credential kind]
    need_rank: Ints  # [expert, need code] usable rank, 0 when not covered
    topic_rank: Ints  # [expert, topic]
    phase: Bools  # [expert, phase]
    offers: Bools  # [expert, format]
    safeguarded: Bools
    east: Floats  # NaN: unknown
    north: Floats
    travel: Floats
    age_min: Ints
    age_max: Ints
    free_value: Floats  # availability value when the school named no times
    feedback: Floats
    share: Floats  # fairness: unused share of capacity
    windows: Ints  # [expert, k, (weekday, start, end)], weekday -1 for padding
    days_off: Ints  # sorted keys expert * 2**32 + date ordinal
    # requests
    r_school: Ints
    r_trust: Ints  # -2: none (never equal to an expert's -1)
    r_credential: Ints  # -1: none required
    r_needs: Ints  # [request, slot] need code, -1 padding (primary first, then sorted)
    r_need_importance: Floats
    r_need_total: Floats
    r_topics: Ints  # [request, slot] topic code, -1 padding
    r_topic_total: Floats  # 0: no topics named
    r_phase: Ints  # -1: a phase no expert serves
    r_ages: Ints  # [request, slot], padding never inside an age range
    r_age_count: Ints
    r_formats: Ints  # [request, slot] acceptable format codes in order, -1 padding
    r_exact_format: Bools  # [request, format] the format asked for (or any)
    r_east: Floats
    r_north: Floats
    r_wanted: Ints  # [request, slot, (weekday, start, end, ordinal)], weekday -1 padding
    r_wanted_count: Ints
    r_urgency: Floats
    r_school_share: Floats
    formats: tuple[str, ...]
    exact_distance: bool


def build_tables(
    requests: Sequence[RequestFacts],
    experts: Sequence[ExpertFacts],
    policy: ScoringPolicy,
    today: date,
) -> Tables:
    needs = _index(
        [c for e in experts for c in e.need_levels] + [c for r in requests for c in r.needs]
    )
    topics = _index(
        [t for e in experts for t in e.topic_levels] + [t for r in requests for t in r.topics]
    )
    phases = _index([p for e in experts for p in e.phases])
    formats = tuple(
        sorted(
            {f for e in experts for f in e.formats}
            | {f for r in requests for f in acceptable_formats(r.format, r.video_acceptable)}
        )
    )
    format_code = {f: i for i, f in enumerate(formats)}
    kinds = _index(list(MANDATORY_QUALIFICATION_FOR_NEED.values()))
    n, m = len(experts), len(requests)

    credential = np.zeros((n, len(kinds)), dtype=bool)
    need_rank = np.zeros((n, max(1, len(needs))), dtype=np.int64)
    topic_rank = np.zeros((n, max(1, len(topics))), dtype=np.int64)
    phase = np.zeros((n, max(1, len(phases))), dtype=bool)
    offers = np.zeros((n, max(1, len(formats))), dtype=bool)
    width = max((len(e.weekly_windows) for e in experts), default=0)
    windows = np.full((n, max(1, width), 3), -1, dtype=np.int64)
    days_off: list[int] = []
    weeks = policy.availability_weeks
    free_value = np.zeros(n)
    for i, e in enumerate(experts):
        for kind, k in kinds.items():
            credential[i, k] = kind in e.verified_credentials
        for code, rank in usable_needs(e).items():
            need_rank[i, needs[code]] = rank
        for slug, rank in e.topic_levels.items():
            topic_rank[i, topics[slug]] = rank
        for p in e.phases:
            phase[i, phases[p]] = True
        for f in e.formats:
            offers[i, format_code[f]] = True
        for k, window in enumerate(e.weekly_windows):
            windows[i, k] = window
        days_off.extend(i * 2**32 + day.toordinal() for day in e.unavailable_dates)
        if e.weekly_windows:
            minutes = _weekly_free_minutes(e, today, weeks)
            free_value[i] = min(1.0, minutes / policy.availability_target_minutes)

    def coordinate(values: list[int | None]) -> Floats:
        return np.array([math.nan if v is None else v for v in values], dtype=float)

    east = coordinate([e.easting for e in experts])
    north = coordinate([e.northing for e in experts])
    r_east = coordinate([r.easting for r in requests])
    r_north = coordinate([r.northing for r in requests])
    exact_distance = all(
        isinstance(v, int) and abs(v) < EXACT_COORDINATE
        for facts in (experts, requests)
        for f in facts
        for v in (f.easting, f.northing)
        if v is not None
    )

    need_width = max((len(r.needs | {r.primary_need}) for r in requests), default=1)
    r_needs = np.full((m, need_width), -1, dtype=np.int64)
    r_need_importance = np.zeros((m, need_width))
    r_need_total = np.zeros(m)
    topic_width = max((len(r.topics) for r in requests), default=0)
    r_topics = np.full((m, max(1, topic_width)), -1, dtype=np.int64)
    r_topic_total = np.zeros(m)
    age_width = max((len(r.ages) for r in requests), default=0)
    r_ages = np.full((m, max(1, age_width)), -(10**6), dtype=np.int64)
    r_formats = np.full((m, 4), -1, dtype=np.int64)
    r_exact_format = np.zeros((m, max(1, len(formats))), dtype=bool)
    horizon = today + timedelta(weeks=weeks)
    wanted = [[w for w in r.preferred_windows if today <= w[0] < horizon] for r in requests]
    wanted_width = max((len(w) for w in wanted), default=0)
    r_wanted = np.full((m, max(1, wanted_width), 4), -1, dtype=np.int64)
    r_credential = np.full(m, -1, dtype=np.int64)
    r_phase = np.full(m, -1, dtype=np.int64)
    for j, r in enumerate(requests):
        ordered = [(r.primary_need, PRIMARY_NEED_IMPORTANCE)] + [
            (code, SECONDARY_NEED_IMPORTANCE) for code in sorted(r.needs - {r.primary_need})
        ]
        total = 0.0
        for s, (code, importance) in enumerate(ordered):
            r_needs[j, s] = needs[code]
            r_need_importance[j, s] = importance
            total += importance
        r_need_total[j] = total
        total = 0.0
        for s, slug in enumerate(sorted(r.topics)):
            r_topics[j, s] = topics[slug]
            total += 1
        r_topic_total[j] = total
        r_ages[j, : len(r.ages)] = r.ages
        acceptable = acceptable_formats(r.format, r.video_acceptable)
        r_formats[j, : len(acceptable)] = [format_code[f] for f in acceptable]
        for f in acceptable:
            r_exact_format[j, format_code[f]] = r.format in (RequestFormat.ANY, f)
        for s, (day, start, end) in enumerate(wanted[j]):
            weekday = day.weekday()
            # A weekend day never fits: padding (-1) matches no expert window.
            r_wanted[j, s] = (weekday if weekday <= 4 else 7, start, end, day.toordinal())
        required = MANDATORY_QUALIFICATION_FOR_NEED.get(r.primary_need)
        if required is not None:
            r_credential[j] = kinds[required]
        r_phase[j] = phases.get(r.phase, -1)

    return Tables(
        experts=experts,
        requests=requests,
        policy=policy,
        today=today,
        accepting=np.array(
            [e.is_verified and not e.is_suspended and not e.is_paused for e in experts],
            dtype=bool,
        ),
        remaining=np.array([e.remaining for e in experts], dtype=np.int64),
        school=np.array([e.school_urn for e in experts], dtype=np.int64),
        trust=np.array([-1 if e.trust_id is None else e.trust_id for e in experts], np.int64),
        credential=credential,
        need_rank=need_rank,
        topic_rank=topic_rank,
        phase=phase,
        offers=offers,
        safeguarded=np.array(
            [
                e.safeguarding_expires_on is not None and e.safeguarding_expires_on >= today
                for e in experts
            ],
            dtype=bool,
        ),
        east=east,
        north=north,
        travel=np.array([e.max_travel_km for e in experts], dtype=float),
        age_min=np.array([e.age_min for e in experts], dtype=np.int64),
        age_max=np.array([e.age_max for e in experts], dtype=np.int64),
        free_value=free_value,
        feedback=np.array([feedback_criterion(e, 0, explain=False).value for e in experts]),
        share=np.array([max(0.0, 1 - e.load / e.capacity) if e.capacity else 0.0 for e in experts]),
        windows=windows,
        days_off=np.array(sorted(days_off), dtype=np.int64),
        r_school=np.array([r.school_urn for r in requests], dtype=np.int64),
        r_trust=np.array([-2 if r.trust_id is None else r.trust_id for r in requests], np.int64),
        r_credential=r_credential,
        r_needs=r_needs,
        r_need_importance=r_need_importance,
        r_need_total=r_need_total,
        r_topics=r_topics,
        r_topic_total=r_topic_total,
        r_phase=r_phase,
        r_ages=r_ages,
        r_age_count=np.array([len(r.ages) for r in requests], dtype=np.int64),
        r_formats=r_formats,
        r_exact_format=r_exact_format,
        r_east=r_east,
        r_north=r_north,
        r_wanted=r_wanted,
        r_wanted_count=np.array([len(w) for w in wanted], dtype=np.int64),
        r_urgency=np.array([urgency_criterion(r, 0, explain=False).value for r in requests]),
        r_school_share=np.array([1 / (1 + r.school_sessions_received) for r in requests]),
        formats=formats,
        exact_distance=exact_distance,
    )


@dataclass(slots=True)
class Scored:
    """One entry per pair: why it is excluded (a ``REASONS`` index, 0 when it fits), the
    delivery format (a ``Tables.formats`` index, -1 when excluded), the distance in km
    (NaN when unknown) and the 0–100 score rounded to two decimals (NaN when excluded)."""

    reason: Ints
    delivery: Ints
    distance: Floats
    score: Floats


def _coverage(
    codes: Ints, importance: Floats | None, total: Floats, rank: Ints, experts: Ints
) -> Floats:
    """``scoring._coverage``'s value: the covered share accumulated slot by slot."""
    covered = np.zeros(len(experts))
    for s in range(codes.shape[1]):
        code = codes[:, s]
        level = np.where(code >= 0, rank[experts, np.maximum(code, 0)], 0)
        weight = 1.0 if importance is None else importance[:, s]
        covered = covered + np.where(level > 0, (weight * level) / MAX_LEVEL, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, covered / np.where(total > 0, total, 1.0), 0.0)


def _python_sum(terms: list[Floats]) -> Floats:
    """Python's ``sum`` of floats, elementwise: Neumaier's compensated summation."""
    total = np.zeros_like(terms[0])
    compensation = np.zeros_like(terms[0])
    for x in terms:
        t = total + x
        compensation = compensation + np.where(
            np.abs(total) >= np.abs(x), (total - t) + x, (x - t) + total
        )
        total = t
    return np.where(np.isfinite(compensation), total + compensation, total)


def distances_km(tables: Tables, requests: Ints, experts: Ints) -> Floats:
    """``scoring.distance_km`` for each pair (NaN for None), bit for bit."""
    dx = tables.r_east[requests] - tables.east[experts]
    dy = tables.r_north[requests] - tables.north[experts]
    if tables.exact_distance:
        return np.sqrt(dx * dx + dy * dy) / 1000
    return np.array(
        [
            math.nan if math.isnan(x + y) else math.hypot(x, y) / 1000
            for x, y in zip(dx, dy, strict=True)
        ],
        dtype=float,
    )


# --- hard constraints, shared by the pair-by-pair evaluation and the round's coarse filter ---

# What of a request a hard constraint depends on: nothing (the expert alone), the request's
# profile (primary need, needs, phase), or its school (school and trust).
EXPERT, PROFILE, SCHOOL = "expert", "profile", "school"
Requests = Ints | int
ExpertsIndex = Ints | slice
Failing = Callable[[Tables, Requests, ExpertsIndex], Bools | np.bool_]


def _not_accepting(t: Tables, ri: Requests, ei: ExpertsIndex) -> Bools | np.bool_:
    return ~t.accepting[ei]


def _no_capacity(t: Tables, ri: Requests, ei: ExpertsIndex) -> Bools | np.bool_:
    return t.remaining[ei] <= 0


def _own_school(t: Tables, ri: Requests, ei: ExpertsIndex) -> Bools | np.bool_:
    if t.policy.allow_own_school:
        return np.False_
    return t.school[ei] == t.r_school[ri]


def _own_trust(t: Tables, ri: Requests, ei: ExpertsIndex) -> Bools | np.bool_:
    if t.policy.allow_own_trust:
        return np.False_
    return (t.trust[ei] != -1) & (t.trust[ei] == t.r_trust[ri])


def _missing_qualification(t: Tables, ri: Requests, ei: ExpertsIndex) -> Bools | np.bool_:
    if not t.credential.shape[1]:
        return np.False_
    required = t.r_credential[ri]
    return (required >= 0) & ~t.credential[ei, np.maximum(required, 0)]


def _no_need_overlap(t: Tables, ri: Requests, ei: ExpertsIndex) -> Bools | np.bool_:
    overlap: Bools | np.bool_ = np.False_
    for s in range(t.r_needs.shape[1]):
        code = t.r_needs[ri, s]
        overlap = overlap | ((code >= 0) & (t.need_rank[ei, np.maximum(code, 0)] > 0))
    return ~overlap


def _phase_not_served(t: Tables, ri: Requests, ei: ExpertsIndex) -> Bools | np.bool_:
    phase = t.r_phase[ri]
    return (phase < 0) | ~t.phase[ei, np.maximum(phase, 0)]


# ``scoring.hard_constraint``'s checks, in its order: (reason, what it depends on, the
# failing pairs). ``ri`` and ``ei`` are parallel index arrays (pair by pair), or one request
# index and ``slice(None)`` (one request against every expert).
HARD_CONSTRAINTS: tuple[tuple[str, str, Failing], ...] = (
    (Exclusion.NOT_ACCEPTING, EXPERT, _not_accepting),
    (Exclusion.NO_CAPACITY, EXPERT, _no_capacity),
    (Exclusion.OWN_SCHOOL, SCHOOL, _own_school),
    (Exclusion.OWN_TRUST, SCHOOL, _own_trust),
    (Exclusion.MANDATORY_QUALIFICATION, PROFILE, _missing_qualification),
    (Exclusion.NO_NEED_OVERLAP, PROFILE, _no_need_overlap),
    (Exclusion.PHASE, PROFILE, _phase_not_served),
)


def in_person_deliverable(safeguarded: Bools, distance: Floats, travel: Floats) -> Bools:
    """``delivery_format``'s rule for a visit or training: a current safeguarding
    confirmation and a school of known location within the expert's travel distance."""
    # Comparisons with NaN (unknown location) are False and raise no floating-point error.
    return safeguarded & (distance <= travel)


def remote_deliverable(distance: Floats, video_reach_km: float) -> Bools:
    """``delivery_format``'s rule for a remote format: within the policy's video reach, or
    of unknown location."""
    return ~(distance > video_reach_km)


def distances_from(tables: Tables, request: int) -> Floats:
    """``distances_km`` from one request to every expert, bit for bit."""
    if tables.exact_distance:
        dx = tables.r_east[request] - tables.east
        dy = tables.r_north[request] - tables.north
        return np.sqrt(dx * dx + dy * dy) / 1000
    n = len(tables.east)
    return distances_km(tables, np.full(n, request, dtype=np.int64), np.arange(n))


class Feasibility:
    """Which experts pass every hard constraint for a request, over all experts at once:
    the rules of ``HARD_CONSTRAINTS`` and ``delivery_format`` that ``exclusion_reasons``
    applies pair by pair. What depends on the expert alone is computed once, what depends
    on the request's profile (needs, phase, qualification) once per distinct profile, and
    the formats offered once per distinct set of acceptable formats."""

    def __init__(self, tables: Tables) -> None:
        t = self.tables = tables
        base = np.ones(len(t.accepting), dtype=bool)
        for _, depends, failing in HARD_CONSTRAINTS:
            if depends == EXPERT:
                base &= ~failing(t, 0, slice(None))
        self._base = base
        self._in_person_codes = {i for i, f in enumerate(t.formats) if f in IN_PERSON_FORMATS}
        profile_columns = np.column_stack([t.r_needs, t.r_phase, t.r_credential])
        self._profile_of = _row_ids(profile_columns)
        self._formats_of = _row_ids(t.r_formats)
        self._school_rules = [
            failing for _, depends, failing in HARD_CONSTRAINTS if depends == SCHOOL
        ]
        self._qualified: dict[int, Bools] = {}
        self._offers: dict[int, tuple[Bools | None, Bools | None]] = {}
        self._offered: dict[tuple[int, int], tuple[Bools | None, Bools | None]] = {}

    def deliverable(self, distance: Floats) -> tuple[Bools, Bools]:
        """For a school at ``distance`` from each expert: who can visit it, and who can
        reach it remotely."""
        t = self.tables
        visit = in_person_deliverable(t.safeguarded, distance, t.travel)
        return visit, remote_deliverable(distance, t.policy.video_reach_km)

    def experts(self, request: int, visit_ok: Bools, remote_ok: Bools) -> Ints:
        """The indexes (ascending) of the experts who can take ``request``, given the
        ``deliverable`` masks of its school."""
        key = (int(self._profile_of[request]), int(self._formats_of[request]))
        if key not in self._offered:
            self._offered[key] = self._offering(request, key[0])
        visit_offered, remote_offered = self._offered[key]
        if visit_offered is not None and remote_offered is not None:
            mask = (visit_offered & visit_ok) | (remote_offered & remote_ok)
        elif visit_offered is not None:
            mask = visit_offered & visit_ok
        elif remote_offered is not None:
            mask = remote_offered & remote_ok
        else:
            return np.zeros(0, dtype=np.int64)
        chosen = np.flatnonzero(mask)
        # Own school and trust exclude a handful of experts: checked on the few left.
        for failing in self._school_rules:
            failed = failing(self.tables, request, chosen)
            if np.ndim(failed) and len(chosen):
                chosen = chosen[~failed]
        return chosen

    def _offering(self, request: int, profile: int) -> tuple[Bools | None, Bools | None]:
        """Experts passing the profile's constraints who offer one of the request's
        in-person formats, and who offer one of its remote formats (None: it has none)."""
        t = self.tables
        if profile not in self._qualified:
            passing = self._base.copy()
            for _, depends, failing in HARD_CONSTRAINTS:
                if depends == PROFILE:
                    passing &= ~failing(t, request, slice(None))
            self._qualified[profile] = passing
        formats = int(self._formats_of[request])
        if formats not in self._offers:
            codes = [int(f) for f in t.r_formats[request] if f >= 0]
            visit = [f for f in codes if f in self._in_person_codes]
            remote = [f for f in codes if f not in self._in_person_codes]
            self._offers[formats] = (
                t.offers[:, visit].any(axis=1) if visit else None,
                t.offers[:, remote].any(axis=1) if remote else None,
            )
        passing = self._qualified[profile]
        visit_offers, remote_offers = self._offers[formats]
        return (
            None if visit_offers is None else passing & visit_offers,
            None if remote_offers is None else passing & remote_offers,
        )


def _row_ids(rows: Ints) -> Ints:
    """For each row, the id of its distinct value: equal rows, equal ids."""
    if not len(rows):
        return np.zeros(0, dtype=np.int64)
    return np.unique(rows, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)


def evaluate_pairs(tables: Tables, requests: Ints, experts: Ints) -> Scored:
    """``scoring.evaluate(explain=False)`` for the pairs (request index, expert index)."""
    reason, delivery, distance = exclusion_reasons(tables, requests, experts)
    score = np.full(len(requests), np.nan)
    keep = np.flatnonzero(reason == 0)
    if len(keep):
        score[keep] = _score(tables, requests[keep], experts[keep], delivery[keep], distance[keep])
    return Scored(reason, delivery, distance, score)


def exclusion_reasons(tables: Tables, requests: Ints, experts: Ints) -> tuple[Ints, Ints, Floats]:
    """``evaluate_pairs`` without the score: each pair's ``REASONS`` index (0 = fits), its
    delivery format (-1 when excluded) and its distance in km (NaN when unknown)."""
    t, policy = tables, tables.policy
    ri, ei = requests, experts
    count = len(ri)
    reason = np.zeros(count, dtype=np.int64)

    for code, _, failing in HARD_CONSTRAINTS:
        reason[(reason == 0) & failing(t, ri, ei)] = CODE[code]

    distance = distances_km(t, ri, ei)
    unknown = np.isnan(distance)
    visit_ok = in_person_deliverable(t.safeguarded[ei], distance, t.travel[ei])
    remote_ok = remote_deliverable(distance, policy.video_reach_km)
    # delivery_format: the first acceptable format offered and deliverable.
    delivery = np.full(count, -1, dtype=np.int64)
    why = np.full(count, CODE[Exclusion.FORMAT], dtype=np.int64)
    in_person_codes = [i for i, f in enumerate(t.formats) if f in IN_PERSON_FORMATS]
    with np.errstate(invalid="ignore"):
        for s in range(t.r_formats.shape[1]):
            fmt = t.r_formats[ri, s]
            active = (delivery < 0) & (fmt >= 0) & t.offers[ei, np.maximum(fmt, 0)]
            in_person = np.isin(fmt, in_person_codes)
            no_safeguarding = active & in_person & ~t.safeguarded[ei]
            too_far = active & in_person & ~no_safeguarding & (unknown | (distance > t.travel[ei]))
            out_of_reach = active & ~in_person & ~unknown & (distance > policy.video_reach_km)
            why[no_safeguarding] = CODE[Exclusion.SAFEGUARDING]
            why[too_far] = CODE[Exclusion.TOO_FAR]
            why[out_of_reach] = CODE[Exclusion.OUT_OF_REACH]
            ok = active & np.where(in_person, visit_ok, remote_ok)
            delivery[ok] = fmt[ok]
    fits = reason == 0
    reason[fits & (delivery < 0)] = why[fits & (delivery < 0)]
    delivery[reason != 0] = -1
    return reason, delivery, distance


def _score(t: Tables, ri: Ints, ei: Ints, delivery: Ints, distance: Floats) -> Floats:
    policy, w = t.policy, t.policy.weights
    needs = _coverage(t.r_needs[ri], t.r_need_importance[ri], t.r_need_total[ri], t.need_rank, ei)
    has_topics = t.r_topic_total[ri] > 0
    topics = _coverage(t.r_topics[ri], None, t.r_topic_total[ri], t.topic_rank, ei)
    ages = t.r_ages[ri]
    inside = ((t.age_min[ei, None] <= ages) & (ages <= t.age_max[ei, None])).sum(axis=1)
    n_ages = t.r_age_count[ri]
    age = np.where(n_ages > 0, inside / np.maximum(n_ages, 1), 1.0)
    fmt = np.where(t.r_exact_format[ri, delivery], 1.0, 0.5)
    in_person = np.isin(delivery, [i for i, f in enumerate(t.formats) if f in IN_PERSON_FORMATS])
    reach = np.where(in_person, t.travel[ei], float(policy.video_reach_km))
    with np.errstate(invalid="ignore", divide="ignore"):
        near = np.where(reach != 0, np.maximum(0.0, 1 - distance / reach), 0.0)
    near = np.where(np.isnan(distance), 0.0, near)
    availability = t.free_value[ei]
    wanted = t.r_wanted_count[ri]
    with_times = np.flatnonzero(wanted > 0)
    if len(with_times):
        availability = availability.copy()
        availability[with_times] = _fits(t, ri[with_times], ei[with_times]) / wanted[with_times]
    fairness = (t.share[ei] + t.r_school_share[ri]) / 2
    topic_weight = np.where(has_topics, w.topics, 0)
    points = [
        w.needs * needs,
        topic_weight * np.where(has_topics, topics, 0.0),
        w.age * age,
        w.format * fmt,
        w.distance * near,
        w.availability * availability,
        w.urgency * t.r_urgency[ri],
        w.feedback * t.feedback[ei],
        w.fairness * fairness,
    ]
    total_weight = (
        (w.needs + w.age + w.format + w.distance + w.availability + w.urgency + w.feedback)
        + w.fairness
        + topic_weight
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(
            total_weight > 0, 100 * _python_sum(points) / np.maximum(total_weight, 1), 0.0
        )
    return np.array([round(x, 2) for x in raw.tolist()], dtype=float)


def _fits(t: Tables, ri: Ints, ei: Ints) -> Ints:
    """How many of each request's preferred times (in the horizon) fall inside one of the
    expert's weekly windows for a whole session, on a day the expert is not off."""
    need = t.policy.session_minutes
    fits = np.zeros(len(ri), dtype=np.int64)
    for s in range(t.r_wanted.shape[1]):
        weekday, start, end, ordinal = (t.r_wanted[ri, s, k] for k in range(4))
        inside = np.zeros(len(ri), dtype=bool)
        for k in range(t.windows.shape[1]):
            w_day, w_start, w_end = (t.windows[ei, k, c] for c in range(3))
            inside |= (
                (w_day == weekday)
                & (weekday >= 0)
                & (np.minimum(end, w_end) - np.maximum(start, w_start) >= need)
            )
        if len(t.days_off):
            off = np.isin(ei * 2**32 + ordinal, t.days_off)
            inside &= ~off
        fits += inside
    return fits

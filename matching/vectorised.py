"""The rules of ``matching.scoring`` over many pairs at once, as NumPy arrays.

Pure (no ORM). A matching round scores hundreds of thousands of pairs; building a
``Match`` with nine ``CriterionScore`` objects for each costs more than the solve, and only
the pairs it proposes need their sentences. ``build_tables`` lays the round's facts out
once — every per-expert and per-request quantity computed once, by the same functions
``scoring`` uses for one pair — and ``TableView`` shows pairs of them to the rules under the
names of ``scoring.Pairs``. There is no second copy of any rule here: the hard constraints,
the delivery format and every criterion are ``scoring``'s own functions, run on arrays, so
a pair scores here exactly (to the last bit) what ``scoring.evaluate`` gives it.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from exchange.enums import IN_PERSON_FORMATS, MANDATORY_QUALIFICATION_FOR_NEED
from matching.scoring import (
    ANY_FORMAT_PREFERENCE,
    CODE,
    EXACT_COORDINATE,
    EXPERT,
    HARD_CONSTRAINTS,
    PROFILE,
    REASONS,
    SCHOOL,
    ExpertFacts,
    RequestFacts,
    ScoringPolicy,
    Value,
    acceptable_formats,
    accepts_work,
    capacity_share,
    criterion_values,
    delivery_slot,
    feedback_value,
    free_time_value,
    grid_distance_km,
    in_person_deliverable,
    is_format_asked,
    is_safeguarded,
    negate,
    preferred_fits,
    remote_deliverable,
    required_qualification,
    school_share,
    slot_deliverable,
    trust_code,
    urgency_value,
    usable_needs,
    wanted_times,
    weighted_needs,
    weighted_score,
    where,
)

__all__ = [
    "CODE",
    "HARD_CONSTRAINTS",
    "REASONS",
    "Feasibility",
    "Scored",
    "TableView",
    "Tables",
    "build_tables",
    "distances_from",
    "distances_km",
    "evaluate_pairs",
    "exclusion_reasons",
]

# Padding of the per-request slot columns: an age inside no expert's range, and a weekday
# after Sunday (never a school day) for a preferred time.
NO_AGE = -(10**6)
NO_WEEKDAY = 7
# A day off as one integer: expert index × DAY_KEY + the date's ordinal.
DAY_KEY = 2**32

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]


def _index(values: Iterable[str]) -> dict[str, int]:
    return {value: i for i, value in enumerate(sorted(set(values)))}


@dataclass(slots=True)
class Tables:
    """Per-expert and per-request arrays, built once per round. Columns of a code (need,
    topic, phase, format, qualification kind) are its index in the round's sorted codes;
    -1 pads the per-request slot columns."""

    experts: Sequence[ExpertFacts]
    requests: Sequence[RequestFacts]
    policy: ScoringPolicy
    today: date
    # experts
    accepting: Bools
    remaining: Ints
    school: Ints
    trust: Ints  # ``scoring.trust_code``
    credential: Bools  # [expert, mandatory qualification kind] held, verified
    need_rank: Ints  # [expert, need] usable level, 0 when not covered
    topic_rank: Ints  # [expert, topic]
    phase: Bools  # [expert, phase]
    offers: Bools  # [expert, format]
    safeguarded: Bools
    east: Floats  # NaN: unknown
    north: Floats
    travel: Floats
    age_min: Ints
    age_max: Ints
    free_value: Floats  # ``scoring.free_time_value``
    feedback: Floats
    share: Floats  # ``scoring.capacity_share``
    windows: Ints  # [expert, k, (weekday, start, end)], weekday -1 for padding
    days_off: Ints  # sorted keys expert × DAY_KEY + date ordinal
    # requests
    r_school: Ints
    r_trust: Ints
    r_credential: Ints  # the required qualification kind, -1: none
    r_needs: Ints  # [request, slot] ``scoring.weighted_needs``' codes
    r_need_importance: Floats  # [request, slot]
    r_need_total: Floats
    r_topics: Ints  # [request, slot] topic codes, in slug order
    r_topic_count: Ints  # 0: no topics named
    r_phase: Ints  # -1: a phase no expert serves
    r_ages: Ints  # [request, slot], NO_AGE padding
    r_age_count: Ints
    r_formats: Ints  # [request, slot] acceptable format codes in order of preference
    r_exact_format: Bools  # [request, format] ``scoring.is_format_asked``
    r_east: Floats
    r_north: Floats
    r_wanted: Ints  # [request, slot, (weekday, start, end, ordinal)], NO_WEEKDAY padding
    r_wanted_count: Ints
    r_urgency: Floats
    r_school_share: Floats
    # formats
    formats: tuple[str, ...]
    in_person_format: Bools  # [format]
    exact_distance: bool  # ``scoring.grid_distance_km``'s ``exact``


@dataclass(frozen=True, slots=True)
class _Codes:
    """The round's codes, each with its column index."""

    needs: dict[str, int]
    topics: dict[str, int]
    phases: dict[str, int]
    formats: tuple[str, ...]
    format: dict[str, int]
    kinds: dict[str, int]


def build_tables(
    requests: Sequence[RequestFacts],
    experts: Sequence[ExpertFacts],
    policy: ScoringPolicy,
    today: date,
) -> Tables:
    formats = tuple(
        sorted(
            {f for e in experts for f in e.formats}
            | {f for r in requests for f in acceptable_formats(r.format, r.video_acceptable)}
        )
    )
    codes = _Codes(
        needs=_index(
            [c for e in experts for c in e.need_levels]
            + [c for r in requests for c in (r.primary_need, *r.needs)]
        ),
        topics=_index(
            [t for e in experts for t in e.topic_levels] + [t for r in requests for t in r.topics]
        ),
        phases=_index([p for e in experts for p in e.phases]),
        formats=formats,
        format={f: i for i, f in enumerate(formats)},
        kinds=_index(MANDATORY_QUALIFICATION_FOR_NEED.values()),
    )
    exact = all(
        isinstance(v, int) and abs(v) < EXACT_COORDINATE
        for facts in (experts, requests)
        for f in facts
        for v in (f.easting, f.northing)
        if v is not None
    )
    return Tables(
        experts=experts,
        requests=requests,
        policy=policy,
        today=today,
        formats=formats,
        in_person_format=np.array([f in IN_PERSON_FORMATS for f in formats] or [False]),
        exact_distance=exact,
        **_expert_columns(experts, codes, policy, today),
        **_request_columns(requests, codes),
        **_wanted_columns(requests, policy, today),
    )


def _array(values: list[Any], dtype: Any) -> NDArray[Any]:
    return np.array(values, dtype=dtype)


def _coordinates(values: Iterable[int | None]) -> Floats:
    return _array([math.nan if v is None else v for v in values], float)


def _expert_columns(
    experts: Sequence[ExpertFacts], codes: _Codes, policy: ScoringPolicy, today: date
) -> dict[str, Any]:
    n = len(experts)
    credential = np.zeros((n, len(codes.kinds)), dtype=bool)
    need_rank = np.zeros((n, max(1, len(codes.needs))), dtype=np.int64)
    topic_rank = np.zeros((n, max(1, len(codes.topics))), dtype=np.int64)
    phase = np.zeros((n, max(1, len(codes.phases))), dtype=bool)
    offers = np.zeros((n, max(1, len(codes.formats))), dtype=bool)
    width = max((len(e.weekly_windows) for e in experts), default=0)
    windows = np.full((n, max(1, width), 3), -1, dtype=np.int64)
    days_off: list[int] = []
    for i, e in enumerate(experts):
        for kind, k in codes.kinds.items():
            credential[i, k] = kind in e.verified_credentials
        for code, rank in usable_needs(e).items():
            need_rank[i, codes.needs[code]] = rank
        for slug, rank in e.topic_levels.items():
            topic_rank[i, codes.topics[slug]] = rank
        for p in e.phases:
            phase[i, codes.phases[p]] = True
        for f in e.formats:
            offers[i, codes.format[f]] = True
        for k, window in enumerate(e.weekly_windows):
            windows[i, k] = window
        days_off.extend(i * DAY_KEY + day.toordinal() for day in e.unavailable_dates)
    return {
        "accepting": _array([accepts_work(e) for e in experts], bool),
        "remaining": _array([e.remaining for e in experts], np.int64),
        "school": _array([e.school_urn for e in experts], np.int64),
        "trust": _array([trust_code(e.trust_id) for e in experts], np.int64),
        "credential": credential,
        "need_rank": need_rank,
        "topic_rank": topic_rank,
        "phase": phase,
        "offers": offers,
        "safeguarded": _array([is_safeguarded(e, today) for e in experts], bool),
        "east": _coordinates(e.easting for e in experts),
        "north": _coordinates(e.northing for e in experts),
        "travel": _array([e.max_travel_km for e in experts], float),
        "age_min": _array([e.age_min for e in experts], np.int64),
        "age_max": _array([e.age_max for e in experts], np.int64),
        "free_value": _array([free_time_value(e, policy, today) for e in experts], float),
        "feedback": _array([feedback_value(e) for e in experts], float),
        "share": _array([capacity_share(e) for e in experts], float),
        "windows": windows,
        "days_off": np.array(sorted(days_off), dtype=np.int64),
    }


def _request_columns(requests: Sequence[RequestFacts], codes: _Codes) -> dict[str, Any]:
    m = len(requests)
    weighted = [weighted_needs(r) for r in requests]
    r_needs = np.full((m, max((len(w) for w in weighted), default=1)), -1, dtype=np.int64)
    r_need_importance = np.zeros(r_needs.shape)
    r_topics = np.full((m, max([1, *(len(r.topics) for r in requests)])), -1, dtype=np.int64)
    r_ages = np.full((m, max([1, *(len(r.ages) for r in requests)])), NO_AGE, dtype=np.int64)
    r_formats = np.full((m, len(ANY_FORMAT_PREFERENCE)), -1, dtype=np.int64)
    r_exact_format = np.zeros((m, max(1, len(codes.formats))), dtype=bool)
    for j, r in enumerate(requests):
        for s, (code, importance) in enumerate(weighted[j]):
            r_needs[j, s], r_need_importance[j, s] = codes.needs[code], importance
        for s, slug in enumerate(sorted(r.topics)):
            r_topics[j, s] = codes.topics[slug]
        r_ages[j, : len(r.ages)] = r.ages
        acceptable = acceptable_formats(r.format, r.video_acceptable)
        r_formats[j, : len(acceptable)] = [codes.format[f] for f in acceptable]
        for f in acceptable:
            r_exact_format[j, codes.format[f]] = is_format_asked(r.format, f)
    required = [required_qualification(r) for r in requests]
    return {
        "r_school": _array([r.school_urn for r in requests], np.int64),
        "r_trust": _array([trust_code(r.trust_id) for r in requests], np.int64),
        "r_credential": _array([-1 if k is None else codes.kinds[k] for k in required], np.int64),
        "r_needs": r_needs,
        "r_need_importance": r_need_importance,
        "r_need_total": r_need_importance.sum(axis=1),
        "r_topics": r_topics,
        "r_topic_count": _array([len(r.topics) for r in requests], np.int64),
        "r_phase": _array([codes.phases.get(r.phase, -1) for r in requests], np.int64),
        "r_ages": r_ages,
        "r_age_count": _array([len(r.ages) for r in requests], np.int64),
        "r_formats": r_formats,
        "r_exact_format": r_exact_format,
        "r_east": _coordinates(r.easting for r in requests),
        "r_north": _coordinates(r.northing for r in requests),
        "r_urgency": _array([urgency_value(r) for r in requests], float),
        "r_school_share": _array([school_share(r) for r in requests], float),
    }


def _wanted_columns(
    requests: Sequence[RequestFacts], policy: ScoringPolicy, today: date
) -> dict[str, Any]:
    wanted = [wanted_times(r, today, policy.availability_weeks) for r in requests]
    width = max([1, *(len(w) for w in wanted)])
    r_wanted = np.full((len(requests), width, 4), -1, dtype=np.int64)
    r_wanted[:, :, 0] = NO_WEEKDAY
    for j, times in enumerate(wanted):
        for s, (day, start, end) in enumerate(times):
            r_wanted[j, s] = (day.weekday(), start, end, day.toordinal())
    return {
        "r_wanted": r_wanted,
        "r_wanted_count": _array([len(w) for w in wanted], np.int64),
    }


# --- pairs of the tables -------------------------------------------------------------------

Requests = Ints | int
ExpertsIndex = Ints | slice


class TableView:
    """Pairs of ``Tables`` as ``scoring.Pairs``: ``requests`` and ``experts`` are parallel
    index arrays (pair by pair), or one request index and ``slice(None)`` or an index array
    of experts (one request against those experts; enough for the hard constraints). Each
    name is read from the tables when a rule asks for it."""

    __slots__ = ("_distance", "experts", "requests", "tables")

    def __init__(
        self,
        tables: Tables,
        requests: Requests,
        experts: ExpertsIndex,
        distance: Floats | None = None,
    ) -> None:
        self.tables, self.requests, self.experts = tables, requests, experts
        self._distance = distance

    def _pair_arrays(self) -> tuple[Ints, Ints]:
        """The parallel index arrays of pair-by-pair views (the availability criterion)."""
        if not isinstance(self.requests, np.ndarray) or not isinstance(self.experts, np.ndarray):
            raise TypeError("Preferred times are read pair by pair.")
        return self.requests, self.experts

    @property
    def policy(self) -> ScoringPolicy:
        return self.tables.policy

    @property
    def accepting(self) -> Value:
        return self.tables.accepting[self.experts]

    @property
    def remaining(self) -> Value:
        return self.tables.remaining[self.experts]

    @property
    def expert_school(self) -> Value:
        return self.tables.school[self.experts]

    @property
    def request_school(self) -> Value:
        return self.tables.r_school[self.requests]

    @property
    def expert_trust(self) -> Value:
        return self.tables.trust[self.experts]

    @property
    def request_trust(self) -> Value:
        return self.tables.r_trust[self.requests]

    @property
    def qualification_required(self) -> Value:
        return self.tables.r_credential[self.requests] >= 0

    @property
    def qualification_held(self) -> Value:
        kind = np.maximum(self.tables.r_credential[self.requests], 0)
        return self.tables.credential[self.experts, kind]

    def _levels(self, codes: Ints, rank: Ints) -> list[Value]:
        """For each slot of ``codes`` ([pairs, slot], or [slot] for one request), the
        expert's level, 0 for padding."""
        return [where(code >= 0, rank[self.experts, np.maximum(code, 0)], 0) for code in codes.T]

    @property
    def need_importance(self) -> Sequence[Value]:
        return list(self.tables.r_need_importance[self.requests].T)

    @property
    def need_levels(self) -> Sequence[Value]:
        return self._levels(self.tables.r_needs[self.requests], self.tables.need_rank)

    @property
    def need_total(self) -> Value:
        return self.tables.r_need_total[self.requests]

    @property
    def serves_phase(self) -> Value:
        phase = self.tables.r_phase[self.requests]
        return (phase >= 0) & self.tables.phase[self.experts, np.maximum(phase, 0)]

    @property
    def format_slots(self) -> Sequence[tuple[Value, Value]]:
        t = self.tables
        return [
            (
                (code >= 0) & t.offers[self.experts, np.maximum(code, 0)],
                t.in_person_format[np.maximum(code, 0)],
            )
            for code in t.r_formats[self.requests].T
        ]

    @property
    def safeguarded(self) -> Value:
        return self.tables.safeguarded[self.experts]

    @property
    def distance(self) -> Value:
        if self._distance is None:
            self._distance = distances_km(self.tables, self.requests, self.experts)
        return self._distance

    @property
    def travel(self) -> Value:
        return self.tables.travel[self.experts]

    @property
    def topic_levels(self) -> Sequence[Value]:
        return self._levels(self.tables.r_topics[self.requests], self.tables.topic_rank)

    @property
    def topic_count(self) -> Value:
        return self.tables.r_topic_count[self.requests]

    @property
    def ages(self) -> Sequence[Value]:
        return list(self.tables.r_ages[self.requests].T)

    @property
    def age_count(self) -> Value:
        return self.tables.r_age_count[self.requests]

    @property
    def age_min(self) -> Value:
        return self.tables.age_min[self.experts]

    @property
    def age_max(self) -> Value:
        return self.tables.age_max[self.experts]

    @property
    def wanted_count(self) -> Value:
        return self.tables.r_wanted_count[self.requests]

    @property
    def wanted(self) -> list[tuple[Value, Value, Value, Value]]:
        """Pair by pair: the preferred times as (weekday, start, end, a day off for the
        expert), slot by slot."""
        t, (requests, experts) = self.tables, self._pair_arrays()
        slots = t.r_wanted[requests]
        wanted = []
        for s in range(slots.shape[1]):
            weekday, start, end, ordinal = (slots[:, s, k] for k in range(4))
            off = np.isin(experts * DAY_KEY + ordinal, t.days_off) if len(t.days_off) else False
            wanted.append((weekday, start, end, off))
        return wanted

    @property
    def weekly_windows(self) -> list[tuple[Value, Value, Value]]:
        windows = self.tables.windows[self.experts]
        return [
            (windows[:, k, 0], windows[:, k, 1], windows[:, k, 2]) for k in range(windows.shape[1])
        ]

    @property
    def fits(self) -> Value:
        """Pair by pair, computed only for the pairs whose request named times."""
        requests, experts = self._pair_arrays()
        fits = np.zeros(len(requests), dtype=np.int64)
        rows = np.flatnonzero(self.wanted_count > 0)
        if len(rows):
            named = TableView(self.tables, requests[rows], experts[rows])
            session = self.policy.session_minutes
            fits[rows] = preferred_fits(named.wanted, named.weekly_windows, session)
        return fits

    @property
    def free_value(self) -> Value:
        return self.tables.free_value[self.experts]

    @property
    def urgency(self) -> Value:
        return self.tables.r_urgency[self.requests]

    @property
    def feedback(self) -> Value:
        return self.tables.feedback[self.experts]

    @property
    def capacity_share(self) -> Value:
        return self.tables.share[self.experts]

    @property
    def school_share(self) -> Value:
        return self.tables.r_school_share[self.requests]

    def asked_for(self, delivery: Value) -> Value:
        return self.tables.r_exact_format[self.requests, delivery]

    def visits(self, delivery: Value) -> Value:
        return self.tables.in_person_format[delivery]


def distances_km(tables: Tables, requests: Requests, experts: ExpertsIndex) -> Floats:
    """``scoring.grid_distance_km`` for each pair (NaN when unknown)."""
    dx = tables.r_east[requests] - tables.east[experts]
    dy = tables.r_north[requests] - tables.north[experts]
    return np.asarray(grid_distance_km(dx, dy, tables.exact_distance), dtype=float)


def distances_from(tables: Tables, request: int) -> Floats:
    """``distances_km`` from one request to every expert."""
    return distances_km(tables, request, slice(None))


# --- the round's coarse filter: every hard constraint, over all experts at once ------------


class Feasibility:
    """Which experts pass every hard constraint for a request, over all experts at once:
    ``scoring.HARD_CONSTRAINTS`` and the delivery format's rules, which ``exclusion_reasons``
    applies pair by pair. What depends on the expert alone is computed once, what depends
    on the request's profile (needs, phase, qualification) once per distinct profile, and
    the formats offered once per distinct set of acceptable formats."""

    def __init__(self, tables: Tables) -> None:
        t = self.tables = tables
        everyone = TableView(t, 0, slice(None))
        base = np.ones(len(t.accepting), dtype=bool)
        for _, depends, failing in HARD_CONSTRAINTS:
            if depends == EXPERT:
                base &= negate(failing(everyone))
        self._base = base
        profile_columns = np.column_stack([t.r_needs, t.r_phase, t.r_credential])
        self._profile_of = _row_ids(profile_columns)
        self._formats_of = _row_ids(t.r_formats)
        self._school_rules = [
            failing for _, depends, failing in HARD_CONSTRAINTS if depends == SCHOOL
        ]
        self._qualified: dict[int, Bools] = {}
        self._offers: dict[int, tuple[Bools | None, Bools | None]] = {}
        self._offered: dict[tuple[int, int], tuple[Bools | None, Bools | None]] = {}
        self._stacked: tuple[Bools, Bools, Bools] | None = None

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
        # The request's in-person formats and its remote ones, each as one slot.
        mask = None
        if visit_offered is not None:
            mask = slot_deliverable(visit_offered, True, visit_ok, remote_ok)
        if remote_offered is not None:
            remote = slot_deliverable(remote_offered, False, visit_ok, remote_ok)
            mask = remote if mask is None else mask | remote
        if mask is None:
            return np.zeros(0, dtype=np.int64)
        chosen = np.flatnonzero(mask)
        # Own school and trust exclude a handful of experts: checked on the few left (a rule
        # the policy switches off fails no one, as a plain False).
        left = TableView(self.tables, request, chosen)
        for failing in self._school_rules:
            failed = failing(left)
            if isinstance(failed, np.ndarray):
                chosen = chosen[negate(failed)]
                left = TableView(self.tables, request, chosen)
        return chosen

    def _offering(self, request: int, profile: int) -> tuple[Bools | None, Bools | None]:
        """Experts passing the profile's constraints who offer one of the request's
        in-person formats, and who offer one of its remote formats (None: it has none)."""
        if profile not in self._qualified:
            self._qualified[profile] = self._qualification(request)
        formats = int(self._formats_of[request])
        if formats not in self._offers:
            self._offers[formats] = self._format_offers(request)
        passing = self._qualified[profile]
        visit_offers, remote_offers = self._offers[formats]
        return (
            None if visit_offers is None else passing & visit_offers,
            None if remote_offers is None else passing & remote_offers,
        )

    def _qualification(self, request: int) -> Bools:
        """Experts passing the constraints of the request's profile."""
        passing = self._base.copy()
        request_view = TableView(self.tables, request, slice(None))
        for _, depends, failing in HARD_CONSTRAINTS:
            if depends == PROFILE:
                passing &= negate(failing(request_view))
        return passing

    def _format_offers(self, request: int) -> tuple[Bools | None, Bools | None]:
        """Experts offering one of the request's in-person formats, and one of its remote
        ones (None: it has none)."""
        t = self.tables
        codes = [int(f) for f in t.r_formats[request] if f >= 0]
        visit = [f for f in codes if t.in_person_format[f]]
        remote = [f for f in codes if not t.in_person_format[f]]
        return (
            t.offers[:, visit].any(axis=1) if visit else None,
            t.offers[:, remote].any(axis=1) if remote else None,
        )

    def matrix(self, requests: Ints, experts: Ints, distance: Floats) -> Bools:
        """``experts`` for many requests at once, over some experts: [request, expert],
        whether each of ``experts`` (columns) can take each of ``requests`` (rows), given
        their distances ([request, expert], km)."""
        t = self.tables
        qualified, visit_offers, remote_offers = self._matrices()
        rows, columns = requests[:, None], experts[None, :]
        profiles, formats = self._profile_of[rows], self._formats_of[rows]
        visit_ok = in_person_deliverable(t.safeguarded[columns], distance, t.travel[columns])
        remote_ok = remote_deliverable(distance, t.policy.video_reach_km)
        mask = slot_deliverable(visit_offers[formats, columns], True, visit_ok, remote_ok)
        mask |= slot_deliverable(remote_offers[formats, columns], False, visit_ok, remote_ok)
        mask &= qualified[profiles, columns]
        pairs = TableView(t, rows, columns)
        for failing in self._school_rules:
            failed = failing(pairs)
            if isinstance(failed, np.ndarray):
                mask &= negate(failed)
        return mask

    def _matrices(self) -> tuple[Bools, Bools, Bools]:
        """[profile, expert] passing the profile's constraints; [formats, expert] offering
        one of the in-person formats, and one of the remote ones (``_offering``'s masks)."""
        if self._stacked is None:
            n = len(self.tables.accepting)
            profiles, first = np.unique(self._profile_of, return_index=True)
            qualified = np.zeros((len(profiles), n), dtype=bool)
            for profile, request in zip(profiles.tolist(), first.tolist(), strict=True):
                qualified[profile] = self._qualification(request)
            formats, first = np.unique(self._formats_of, return_index=True)
            visit = np.zeros((len(formats), n), dtype=bool)
            remote = np.zeros((len(formats), n), dtype=bool)
            for code, request in zip(formats.tolist(), first.tolist(), strict=True):
                visit_offers, remote_offers = self._format_offers(request)
                if visit_offers is not None:
                    visit[code] = visit_offers
                if remote_offers is not None:
                    remote[code] = remote_offers
            self._stacked = (qualified, visit, remote)
        return self._stacked


def _row_ids(rows: Ints) -> Ints:
    """For each row, the id of its distinct value: equal rows, equal ids."""
    if not len(rows):
        return np.zeros(0, dtype=np.int64)
    return np.unique(rows, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)


# --- pair by pair --------------------------------------------------------------------------


@dataclass(slots=True)
class Scored:
    """One entry per pair: why it is excluded (a ``REASONS`` index, 0 when it fits), the
    delivery format (a ``Tables.formats`` index, -1 when excluded), the distance in km
    (NaN when unknown) and the 0–100 score rounded to two decimals (NaN when excluded)."""

    reason: Ints
    delivery: Ints
    distance: Floats
    score: Floats


def evaluate_pairs(tables: Tables, requests: Ints, experts: Ints) -> Scored:
    """``scoring.evaluate(explain=False)`` for the pairs (request index, expert index)."""
    reason, delivery, distance = exclusion_reasons(tables, requests, experts)
    score = np.full(len(requests), np.nan)
    keep = np.flatnonzero(reason == 0)
    if len(keep):
        pairs = TableView(tables, requests[keep], experts[keep], distance[keep])
        with np.errstate(invalid="ignore"):
            values = criterion_values(pairs, delivery[keep])
        score[keep] = weighted_score(values)
    return Scored(reason, delivery, distance, score)


def exclusion_reasons(tables: Tables, requests: Ints, experts: Ints) -> tuple[Ints, Ints, Floats]:
    """``evaluate_pairs`` without the score: each pair's ``REASONS`` index (0 = fits), its
    delivery format (-1 when excluded) and its distance in km (NaN when unknown)."""
    pairs = TableView(tables, requests, experts)
    reason = np.zeros(len(requests), dtype=np.int64)
    for code, _, failing in HARD_CONSTRAINTS:
        reason[(reason == 0) & failing(pairs)] = CODE[code]
    with np.errstate(invalid="ignore"):
        slot, why = delivery_slot(pairs)
    slot = np.broadcast_to(slot, reason.shape)
    undeliverable = (reason == 0) & (slot < 0)
    reason[undeliverable] = np.broadcast_to(why, reason.shape)[undeliverable]
    chosen = tables.r_formats[requests, np.maximum(slot, 0)]
    delivery = np.where(reason == 0, chosen, -1).astype(np.int64)
    return reason, delivery, np.asarray(pairs.distance, dtype=float)

"""How well an expert fits a support request: hard constraints, then weighted criteria.

The one home of every scoring rule. Each hard constraint and each criterion is written once,
below, over a pair's facts by name (``Pairs``), and runs on both of their shapes: plain
numbers for one pair (``PairFacts``: the per-request path and every explanation) and NumPy
arrays for many pairs at once (``vectorised.TableView``: a national matching round). The
round's numbers and the explanation's are therefore the same code; the few helpers under
"numbers or arrays" are the only place the two shapes differ.

Pure functions over plain dataclasses — no ORM — so every criterion is unit-tested on its
own and the national benchmark scores hundreds of thousands of pairs without a database.
``matching/selectors.py`` builds these facts from the database.

A score is 0–100: the weighted mean of the criteria that apply to the pair, each 0–1.
Every criterion carries a sentence a person can read ("7.2 km away"), written from the
values already computed.
"""

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from exchange import constants
from exchange.enums import (
    IN_PERSON_FORMATS,
    LEVEL_RANK,
    MANDATORY_QUALIFICATION_FOR_NEED,
    Format,
    Level,
    RequestFormat,
    Urgency,
)

MAX_LEVEL = max(LEVEL_RANK.values())
LEVEL_NAME = {rank: Level(level).label.lower() for level, rank in LEVEL_RANK.items()}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
# For "any format", the order in which an expert's offers are tried.
ANY_FORMAT_PREFERENCE = (
    Format.OBSERVATION_VISIT,
    Format.CONSULTATION,
    Format.STAFF_TRAINING,
    Format.VIDEO_CALL,
)
FORMAT_PHRASE: dict[str, str] = {
    Format.OBSERVATION_VISIT: "an observation visit",
    Format.CONSULTATION: "a consultation",
    Format.STAFF_TRAINING: "staff training",
    Format.VIDEO_CALL: "a video call",
}
URGENCY_BASE: dict[str, float] = {Urgency.URGENT: 1.0, Urgency.SOON: 0.6, Urgency.ROUTINE: 0.3}
# "Urgent (within two weeks)" → "urgent".
URGENCY_WORD: dict[str, str] = {
    urgency: urgency.label.split(" (")[0].lower() for urgency in Urgency
}
# Feedback is shrunk towards a prior so one glowing review does not outrank a long record.
FEEDBACK_PRIOR_MEAN = 4.0
FEEDBACK_PRIOR_WEIGHT = 3
PRIMARY_NEED_IMPORTANCE = 2
SECONDARY_NEED_IMPORTANCE = 1
# A school outside any trust: never the same trust as another school.
NO_TRUST = -1
# Integer coordinates up to this size square and add exactly in a double, so the correctly
# rounded ``sqrt`` of the sum is ``math.hypot``'s correctly rounded result.
EXACT_COORDINATE = 2**25
# Far wider than the rounding error of a score × 100 (at most 10,000: about 1e-12).
TIE_TOLERANCE = 1e-6


class Criterion:
    """Criterion codes; each is also the name of its ``Weights`` field."""

    NEEDS = "needs"
    TOPICS = "topics"
    AGE = "age"
    FORMAT = "format"
    DISTANCE = "distance"
    AVAILABILITY = "availability"
    URGENCY = "urgency"
    FEEDBACK = "feedback"
    FAIRNESS = "fairness"


CRITERION_LABELS = {
    Criterion.NEEDS: "Needs covered",
    Criterion.TOPICS: "Topics covered",
    Criterion.AGE: "Phase and age fit",
    Criterion.FORMAT: "Format fit",
    Criterion.DISTANCE: "Distance",
    Criterion.AVAILABILITY: "Shared availability",
    Criterion.URGENCY: "Urgency",
    Criterion.FEEDBACK: "Past feedback",
    Criterion.FAIRNESS: "Spreading the work",
}


class Exclusion:
    """Why a candidate cannot take a request (a hard constraint failed)."""

    NOT_ACCEPTING = "not_accepting_work"
    NO_CAPACITY = "no_capacity"
    OWN_SCHOOL = "own_school"
    OWN_TRUST = "own_trust"
    NO_NEED_OVERLAP = "no_need_overlap"
    MANDATORY_QUALIFICATION = "missing_mandatory_qualification"
    PHASE = "phase_not_served"
    FORMAT = "format_not_offered"
    SAFEGUARDING = "no_current_safeguarding"
    TOO_FAR = "too_far_to_visit"
    OUT_OF_REACH = "out_of_video_reach"
    LOW_SCORE = "below_minimum_score"
    PROPOSED_BEFORE = "proposed_before"


EXCLUSION_LABELS = {
    Exclusion.NOT_ACCEPTING: "not accepting work (unverified, suspended or paused)",
    Exclusion.NO_CAPACITY: "no capacity left this month",
    Exclusion.OWN_SCHOOL: "works at the requesting school",
    Exclusion.OWN_TRUST: "works in the requesting school's trust",
    Exclusion.NO_NEED_OVERLAP: "does not cover any of the needs",
    Exclusion.MANDATORY_QUALIFICATION: "lacks the mandatory qualification for the sensory need",
    Exclusion.PHASE: "does not work in this phase",
    Exclusion.FORMAT: "does not offer an acceptable format",
    Exclusion.SAFEGUARDING: "has no current safeguarding confirmation for a visit",
    Exclusion.TOO_FAR: "the school is beyond their travel distance for a visit",
    Exclusion.OUT_OF_REACH: "beyond the policy's reach for video calls",
    Exclusion.LOW_SCORE: "scored below the policy's minimum",
    Exclusion.PROPOSED_BEFORE: "already proposed for it and declined or did not answer",
}

# Exclusions as small integers, for arrays of pairs: 0 = fits, then the hard constraints in
# the order they are checked (``HARD_CONSTRAINTS``, then the delivery format's).
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


@dataclass(frozen=True, slots=True)
class Weights:
    needs: int = 30
    topics: int = 10
    age: int = 10
    format: int = 10
    distance: int = 15
    availability: int = 10
    urgency: int = 5
    feedback: int = 5
    fairness: int = 5


@dataclass(frozen=True, slots=True)
class ScoringPolicy:
    weights: Weights = field(default_factory=Weights)
    allow_own_school: bool = False
    allow_own_trust: bool = True
    # How far ahead shared availability is looked for, in weeks.
    availability_weeks: int = 3
    # Weekly free minutes that count as fully available when the school gave no times.
    availability_target_minutes: int = 240
    # The length of time a session needs inside a shared window.
    session_minutes: int = 60
    # Video calls work at any distance, but nearer experts score a little better.
    video_reach_km: int = 150


DEFAULT_POLICY = ScoringPolicy()


@dataclass(frozen=True, slots=True)
class ExpertFacts:
    id: int
    school_urn: int
    trust_id: int | None
    easting: int | None
    northing: int | None
    is_verified: bool
    is_suspended: bool
    is_paused: bool
    formats: frozenset[str]
    phases: frozenset[str]
    age_min: int
    age_max: int
    max_travel_km: int
    # Need code → level rank (1 aware … 4 lead); topic slug → level rank.
    need_levels: Mapping[str, int]
    topic_levels: Mapping[str, int]
    verified_credentials: frozenset[str]
    safeguarding_expires_on: date | None
    # Sessions a month, and how many are already held by live proposals this month.
    capacity: int
    load: int
    # (weekday 0–4, start minute, end minute) in Europe/London wall-clock time.
    weekly_windows: tuple[tuple[int, int, int], ...] = ()
    unavailable_dates: frozenset[date] = frozenset()
    feedback_sum: float = 0.0
    feedback_count: int = 0

    @property
    def remaining(self) -> int:
        return self.capacity - self.load


@dataclass(frozen=True, slots=True)
class RequestFacts:
    id: int
    school_urn: int
    trust_id: int | None
    easting: int | None
    northing: int | None
    primary_need: str
    needs: frozenset[str]
    topics: frozenset[str]
    phase: str
    ages: tuple[int, ...]
    format: str
    video_acceptable: bool
    urgency: str
    days_waiting: int = 0
    # (date, start minute, end minute) in Europe/London wall-clock time.
    preferred_windows: tuple[tuple[date, int, int], ...] = ()
    # Sessions the school has had recently: fairness spreads help across schools.
    school_sessions_received: int = 0


@dataclass(frozen=True, slots=True)
class CriterionScore:
    criterion: str
    weight: int
    value: float
    explanation: str

    @property
    def points(self) -> float:
        return self.weight * self.value


@dataclass(frozen=True, slots=True)
class Match:
    request_id: int
    expert_id: int
    score: float
    delivery_format: str
    distance_km: float | None
    criteria: tuple[CriterionScore, ...]

    @property
    def summary(self) -> str:
        return "; ".join(c.explanation for c in self.criteria if c.weight)


@dataclass(frozen=True, slots=True)
class Excluded:
    request_id: int
    expert_id: int
    reason: str

    @property
    def explanation(self) -> str:
        return EXCLUSION_LABELS[self.reason]


# --- numbers or arrays ---------------------------------------------------------------------
#
# The rules below run on one pair's plain numbers and on many pairs' NumPy arrays. These
# helpers are where the two differ: NumPy's function when an argument is an array, Python's
# own operation otherwise (for one pair far cheaper than a 0-d array). Both give the same
# IEEE-754 result, so a pair scores the same to the last bit either way.

# A number (one pair) or a NumPy array (one entry per pair).
Value = Any


def where(condition: Value, if_true: Value, if_false: Value) -> Value:
    """``np.where``; for one pair, a conditional (both branches are still evaluated, so
    each must be safe to compute: guard divisions)."""
    if condition is True:
        return if_true
    if condition is False:
        return if_false
    if isinstance(condition, np.ndarray):
        return np.where(condition, if_true, if_false)
    return if_true if condition else if_false


def maximum(a: Value, b: Value) -> Value:
    """``np.maximum``; for numbers, Python's comparison (which, unlike NumPy, need not
    return a NaN argument: the rules mask unknown distances themselves)."""
    if type(a) is np.ndarray or type(b) is np.ndarray:
        return np.maximum(a, b)
    return b if b > a else a


def minimum(a: Value, b: Value) -> Value:
    """``np.minimum``; for numbers, Python's comparison (as ``maximum``)."""
    if type(a) is np.ndarray or type(b) is np.ndarray:
        return np.minimum(a, b)
    return b if b < a else a


def negate(condition: Value) -> Value:
    """Logical not (``~`` on a Python bool is an integer)."""
    if type(condition) is bool:
        return not condition
    return np.logical_not(condition)


def is_unknown(distance: Value) -> Value:
    """An unknown distance is NaN (``None`` for one pair's ``Match``)."""
    if isinstance(distance, np.ndarray):
        return np.isnan(distance)
    return distance is None or distance != distance


def python_sum(terms: Sequence[Value]) -> Value:
    """Python's ``sum`` of floats (Neumaier-compensated); for arrays, the same operations
    elementwise, so the two agree to the last bit."""
    if not [term for term in terms if isinstance(term, np.ndarray)]:
        return sum(terms)
    shape = np.broadcast_shapes(*(np.shape(term) for term in terms))
    total = np.zeros(shape)
    compensation = np.zeros(shape)
    for x in terms:
        t = total + x
        compensation = compensation + np.where(
            np.abs(total) >= np.abs(x), (total - t) + x, (x - t) + total
        )
        total = t
    return np.where(np.isfinite(compensation), total + compensation, total)


def round_score(raw: Value) -> Value:
    """Python's ``round`` to two decimals: the double nearest the decimal nearest ``raw``.

    For arrays, ``rint(raw × 100) / 100`` is that same double (IEEE division is correctly
    rounded) unless ``raw × 100``, itself rounded, lies within rounding error of a tie
    (``.5``): those few entries are rounded by Python.
    """
    if not isinstance(raw, np.ndarray):
        return round(float(raw), 2)
    scaled = raw * 100
    rounded = np.rint(scaled) / 100
    with np.errstate(invalid="ignore"):
        near_tie = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < TIE_TOLERANCE)
    rounded[near_tie] = [round(x, 2) for x in raw[near_tie].tolist()]
    return rounded


def grid_distance_km(dx: Value, dy: Value, exact: bool = False) -> Value:
    """The distance between two points ``dx`` and ``dy`` metres apart on the British
    National Grid, in km: plain Euclidean distance, ``math.hypot``'s (NaN when unknown).
    For arrays, ``exact`` says every coordinate is an integer below ``EXACT_COORDINATE``,
    when NumPy's ``sqrt`` of the exact sum of squares is that same result."""
    if not isinstance(dx, np.ndarray) and not isinstance(dy, np.ndarray):
        return math.hypot(dx, dy) / 1000
    if exact:
        return np.sqrt(dx * dx + dy * dy) / 1000
    dx, dy = np.broadcast_arrays(dx, dy)
    hypot = [
        math.nan if math.isnan(x + y) else math.hypot(x, y)
        for x, y in zip(dx.tolist(), dy.tolist(), strict=True)
    ]
    return np.array(hypot, dtype=float) / 1000


# --- one expert's or one request's facts, derived once ------------------------------------


def accepts_work(expert: ExpertFacts) -> bool:
    return constants.accepts_work(
        is_verified=expert.is_verified,
        is_suspended=expert.is_suspended,
        is_paused=expert.is_paused,
    )


def is_safeguarded(expert: ExpertFacts, today: date) -> bool:
    """A current safeguarding confirmation (one expiring today still counts)."""
    return expert.safeguarding_expires_on is not None and expert.safeguarding_expires_on >= today


def required_qualification(request: RequestFacts) -> str | None:
    """The mandatory qualification a sensory primary need requires, if any."""
    return MANDATORY_QUALIFICATION_FOR_NEED.get(request.primary_need)


def usable_needs(expert: ExpertFacts) -> dict[str, int]:
    """The expert's needs, less any sensory need claimed without its verified mandatory
    qualification: such a claim does not count towards coverage."""
    return {
        code: rank
        for code, rank in expert.need_levels.items()
        if code not in MANDATORY_QUALIFICATION_FOR_NEED
        or MANDATORY_QUALIFICATION_FOR_NEED[code] in expert.verified_credentials
    }


def weighted_needs(request: RequestFacts) -> list[tuple[str, int]]:
    """The request's needs and their importance: the primary need first, counting twice
    as much as each other need (in code order)."""
    return [(request.primary_need, PRIMARY_NEED_IMPORTANCE)] + [
        (code, SECONDARY_NEED_IMPORTANCE) for code in sorted(request.needs - {request.primary_need})
    ]


def acceptable_formats(request_format: str, video_acceptable: bool) -> tuple[str, ...]:
    """The formats a request may be served in, in order of preference."""
    if request_format == RequestFormat.ANY:
        return ANY_FORMAT_PREFERENCE
    if video_acceptable and request_format != Format.VIDEO_CALL:
        return (request_format, Format.VIDEO_CALL)
    return (request_format,)


def is_format_asked(request_format: str, delivery: str) -> bool:
    """The format the school asked for (any format counts as asked for)."""
    return request_format in (RequestFormat.ANY, delivery)


def trust_code(trust_id: int | None) -> int:
    return NO_TRUST if trust_id is None else trust_id


def wanted_times(request: RequestFacts, today: date, weeks: int) -> list[tuple[date, int, int]]:
    """The school's preferred times inside the availability horizon: from today, for
    ``weeks`` weeks (the horizon's last day excluded)."""
    horizon = today + timedelta(weeks=weeks)
    return [window for window in request.preferred_windows if today <= window[0] < horizon]


def weekly_free_minutes(expert: ExpertFacts, today: date, weeks: int) -> float:
    """The expert's free minutes per week over the horizon, less their days off."""
    return _free_minutes(expert.weekly_windows, expert.unavailable_dates, today, weeks)


# An expert is scored against many requests on one day: their free time is the same each
# time (and with a school holiday in the horizon, every expert has days off to walk).
@lru_cache(maxsize=16384)
def _free_minutes(
    windows: tuple[tuple[int, int, int], ...], unavailable: frozenset[date], today: date, weeks: int
) -> float:
    minutes = sum(end - start for _, start, end in windows)
    horizon = today + timedelta(weeks=weeks)
    if not any(today <= day < horizon for day in unavailable):
        return minutes
    by_weekday = Counter[int]()
    for weekday, start, end in windows:
        by_weekday[weekday] += end - start
    free = sum(
        by_weekday[day.weekday()]
        for day in (today + timedelta(days=offset) for offset in range(weeks * 7))
        if day not in unavailable
    )
    return free / weeks


def free_time_value(expert: ExpertFacts, policy: ScoringPolicy, today: date) -> float:
    """Availability when the school named no times: how much weekly time is free, less
    days off, towards the policy's target (none without weekly windows)."""
    if not expert.weekly_windows:
        return 0.0
    minutes = weekly_free_minutes(expert, today, policy.availability_weeks)
    return min(1.0, minutes / policy.availability_target_minutes)


def urgency_value(request: RequestFacts) -> float:
    """Urgent requests, and requests that have waited, come first in a matching round."""
    return min(1.0, URGENCY_BASE[request.urgency] + request.days_waiting / 60)


def feedback_value(expert: ExpertFacts) -> float:
    """The mean rating (1–5), shrunk towards a prior of 4 by three phantom ratings, as 0–1."""
    mean = (expert.feedback_sum + FEEDBACK_PRIOR_MEAN * FEEDBACK_PRIOR_WEIGHT) / (
        expert.feedback_count + FEEDBACK_PRIOR_WEIGHT
    )
    return (mean - 1) / 4


def capacity_share(expert: ExpertFacts) -> float:
    """The expert's unused share of this month's capacity."""
    return max(0.0, 1 - expert.load / expert.capacity) if expert.capacity else 0.0


def school_share(request: RequestFacts) -> float:
    """Higher for schools that have had little help yet."""
    return 1 / (1 + request.school_sessions_received)


# --- a pair's facts, by name ---------------------------------------------------------------


class Pairs(Protocol):
    """What the rules read of a pair: numbers for one pair (``PairFacts``), or parallel
    NumPy arrays for many (``vectorised.TableView``). Absent items read as 0 or False:
    a need the expert does not cover has level 0."""

    @property
    def policy(self) -> ScoringPolicy: ...
    @property
    def accepting(self) -> Value: ...  # ``accepts_work``
    @property
    def remaining(self) -> Value: ...  # sessions left this month
    @property
    def expert_school(self) -> Value: ...
    @property
    def request_school(self) -> Value: ...
    @property
    def expert_trust(self) -> Value: ...  # ``trust_code``
    @property
    def request_trust(self) -> Value: ...
    @property
    def qualification_required(self) -> Value: ...  # ``required_qualification`` is set
    @property
    def qualification_held(self) -> Value: ...  # the expert has that one, verified
    @property
    def need_importance(self) -> Sequence[Value]: ...  # ``weighted_needs``, need by need
    @property
    def need_levels(self) -> Sequence[Value]: ...  # the ``usable_needs`` level of each
    @property
    def need_total(self) -> Value: ...  # the sum of the importances
    @property
    def serves_phase(self) -> Value: ...
    @property
    def format_slots(self) -> Sequence[tuple[Value, Value]]: ...  # (offered, in person)
    @property
    def safeguarded(self) -> Value: ...  # ``is_safeguarded``
    @property
    def distance(self) -> Value: ...  # km, NaN when unknown
    @property
    def travel(self) -> Value: ...  # the expert's travel distance for visits, km
    @property
    def topic_levels(self) -> Sequence[Value]: ...  # each named topic's level (code order)
    @property
    def topic_count(self) -> Value: ...
    @property
    def ages(self) -> Sequence[Value]: ...
    @property
    def age_count(self) -> Value: ...
    @property
    def age_min(self) -> Value: ...
    @property
    def age_max(self) -> Value: ...
    @property
    def wanted_count(self) -> Value: ...  # how many ``wanted_times``
    @property
    def fits(self) -> Value: ...  # ``preferred_fits`` of them
    @property
    def free_value(self) -> Value: ...  # ``free_time_value``
    @property
    def urgency(self) -> Value: ...  # ``urgency_value``
    @property
    def feedback(self) -> Value: ...  # ``feedback_value``
    @property
    def capacity_share(self) -> Value: ...
    @property
    def school_share(self) -> Value: ...
    def asked_for(self, delivery: Value) -> Value: ...  # ``is_format_asked``
    def visits(self, delivery: Value) -> Value: ...  # the delivery format is in person


class PairFacts:
    """One pair's facts as ``Pairs``: plain numbers, read from the dataclasses at once.
    Those that depend on the day (safeguarding, availability) are read only when ``today``
    is given: the delivery format and availability need it."""

    safeguarded: bool
    wanted: list[tuple[int, int, int, bool]]  # ``wanted_times`` as (weekday, start, end, off)
    wanted_count: int
    fits: int
    free_value: float

    def __init__(
        self,
        request: RequestFacts,
        expert: ExpertFacts,
        policy: ScoringPolicy = DEFAULT_POLICY,
        today: date | None = None,
    ) -> None:
        self.request, self.expert, self.policy = request, expert, policy
        self.accepting = accepts_work(expert)
        self.remaining = expert.remaining
        self.expert_school, self.request_school = expert.school_urn, request.school_urn
        self.expert_trust = trust_code(expert.trust_id)
        self.request_trust = trust_code(request.trust_id)
        required = required_qualification(request)
        self.qualification_required = required is not None
        self.qualification_held = required in expert.verified_credentials
        self.serves_phase = request.phase in expert.phases
        self.weighted_needs = weighted_needs(request)
        self.need_importance = [importance for _, importance in self.weighted_needs]
        self.need_total = sum(self.need_importance)
        usable = usable_needs(expert)
        self.need_levels = [usable.get(code, 0) for code, _ in self.weighted_needs]
        self.formats = acceptable_formats(request.format, request.video_acceptable)
        r, e = request, expert
        self.distance: float = math.nan  # unknown
        if not (r.easting is None or r.northing is None or e.easting is None or e.northing is None):
            self.distance = grid_distance_km(r.easting - e.easting, r.northing - e.northing)
        self.travel = expert.max_travel_km
        self.topics = sorted(request.topics)
        self.topic_count = len(self.topics)
        self.ages, self.age_count = request.ages, len(request.ages)
        self.age_min, self.age_max = expert.age_min, expert.age_max
        self.urgency, self.feedback = urgency_value(request), feedback_value(expert)
        self.capacity_share, self.school_share = capacity_share(expert), school_share(request)
        if today is not None:
            self._read_dated(today)

    def _read_dated(self, today: date) -> None:
        expert, policy = self.expert, self.policy
        self.safeguarded = is_safeguarded(expert, today)
        days_off = expert.unavailable_dates
        self.wanted = [
            (day.weekday(), start, end, day in days_off)
            for day, start, end in wanted_times(self.request, today, policy.availability_weeks)
        ]
        self.wanted_count = len(self.wanted)
        self.fits = preferred_fits(self.wanted, expert.weekly_windows, policy.session_minutes)
        self.free_value = free_time_value(expert, policy, today)

    @property
    def format_slots(self) -> list[tuple[bool, bool]]:
        return [(f in self.expert.formats, f in IN_PERSON_FORMATS) for f in self.formats]

    @property
    def topic_levels(self) -> list[int]:
        return [self.expert.topic_levels.get(slug, 0) for slug in self.topics]

    def asked_for(self, delivery: str) -> bool:
        return is_format_asked(self.request.format, delivery)

    def visits(self, delivery: str) -> bool:
        return delivery in IN_PERSON_FORMATS


# --- hard constraints ----------------------------------------------------------------------

# What of a request a hard constraint depends on: nothing (the expert alone), the request's
# profile (primary need, needs, phase), or its school (school and trust). A round checks
# each group once per expert, once per distinct profile, and per request.
EXPERT, PROFILE, SCHOOL = "expert", "profile", "school"
Failing = Callable[[Pairs], Value]


def _not_accepting(pairs: Pairs) -> Value:
    return negate(pairs.accepting)


def _no_capacity(pairs: Pairs) -> Value:
    return pairs.remaining <= 0


def _own_school(pairs: Pairs) -> Value:
    if pairs.policy.allow_own_school:
        return False
    return pairs.expert_school == pairs.request_school


def _own_trust(pairs: Pairs) -> Value:
    if pairs.policy.allow_own_trust:
        return False
    return (pairs.expert_trust != NO_TRUST) & (pairs.expert_trust == pairs.request_trust)


def _missing_qualification(pairs: Pairs) -> Value:
    return pairs.qualification_required & negate(pairs.qualification_held)


def _no_need_overlap(pairs: Pairs) -> Value:
    covered: Value = False
    for level in pairs.need_levels:
        covered = covered | (level > 0)
    return negate(covered)


def _phase_not_served(pairs: Pairs) -> Value:
    return negate(pairs.serves_phase)


# In the order they are checked: (reason, what it depends on, the failing pairs). The format,
# safeguarding and distance constraints depend on the format chosen: ``delivery_slot``.
HARD_CONSTRAINTS: tuple[tuple[str, str, Failing], ...] = (
    (Exclusion.NOT_ACCEPTING, EXPERT, _not_accepting),
    (Exclusion.NO_CAPACITY, EXPERT, _no_capacity),
    (Exclusion.OWN_SCHOOL, SCHOOL, _own_school),
    (Exclusion.OWN_TRUST, SCHOOL, _own_trust),
    (Exclusion.MANDATORY_QUALIFICATION, PROFILE, _missing_qualification),
    (Exclusion.NO_NEED_OVERLAP, PROFILE, _no_need_overlap),
    (Exclusion.PHASE, PROFILE, _phase_not_served),
)


def in_person_deliverable(safeguarded: Value, distance: Value, travel: Value) -> Value:
    """A visit or training needs a current safeguarding confirmation and a school of known
    location within the expert's travel distance."""
    # Comparisons with NaN (unknown location) are False and raise no floating-point error.
    return safeguarded & (distance <= travel)


def remote_deliverable(distance: Value, video_reach_km: float) -> Value:
    """A remote format needs a school within the policy's video reach, or of unknown
    location."""
    return negate(distance > video_reach_km)


def slot_deliverable(offered: Value, in_person: Value, visit_ok: Value, remote_ok: Value) -> Value:
    """Whether an acceptable format can be delivered: the expert offers it and, as it is in
    person or remote, can visit (``in_person_deliverable``) or reach the school."""
    return offered & where(in_person, visit_ok, remote_ok)


def delivery_slot(pairs: Pairs) -> tuple[Value, Value]:
    """The first acceptable format (an index into ``acceptable_formats``) the expert offers
    and can deliver, -1 when none; and then the ``CODE`` of why not: the last offered
    format's failure (safeguarding, travel distance, video reach), else not offered."""
    distance, safeguarded = pairs.distance, pairs.safeguarded
    visit_ok = in_person_deliverable(safeguarded, distance, pairs.travel)
    remote_ok = remote_deliverable(distance, pairs.policy.video_reach_km)
    # Why an offered format fails, by kind (0: it can be delivered).
    visit_failure = where(
        safeguarded, where(visit_ok, 0, CODE[Exclusion.TOO_FAR]), CODE[Exclusion.SAFEGUARDING]
    )
    remote_failure = where(remote_ok, 0, CODE[Exclusion.OUT_OF_REACH])
    chosen: Value = -1
    why: Value = CODE[Exclusion.FORMAT]
    for slot, (offered, in_person) in enumerate(pairs.format_slots):
        tried = (chosen < 0) & offered
        failure = where(in_person, visit_failure, remote_failure)
        why = where(tried & (failure > 0), failure, why)
        chosen = where(tried & (failure == 0), slot, chosen)
    return chosen, why


def _first_failing(pairs: Pairs) -> str | None:
    for reason, _, failing in HARD_CONSTRAINTS:
        if failing(pairs):
            return reason
    return None


def hard_constraint(
    request: RequestFacts, expert: ExpertFacts, policy: ScoringPolicy
) -> str | None:
    """The first hard constraint the pair fails (an ``Exclusion`` code), or None.

    The format, safeguarding and distance constraints depend on the format chosen, so
    :func:`delivery_slot` checks them.
    """
    return _first_failing(PairFacts(request, expert, policy))


def distance_km(request: RequestFacts, expert: ExpertFacts) -> float | None:
    """British National Grid coordinates are metres: plain Euclidean distance."""
    distance = PairFacts(request, expert).distance
    return None if is_unknown(distance) else distance


# --- weighted criteria: the formulas -------------------------------------------------------


def coverage(wanted: Iterable[tuple[Value, Value]], total: Value) -> Value:
    """Importance-weighted share of what is wanted (``total``: the importances' sum), each
    (importance, level) item scaled by the expert's level (0: not covered, so it adds 0);
    0 when nothing is wanted."""
    covered: Value = 0.0
    for importance, level in wanted:
        covered = covered + importance * level / MAX_LEVEL
    return covered / maximum(total, 1)


def ages_inside(ages: Iterable[Value], age_min: Value, age_max: Value) -> Value:
    """How many of the pupils' ages fall inside the expert's age range (inclusive)."""
    inside: Value = 0
    for age in ages:
        inside = inside + ((age_min <= age) & (age <= age_max))
    return inside


def age_fit(inside: Value, count: Value) -> Value:
    """Share of the pupils' ages (from their year groups) inside the expert's age range;
    full when no year groups are given."""
    return where(count > 0, inside / maximum(count, 1), 1.0)


def format_fit(asked_for: Value) -> Value:
    """Full marks for the format asked for; half for a video call offered instead."""
    return where(asked_for, 1.0, 0.5)


def distance_fit(distance: Value, in_person: Value, travel: Value, video_reach_km: float) -> Value:
    """Linear from 1 at the school gate to 0 at the expert's reach: their travel distance
    for visits, the policy's video reach otherwise. 0 when the distance is unknown."""
    reach = where(in_person, travel, video_reach_km)
    near = where(reach != 0, maximum(0.0, 1 - distance / where(reach != 0, reach, 1)), 0.0)
    return where(is_unknown(distance), 0.0, near)


def preferred_fits(
    wanted: Iterable[tuple[Value, Value, Value, Value]],
    windows: Iterable[tuple[Value, Value, Value]],
    session_minutes: int,
) -> Value:
    """How many preferred times (weekday, start, end, a day off) fall inside one of the
    expert's weekly windows (weekday, start, end) for a whole session: on a weekday
    (Monday 0 … Friday 4) that is not one of the expert's days off."""
    windows = list(windows)
    fits: Value = 0
    for weekday, start, end, day_off in wanted:
        inside: Value = False
        for window_day, window_start, window_end in windows:
            overlap = minimum(end, window_end) - maximum(start, window_start)
            inside = inside | ((window_day == weekday) & (overlap >= session_minutes))
        fits = fits + (inside & (weekday <= 4) & negate(day_off))
    return fits


def availability_fit(fits: Value, wanted_count: Value, free_value: Value) -> Value:
    """With preferred times: the share of them (in the coming weeks) that fit. Without:
    ``free_time_value``."""
    return where(wanted_count > 0, fits / maximum(wanted_count, 1), free_value)


def fairness_fit(expert_share: Value, school_share: Value) -> Value:
    """Half for the expert's unused capacity (so one popular expert is not proposed to
    everyone), half for schools that have had little help yet."""
    return (expert_share + school_share) / 2


def _needs_value(pairs: Pairs, delivery: Value) -> Value:
    return coverage(zip(pairs.need_importance, pairs.need_levels, strict=True), pairs.need_total)


def _topics_value(pairs: Pairs, delivery: Value) -> Value:
    return coverage(((1, level) for level in pairs.topic_levels), pairs.topic_count)


def _age_value(pairs: Pairs, delivery: Value) -> Value:
    return age_fit(ages_inside(pairs.ages, pairs.age_min, pairs.age_max), pairs.age_count)


def _format_value(pairs: Pairs, delivery: Value) -> Value:
    return format_fit(pairs.asked_for(delivery))


def _distance_value(pairs: Pairs, delivery: Value) -> Value:
    in_person = pairs.visits(delivery)
    return distance_fit(pairs.distance, in_person, pairs.travel, pairs.policy.video_reach_km)


def _availability_value(pairs: Pairs, delivery: Value) -> Value:
    return availability_fit(pairs.fits, pairs.wanted_count, pairs.free_value)


def _urgency_value(pairs: Pairs, delivery: Value) -> Value:
    return pairs.urgency


def _feedback_value(pairs: Pairs, delivery: Value) -> Value:
    return pairs.feedback


def _fairness_value(pairs: Pairs, delivery: Value) -> Value:
    return fairness_fit(pairs.capacity_share, pairs.school_share)


# Each criterion's value for pairs delivered in a format, in the order a score adds them.
CRITERION_VALUES: dict[str, Callable[[Pairs, Value], Value]] = {
    Criterion.NEEDS: _needs_value,
    Criterion.TOPICS: _topics_value,
    Criterion.AGE: _age_value,
    Criterion.FORMAT: _format_value,
    Criterion.DISTANCE: _distance_value,
    Criterion.AVAILABILITY: _availability_value,
    Criterion.URGENCY: _urgency_value,
    Criterion.FEEDBACK: _feedback_value,
    Criterion.FAIRNESS: _fairness_value,
}


# Criteria that apply only to some pairs (weight 0 for the others): topics, when the school
# named some.
CRITERION_APPLIES: dict[str, Callable[[Pairs], Value]] = {
    Criterion.TOPICS: lambda pairs: pairs.topic_count > 0,
}


def criterion_weight(criterion: str, weight: int, pairs: Pairs) -> Value:
    """A criterion's weight for the pairs (0 where it does not apply)."""
    applies = CRITERION_APPLIES.get(criterion)
    return weight if applies is None else where(applies(pairs), weight, 0)


def criterion_values(pairs: Pairs, delivery: Value) -> list[tuple[str, Value, Value]]:
    """(criterion, weight, value) of every criterion, under the policy's weights."""
    weights = pairs.policy.weights
    return [
        (name, criterion_weight(name, getattr(weights, name), pairs), value(pairs, delivery))
        for name, value in CRITERION_VALUES.items()
    ]


def weighted_score(values: Iterable[tuple[str, Value, Value]]) -> Value:
    """The weighted mean of ``criterion_values`` (criterion, weight, value) on a 0–100
    scale, rounded to two decimals; 0 when every weight is 0."""
    total_weight: Value = 0
    points = []
    for _, weight, value in values:
        total_weight = total_weight + weight
        points.append(weight * value)
    mean = 100 * python_sum(points) / maximum(total_weight, 1)
    return round_score(where(total_weight > 0, mean, 0.0))


# --- weighted criteria: the words ----------------------------------------------------------
# Sentences for one pair, from the facts and the values the formulas above computed.


def _label(code: str) -> str:
    return code.replace("-", " ").replace("_", " ")


def _coverage_words(
    codes: Sequence[str], levels: Sequence[int], what: str, label: Callable[[str], str]
) -> str:
    hits, misses = [], []
    for code, level in zip(codes, levels, strict=True):
        if level:
            hits.append(f"{label(code)} at {LEVEL_NAME[level]} level")
        else:
            misses.append(label(code))
    if not hits:
        return f"covers none of the {what} ({', '.join(misses)})"
    if misses:
        return f"covers {', '.join(hits)}; not {', '.join(misses)}"
    return f"covers {', '.join(hits)}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _spoken_windows(windows: Iterable[tuple[int, int, int]]) -> str:
    """'Tuesday afternoons and Thursday mornings'."""
    slots = sorted({(weekday, start >= 12 * 60) for weekday, start, _ in windows})
    phrases = [
        f"{WEEKDAYS[weekday]} {'afternoons' if afternoon else 'mornings'}"
        for weekday, afternoon in slots
    ]
    return phrases[-1] if len(phrases) == 1 else f"{', '.join(phrases[:-1])} and {phrases[-1]}"


def _needs_words(pairs: PairFacts, delivery: str) -> str:
    codes = [code for code, _ in pairs.weighted_needs]
    return _coverage_words(codes, pairs.need_levels, "needs", str)


def _topics_words(pairs: PairFacts, delivery: str) -> str:
    if not pairs.topic_count:
        return "no topics named"
    return _coverage_words(pairs.topics, pairs.topic_levels, "topics", _label)


def _age_words(pairs: PairFacts, delivery: str) -> str:
    text = f"works with ages {pairs.age_min}–{pairs.age_max}"
    inside = ages_inside(pairs.ages, pairs.age_min, pairs.age_max)
    if not pairs.age_count:
        return text + "; no year groups given"
    if inside == pairs.age_count:
        return text + ", as your pupils"
    return text + f": {inside} of {pairs.age_count} ages covered"


def _format_words(request_format: str, delivery: str) -> str:
    text = f"offers {FORMAT_PHRASE[delivery]}"
    if not is_format_asked(request_format, delivery):
        text += f" instead of {FORMAT_PHRASE[request_format]}"
    return text


def _distance_words(distance: float) -> str:
    return "distance unknown" if is_unknown(distance) else f"{distance:.1f} km away"


def _availability_words(pairs: PairFacts, delivery: str) -> str:
    weeks = pairs.policy.availability_weeks
    if pairs.wanted_count:
        return (
            f"free in {pairs.fits} of your {pairs.wanted_count} preferred times "
            f"in the next {weeks} weeks"
        )
    windows = pairs.expert.weekly_windows
    if not windows:
        return "no weekly availability set"
    if pairs.free_value:  # some free minutes
        return f"free on {_spoken_windows(windows)} in the next {weeks} weeks"
    return f"no free time in the next {weeks} weeks"


def _urgency_words(request: RequestFacts) -> str:
    return f"{URGENCY_WORD[request.urgency]}, waiting {_count(request.days_waiting, 'day')}"


def _feedback_words(expert: ExpertFacts) -> str:
    if not expert.feedback_count:
        return "no feedback yet"
    raw = expert.feedback_sum / expert.feedback_count
    return f"rated {raw:.1f}/5 after {_count(expert.feedback_count, 'session')}"


def _fairness_words(pairs: PairFacts, delivery: str) -> str:
    expert, received = pairs.expert, pairs.request.school_sessions_received
    school = _count(received, "session") if received else "no sessions"
    return (
        f"{expert.load} of {expert.capacity} sessions this month taken; "
        f"your school has had {school} recently"
    )


CRITERION_WORDS: dict[str, Callable[[PairFacts, str], str]] = {
    Criterion.NEEDS: _needs_words,
    Criterion.TOPICS: _topics_words,
    Criterion.AGE: _age_words,
    Criterion.FORMAT: lambda pairs, delivery: _format_words(pairs.request.format, delivery),
    Criterion.DISTANCE: lambda pairs, delivery: _distance_words(pairs.distance),
    Criterion.AVAILABILITY: _availability_words,
    Criterion.URGENCY: lambda pairs, delivery: _urgency_words(pairs.request),
    Criterion.FEEDBACK: lambda pairs, delivery: _feedback_words(pairs.expert),
    Criterion.FAIRNESS: _fairness_words,
}


def _criterion(
    name: str, pairs: PairFacts, delivery: str, weight: int, explain: bool
) -> CriterionScore:
    """One criterion of one pair, explained."""
    text = CRITERION_WORDS[name](pairs, delivery) if explain else ""
    value = CRITERION_VALUES[name](pairs, delivery)
    return CriterionScore(name, criterion_weight(name, weight, pairs), value, text)


# Each criterion on its own, for one pair (``evaluate`` scores them all at once).


def needs_criterion(
    request: RequestFacts, expert: ExpertFacts, weight: int, explain: bool = True
) -> CriterionScore:
    """The primary need counts twice as much as each other need; lead level counts fully."""
    return _criterion(Criterion.NEEDS, PairFacts(request, expert), "", weight, explain)


def topics_criterion(
    request: RequestFacts, expert: ExpertFacts, weight: int, explain: bool = True
) -> CriterionScore:
    """Not applicable (weight 0) when the school named no topics."""
    return _criterion(Criterion.TOPICS, PairFacts(request, expert), "", weight, explain)


def age_criterion(
    request: RequestFacts, expert: ExpertFacts, weight: int, explain: bool = True
) -> CriterionScore:
    """Share of the pupils' ages (from their year groups) inside the expert's age range."""
    return _criterion(Criterion.AGE, PairFacts(request, expert), "", weight, explain)


def format_criterion(
    request: RequestFacts, delivery: str, weight: int, explain: bool = True
) -> CriterionScore:
    """Full marks for the format asked for; half for a video call offered instead."""
    value = format_fit(is_format_asked(request.format, delivery))
    text = _format_words(request.format, delivery) if explain else ""
    return CriterionScore(Criterion.FORMAT, weight, value, text)


def distance_criterion(
    distance: float | None,
    expert: ExpertFacts,
    delivery: str,
    policy: ScoringPolicy,
    weight: int,
    explain: bool = True,
) -> CriterionScore:
    """Linear from 1 at the school gate to 0 at the expert's reach: their travel distance
    for visits, the policy's video reach otherwise."""
    km = math.nan if distance is None else distance
    in_person = delivery in IN_PERSON_FORMATS
    value = distance_fit(km, in_person, expert.max_travel_km, policy.video_reach_km)
    return CriterionScore(Criterion.DISTANCE, weight, value, _distance_words(km) if explain else "")


def availability_criterion(
    request: RequestFacts,
    expert: ExpertFacts,
    policy: ScoringPolicy,
    today: date,
    weight: int,
    explain: bool = True,
) -> CriterionScore:
    """With preferred times: the share of them (in the coming weeks) that fall inside the
    expert's weekly windows for a whole session. Without: how much weekly time is free,
    less days off."""
    pairs = PairFacts(request, expert, policy, today)
    return _criterion(Criterion.AVAILABILITY, pairs, "", weight, explain)


def urgency_criterion(request: RequestFacts, weight: int, explain: bool = True) -> CriterionScore:
    """Urgent requests, and requests that have waited, come first in a matching round."""
    text = _urgency_words(request) if explain else ""
    return CriterionScore(Criterion.URGENCY, weight, urgency_value(request), text)


def feedback_criterion(expert: ExpertFacts, weight: int, explain: bool = True) -> CriterionScore:
    """The mean rating (1–5), shrunk towards a prior of 4 by three phantom ratings."""
    text = _feedback_words(expert) if explain else ""
    return CriterionScore(Criterion.FEEDBACK, weight, feedback_value(expert), text)


def fairness_criterion(
    request: RequestFacts, expert: ExpertFacts, weight: int, explain: bool = True
) -> CriterionScore:
    """Half for the expert's unused capacity (so one popular expert is not proposed to
    everyone), half for schools that have had little help yet."""
    return _criterion(Criterion.FAIRNESS, PairFacts(request, expert), "", weight, explain)


# --- one pair, and one request's candidates ------------------------------------------------


def evaluate(
    request: RequestFacts,
    expert: ExpertFacts,
    policy: ScoringPolicy,
    today: date,
    explain: bool = True,
) -> Match | Excluded:
    """The pair's score and explanation, or the hard constraint that excludes it.

    ``explain=False`` leaves the sentences empty: a matching round scores many pairs and
    explains only the ones it proposes.
    """
    pairs = PairFacts(request, expert, policy, today)
    reason = _first_failing(pairs)
    if reason is None:
        slot, why = delivery_slot(pairs)
        if slot < 0:
            reason = REASONS[why]
    if reason is not None:
        return Excluded(request.id, expert.id, reason)
    delivery = pairs.formats[slot]
    values = criterion_values(pairs, delivery)
    words = CRITERION_WORDS
    criteria = tuple(
        [
            CriterionScore(name, weight, value, words[name](pairs, delivery) if explain else "")
            for name, weight, value in values
        ]
    )
    score = weighted_score(values)
    distance = None if is_unknown(pairs.distance) else pairs.distance
    return Match(request.id, expert.id, score, delivery, distance, criteria)


def unknown_last(distance: Value) -> Value:
    """A distance to sort by: an unknown one (None, NaN) counts as infinitely far."""
    if isinstance(distance, np.ndarray):
        return np.where(np.isnan(distance), np.inf, distance)
    return math.inf if is_unknown(distance) else distance


def ranking_key(score: Value, distance: Value, expert_id: Value) -> tuple[Value, Value, Value]:
    """The one order of candidates, everywhere: best score first, then nearer — an unknown
    distance sorts last — then the lower expert id. Ascending, as a sort key (numbers) or
    as ``np.lexsort`` keys (arrays, reversed). The round's nearest-few cut uses its last two
    keys: nearer first, unknown distances last, then the lower expert id."""
    return (-score, unknown_last(distance), expert_id)


@dataclass(frozen=True, slots=True)
class Ranking:
    matches: list[Match]
    exclusions: Counter[str]


def rank(
    request: RequestFacts,
    experts: Iterable[ExpertFacts],
    policy: ScoringPolicy,
    today: date,
    explain: bool = True,
) -> Ranking:
    """Every feasible expert, best first (``ranking_key``), and a count of why the others
    were excluded."""
    matches: list[Match] = []
    exclusions: Counter[str] = Counter()
    for expert in experts:
        result = evaluate(request, expert, policy, today, explain)
        if isinstance(result, Excluded):
            exclusions[result.reason] += 1
        else:
            matches.append(result)
    matches.sort(key=lambda m: ranking_key(m.score, m.distance_km, m.expert_id))
    return Ranking(matches, exclusions)


def describe_exclusions(exclusions: Mapping[str, int]) -> str:
    """'No expert could take this request: 4 the school is beyond their travel distance for
    a visit; 2 no capacity left this month.'"""
    if not exclusions:
        return "No expert covers these needs in this phase."
    parts = [
        f"{count} {EXCLUSION_LABELS[reason]}"
        for reason, count in sorted(exclusions.items(), key=lambda item: (-item[1], item[0]))
    ]
    return "No expert could take this request: " + "; ".join(parts) + "."

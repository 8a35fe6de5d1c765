"""The vocabulary of scoring: criteria and exclusions with their labels, the policy's
weights, and the plain facts of an expert and of a request that every rule reads."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from exchange.enums import (
    LEVEL_RANK,
    Format,
    Level,
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
# Outcomes (goals met or exceeded at the review, GAS T ≥ 50) count towards past feedback
# once an expert has this many reviews, shrunk towards the same prior (a 0.75 share).
OUTCOME_MIN_REVIEWS = 3
OUTCOME_PRIOR_SHARE = 0.75
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
    # One rating (1–5) per rated session, and outcome reviews: how many, how many met.
    feedback_sum: float = 0.0
    feedback_count: int = 0
    outcome_reviews: int = 0
    outcomes_met: int = 0

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

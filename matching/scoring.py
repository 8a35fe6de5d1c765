"""How well an expert fits a support request: hard constraints, then weighted criteria.

Pure functions over plain dataclasses — no ORM — so every criterion is unit-tested on its
own and the national benchmark scores hundreds of thousands of pairs without a database.
``matching/facts.py`` builds these facts from the database.

A score is 0–100: the weighted mean of the criteria that apply to the pair, each 0–1.
Every criterion carries a sentence a person can read ("7.2 km away").
"""

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

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
FORMAT_PHRASE = {
    Format.OBSERVATION_VISIT: "an observation visit",
    Format.CONSULTATION: "a consultation",
    Format.STAFF_TRAINING: "staff training",
    Format.VIDEO_CALL: "a video call",
}
URGENCY_BASE: dict[str, float] = {Urgency.URGENT: 1.0, Urgency.SOON: 0.6, Urgency.ROUTINE: 0.3}
# Feedback is shrunk towards a prior so one glowing review does not outrank a long record.
FEEDBACK_PRIOR_MEAN = 4.0
FEEDBACK_PRIOR_WEIGHT = 3
PRIMARY_NEED_IMPORTANCE = 2
SECONDARY_NEED_IMPORTANCE = 1


class Criterion:
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


# --- hard constraints ----------------------------------------------------------------------


def distance_km(request: RequestFacts, expert: ExpertFacts) -> float | None:
    """British National Grid coordinates are metres: plain Euclidean distance."""
    if None in (request.easting, request.northing, expert.easting, expert.northing):
        return None
    return (
        math.hypot(request.easting - expert.easting, request.northing - expert.northing)  # type: ignore[operator]
        / 1000
    )


def usable_needs(expert: ExpertFacts) -> dict[str, int]:
    """The expert's needs, less any sensory need claimed without its verified mandatory
    qualification: such a claim does not count towards coverage."""
    return {
        code: rank
        for code, rank in expert.need_levels.items()
        if code not in MANDATORY_QUALIFICATION_FOR_NEED
        or MANDATORY_QUALIFICATION_FOR_NEED[code] in expert.verified_credentials
    }


def acceptable_formats(request_format: str, video_acceptable: bool) -> tuple[str, ...]:
    """The formats a request may be served in, in order of preference."""
    if request_format == RequestFormat.ANY:
        return ANY_FORMAT_PREFERENCE
    if video_acceptable and request_format != Format.VIDEO_CALL:
        return (request_format, Format.VIDEO_CALL)
    return (request_format,)


def delivery_format(
    request: RequestFacts,
    expert: ExpertFacts,
    policy: ScoringPolicy,
    today: date,
    distance: float | None,
) -> str | Excluded:
    """The first acceptable format the expert offers and can deliver: visits need a current
    safeguarding confirmation and a school within the expert's travel distance; video calls
    a school within the policy's video reach (or of unknown location)."""
    reason = Exclusion.FORMAT
    for candidate in acceptable_formats(request.format, request.video_acceptable):
        if candidate not in expert.formats:
            continue
        if candidate in IN_PERSON_FORMATS:
            if expert.safeguarding_expires_on is None or expert.safeguarding_expires_on < today:
                reason = Exclusion.SAFEGUARDING
                continue
            if distance is None or distance > expert.max_travel_km:
                reason = Exclusion.TOO_FAR
                continue
        elif distance is not None and distance > policy.video_reach_km:
            reason = Exclusion.OUT_OF_REACH
            continue
        return candidate
    return Excluded(request.id, expert.id, reason)


def hard_constraint(
    request: RequestFacts, expert: ExpertFacts, policy: ScoringPolicy
) -> str | None:
    """The first hard constraint the pair fails (an ``Exclusion`` code), or None.

    The format, safeguarding and distance constraints depend on the format chosen, so
    :func:`delivery_format` checks them.
    """
    if not expert.is_verified or expert.is_suspended or expert.is_paused:
        return Exclusion.NOT_ACCEPTING
    if expert.remaining <= 0:
        return Exclusion.NO_CAPACITY
    if not policy.allow_own_school and expert.school_urn == request.school_urn:
        return Exclusion.OWN_SCHOOL
    if (
        not policy.allow_own_trust
        and expert.trust_id is not None
        and expert.trust_id == request.trust_id
    ):
        return Exclusion.OWN_TRUST
    required = MANDATORY_QUALIFICATION_FOR_NEED.get(request.primary_need)
    if required is not None and required not in expert.verified_credentials:
        return Exclusion.MANDATORY_QUALIFICATION
    if request.needs.isdisjoint(usable_needs(expert)):
        return Exclusion.NO_NEED_OVERLAP
    if request.phase not in expert.phases:
        return Exclusion.PHASE
    return None


# --- weighted criteria ---------------------------------------------------------------------


def _label(code: str) -> str:
    return code.replace("-", " ").replace("_", " ")


def _coverage(
    wanted: Iterable[tuple[str, int]],
    known: Mapping[str, int],
    what: str,
    label: Callable[[str], str],
    explain: bool,
) -> tuple[float, str]:
    """Importance-weighted share of what is wanted, each item scaled by the expert's level."""
    total = covered = 0.0
    hits: list[str] = []
    misses: list[str] = []
    for code, importance in wanted:
        total += importance
        rank = known.get(code)
        if rank:
            covered += importance * rank / MAX_LEVEL
            if explain:
                hits.append(f"{label(code)} at {LEVEL_NAME[rank]} level")
        elif explain:
            misses.append(label(code))
    value = covered / total if total else 0.0
    if not explain:
        return value, ""
    if not hits:
        return value, f"covers none of the {what} ({', '.join(misses)})"
    if misses:
        return value, f"covers {', '.join(hits)}; not {', '.join(misses)}"
    return value, f"covers {', '.join(hits)}"


def needs_criterion(
    request: RequestFacts, expert: ExpertFacts, weight: int, explain: bool = True
) -> CriterionScore:
    """The primary need counts twice as much as each other need; lead level counts fully."""
    ordered = [(request.primary_need, PRIMARY_NEED_IMPORTANCE)] + [
        (code, SECONDARY_NEED_IMPORTANCE) for code in sorted(request.needs - {request.primary_need})
    ]
    value, text = _coverage(ordered, usable_needs(expert), "needs", str, explain)
    return CriterionScore(Criterion.NEEDS, weight, value, text)


def topics_criterion(
    request: RequestFacts, expert: ExpertFacts, weight: int, explain: bool = True
) -> CriterionScore:
    """Not applicable (weight 0) when the school named no topics."""
    if not request.topics:
        return CriterionScore(Criterion.TOPICS, 0, 0.0, "no topics named")
    wanted = [(slug, 1) for slug in sorted(request.topics)]
    value, text = _coverage(wanted, expert.topic_levels, "topics", _label, explain)
    return CriterionScore(Criterion.TOPICS, weight, value, text)


def age_criterion(
    request: RequestFacts, expert: ExpertFacts, weight: int, explain: bool = True
) -> CriterionScore:
    """Share of the pupils' ages (from their year groups) inside the expert's age range."""
    ages = request.ages
    inside = sum(expert.age_min <= age <= expert.age_max for age in ages)
    value = inside / len(ages) if ages else 1.0
    text = ""
    if explain:
        text = f"works with ages {expert.age_min}–{expert.age_max}"
        if not ages:
            text += "; no year groups given"
        elif inside == len(ages):
            text += ", as your pupils"
        else:
            text += f": {inside} of {len(ages)} ages covered"
    return CriterionScore(Criterion.AGE, weight, value, text)


def format_criterion(
    request: RequestFacts, delivery: str, weight: int, explain: bool = True
) -> CriterionScore:
    """Full marks for the format asked for; half for a video call offered instead."""
    exact = request.format in (RequestFormat.ANY, delivery)
    text = ""
    if explain:
        text = f"offers {FORMAT_PHRASE[Format(delivery)]}"
        if not exact:
            text += f" instead of {FORMAT_PHRASE[Format(request.format)]}"
    return CriterionScore(Criterion.FORMAT, weight, 1.0 if exact else 0.5, text)


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
    if distance is None:
        return CriterionScore(Criterion.DISTANCE, weight, 0.0, "distance unknown")
    reach = expert.max_travel_km if delivery in IN_PERSON_FORMATS else policy.video_reach_km
    value = max(0.0, 1 - distance / reach) if reach else 0.0
    return CriterionScore(
        Criterion.DISTANCE, weight, value, f"{distance:.1f} km away" if explain else ""
    )


def _spoken_windows(windows: Iterable[tuple[int, int, int]]) -> str:
    """'Tuesday afternoons and Thursday mornings'."""
    slots = sorted({(weekday, start >= 12 * 60) for weekday, start, _ in windows})
    phrases = [
        f"{WEEKDAYS[weekday]} {'afternoons' if afternoon else 'mornings'}"
        for weekday, afternoon in slots
    ]
    return phrases[-1] if len(phrases) == 1 else f"{', '.join(phrases[:-1])} and {phrases[-1]}"


def _weekly_free_minutes(expert: ExpertFacts, today: date, weeks: int) -> float:
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
    weeks = policy.availability_weeks
    horizon = today + timedelta(weeks=weeks)
    wanted = [w for w in request.preferred_windows if today <= w[0] < horizon]
    need = policy.session_minutes
    text = ""
    if wanted:
        fits = 0
        for day, start, end in wanted:
            if day.weekday() > 4 or day in expert.unavailable_dates:
                continue
            if any(
                weekday == day.weekday() and min(end, w_end) - max(start, w_start) >= need
                for weekday, w_start, w_end in expert.weekly_windows
            ):
                fits += 1
        if explain:
            text = f"free in {fits} of your {len(wanted)} preferred times in the next {weeks} weeks"
        return CriterionScore(Criterion.AVAILABILITY, weight, fits / len(wanted), text)
    if not expert.weekly_windows:
        return CriterionScore(Criterion.AVAILABILITY, weight, 0.0, "no weekly availability set")
    minutes = _weekly_free_minutes(expert, today, weeks)
    if explain:
        text = (
            f"free on {_spoken_windows(expert.weekly_windows)} in the next {weeks} weeks"
            if minutes
            else f"no free time in the next {weeks} weeks"
        )
    value = min(1.0, minutes / policy.availability_target_minutes)
    return CriterionScore(Criterion.AVAILABILITY, weight, value, text)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def urgency_criterion(request: RequestFacts, weight: int, explain: bool = True) -> CriterionScore:
    """Urgent requests, and requests that have waited, come first in a matching round."""
    value = min(1.0, URGENCY_BASE[request.urgency] + request.days_waiting / 60)
    text = ""
    if explain:
        label = Urgency(request.urgency).label.split(" (")[0].lower()
        text = f"{label}, waiting {_count(request.days_waiting, 'day')}"
    return CriterionScore(Criterion.URGENCY, weight, value, text)


def feedback_criterion(expert: ExpertFacts, weight: int, explain: bool = True) -> CriterionScore:
    """The mean rating (1–5), shrunk towards a prior of 4 by three phantom ratings."""
    mean = (expert.feedback_sum + FEEDBACK_PRIOR_MEAN * FEEDBACK_PRIOR_WEIGHT) / (
        expert.feedback_count + FEEDBACK_PRIOR_WEIGHT
    )
    text = ""
    if explain:
        text = "no feedback yet"
        if expert.feedback_count:
            raw = expert.feedback_sum / expert.feedback_count
            text = f"rated {raw:.1f}/5 after {_count(expert.feedback_count, 'session')}"
    return CriterionScore(Criterion.FEEDBACK, weight, (mean - 1) / 4, text)


def fairness_criterion(
    request: RequestFacts, expert: ExpertFacts, weight: int, explain: bool = True
) -> CriterionScore:
    """Half for the expert's unused capacity (so one popular expert is not proposed to
    everyone), half for schools that have had little help yet."""
    expert_share = max(0.0, 1 - expert.load / expert.capacity) if expert.capacity else 0.0
    received = request.school_sessions_received
    value = (expert_share + 1 / (1 + received)) / 2
    text = ""
    if explain:
        school = _count(received, "session") if received else "no sessions"
        text = (
            f"{expert.load} of {expert.capacity} sessions this month taken; "
            f"your school has had {school} recently"
        )
    return CriterionScore(Criterion.FAIRNESS, weight, value, text)


def evaluate(
    request: RequestFacts,
    expert: ExpertFacts,
    policy: ScoringPolicy,
    today: date,
    explain: bool = True,
) -> Match | Excluded:
    """The pair's score and explanation, or the hard constraint that excludes it.

    ``explain=False`` skips writing the sentences: a matching round scores many pairs and
    explains only the ones it proposes.
    """
    reason = hard_constraint(request, expert, policy)
    if reason is not None:
        return Excluded(request.id, expert.id, reason)
    distance = distance_km(request, expert)
    delivery = delivery_format(request, expert, policy, today, distance)
    if isinstance(delivery, Excluded):
        return delivery
    w = policy.weights
    criteria = (
        needs_criterion(request, expert, w.needs, explain),
        topics_criterion(request, expert, w.topics, explain),
        age_criterion(request, expert, w.age, explain),
        format_criterion(request, delivery, w.format, explain),
        distance_criterion(distance, expert, delivery, policy, w.distance, explain),
        availability_criterion(request, expert, policy, today, w.availability, explain),
        urgency_criterion(request, w.urgency, explain),
        feedback_criterion(expert, w.feedback, explain),
        fairness_criterion(request, expert, w.fairness, explain),
    )
    total_weight = sum(c.weight for c in criteria)
    score = 100 * sum(c.points for c in criteria) / total_weight if total_weight else 0.0
    return Match(request.id, expert.id, round(score, 2), delivery, distance, criteria)


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
    """Every feasible expert, best first (ties: nearer, then lower id), and a count of why
    the others were excluded."""
    matches: list[Match] = []
    exclusions: Counter[str] = Counter()
    for expert in experts:
        result = evaluate(request, expert, policy, today, explain)
        if isinstance(result, Excluded):
            exclusions[result.reason] += 1
        else:
            matches.append(result)
    matches.sort(
        key=lambda m: (
            -m.score,
            m.distance_km if m.distance_km is not None else math.inf,
            m.expert_id,
        )
    )
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

"""Facts derived once from one expert or one request (accepting work, safeguarding, usable
needs, acceptable formats, free time, urgency, feedback, fairness shares), shared by the
per-pair facts and the round's tables."""

from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

from exchange import constants
from exchange.enums import (
    MANDATORY_QUALIFICATION_FOR_NEED,
    Format,
    RequestFormat,
)
from matching.scoring.arrays import Value, maximum, minimum, negate
from matching.scoring.facts import (
    ANY_FORMAT_PREFERENCE,
    FEEDBACK_PRIOR_MEAN,
    FEEDBACK_PRIOR_WEIGHT,
    NO_TRUST,
    OUTCOME_MIN_REVIEWS,
    OUTCOME_PRIOR_SHARE,
    PRIMARY_NEED_IMPORTANCE,
    SECONDARY_NEED_IMPORTANCE,
    URGENCY_BASE,
    ExpertFacts,
    RequestFacts,
    ScoringPolicy,
)


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
    """The mean rating (1–5), shrunk towards a prior of 4 by three phantom ratings, as 0–1.
    Once the expert has ``OUTCOME_MIN_REVIEWS`` outcome reviews, it is averaged with the
    share of reviews whose goals were met or exceeded, shrunk the same way (towards 0.75,
    the prior rating's place on 0–1): with no feedback and no reviews it is the prior."""
    mean = (expert.feedback_sum + FEEDBACK_PRIOR_MEAN * FEEDBACK_PRIOR_WEIGHT) / (
        expert.feedback_count + FEEDBACK_PRIOR_WEIGHT
    )
    rating = (mean - 1) / 4
    if not counts_outcomes(expert):
        return rating
    share = (expert.outcomes_met + OUTCOME_PRIOR_SHARE * FEEDBACK_PRIOR_WEIGHT) / (
        expert.outcome_reviews + FEEDBACK_PRIOR_WEIGHT
    )
    return (rating + share) / 2


def counts_outcomes(expert: ExpertFacts) -> bool:
    """Enough outcome reviews to say something about the expert's results."""
    return expert.outcome_reviews >= OUTCOME_MIN_REVIEWS


def capacity_share(expert: ExpertFacts) -> float:
    """The expert's unused share of this month's capacity."""
    return max(0.0, 1 - expert.load / expert.capacity) if expert.capacity else 0.0


def school_share(request: RequestFacts) -> float:
    """Higher for schools that have had little help yet."""
    return 1 / (1 + request.school_sessions_received)


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

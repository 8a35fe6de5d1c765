"""The words of an explanation: each criterion's sentence, written from the values the
formulas already computed (nothing is scored twice)."""

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from exchange.enums import IN_PERSON_FORMATS
from matching.scoring.arrays import is_unknown
from matching.scoring.criteria import (
    CRITERION_VALUES,
    ages_inside,
    criterion_weight,
    distance_fit,
    format_fit,
)
from matching.scoring.derived import (
    counts_outcomes,
    feedback_value,
    is_format_asked,
    urgency_value,
)
from matching.scoring.facts import (
    FORMAT_PHRASE,
    LEVEL_NAME,
    URGENCY_WORD,
    WEEKDAYS,
    Criterion,
    CriterionScore,
    ExpertFacts,
    RequestFacts,
    ScoringPolicy,
)
from matching.scoring.pairs import PairFacts

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
        words = "no feedback yet"
    else:
        raw = expert.feedback_sum / expert.feedback_count
        words = f"rated {raw:.1f}/5 after {_count(expert.feedback_count, 'session')}"
    if counts_outcomes(expert):
        words += (
            f"; goals met or exceeded in {expert.outcomes_met} of "
            f"{_count(expert.outcome_reviews, 'review')}"
        )
    return words


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
    """The mean rating (1–5), shrunk towards a prior of 4 by three phantom ratings; with
    enough outcome reviews, averaged with the share whose goals were met."""
    text = _feedback_words(expert) if explain else ""
    return CriterionScore(Criterion.FEEDBACK, weight, feedback_value(expert), text)


def fairness_criterion(
    request: RequestFacts, expert: ExpertFacts, weight: int, explain: bool = True
) -> CriterionScore:
    """Half for the expert's unused capacity (so one popular expert is not proposed to
    everyone), half for schools that have had little help yet."""
    return _criterion(Criterion.FAIRNESS, PairFacts(request, expert), "", weight, explain)

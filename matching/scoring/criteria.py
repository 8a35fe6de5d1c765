"""The weighted criteria's formulas (``CRITERION_VALUES``), each 0–1, and the score: the
weighted mean of the criteria that apply to the pair, 0–100."""

from collections.abc import Callable, Iterable

from matching.scoring.arrays import Value, is_unknown, maximum, python_sum, round_score, where
from matching.scoring.facts import MAX_LEVEL, Criterion
from matching.scoring.pairs import Pairs


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

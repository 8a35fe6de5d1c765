"""One pair scored with its explanation (``evaluate``), one request's candidates ranked
(``rank``) in the one tie-break order (``ranking_key``), and exclusions described."""

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from matching.scoring.arrays import Value, is_unknown
from matching.scoring.constraints import delivery_slot, first_failing
from matching.scoring.criteria import criterion_values, weighted_score
from matching.scoring.facts import (
    EXCLUSION_LABELS,
    REASONS,
    CriterionScore,
    Excluded,
    ExpertFacts,
    Match,
    RequestFacts,
    ScoringPolicy,
)
from matching.scoring.pairs import PairFacts
from matching.scoring.words import CRITERION_WORDS


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
    reason = first_failing(pairs)
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

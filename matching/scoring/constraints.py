"""The hard constraints, in check order (``HARD_CONSTRAINTS``), and the delivery format's
rules (``delivery_slot``): a pair failing one is excluded with its reason."""

from collections.abc import Callable

from matching.scoring.arrays import Value, is_unknown, negate, where
from matching.scoring.facts import (
    CODE,
    NO_TRUST,
    Exclusion,
    ExpertFacts,
    RequestFacts,
)
from matching.scoring.pairs import PairFacts, Pairs

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


def first_failing(pairs: Pairs) -> str | None:
    for reason, _, failing in HARD_CONSTRAINTS:
        if failing(pairs):
            return reason
    return None


def distance_km(request: RequestFacts, expert: ExpertFacts) -> float | None:
    """British National Grid coordinates are metres: plain Euclidean distance."""
    distance = PairFacts(request, expert).distance
    return None if is_unknown(distance) else distance

"""Why a round's request got no proposal, as one ``UnmatchedReason``: the finer figure
unmet-demand analytics count (docs/matching.md). Pure: read from the exclusion counts the
round already has for the request (``CandidateGraph.exclusions``), no further query."""

from collections.abc import Mapping

from matching.enums import UnmatchedReason
from matching.scoring import Exclusion

# How far an expert who shares a need and the phase got, by the constraint that stopped
# them: the reason is the furthest stage any of them reached.
_STAGE = {
    Exclusion.NOT_ACCEPTING: 0,
    Exclusion.NO_CAPACITY: 0,
    Exclusion.MANDATORY_QUALIFICATION: 0,
    Exclusion.OWN_SCHOOL: 1,
    Exclusion.OWN_TRUST: 1,
    Exclusion.FORMAT: 2,
    Exclusion.SAFEGUARDING: 3,
    Exclusion.TOO_FAR: 3,
    Exclusion.OUT_OF_REACH: 3,
    Exclusion.PROPOSED_BEFORE: 4,
    Exclusion.LOW_SCORE: 5,
}
_REASON = {
    0: UnmatchedReason.NO_QUALIFIED_EXPERT,
    1: UnmatchedReason.NO_FEASIBLE_EXPERT,
    2: UnmatchedReason.FORMAT_NOT_OFFERED,
    3: UnmatchedReason.TOO_FAR,
    4: UnmatchedReason.PROPOSED_BEFORE,
    5: UnmatchedReason.BELOW_MINIMUM_SCORE,
}


def unmatched_reason(exclusions: Mapping[str, int]) -> UnmatchedReason:
    """The reason for a request no expert could take, from how many experts each
    exclusion stopped (``describe_exclusions``' counts; none: nobody shares a need and the
    phase). Distance stops them only where it was the limit: experts who were stopped at
    that stage by safeguarding alone leave the generic ``no_feasible_expert``."""
    reached = [_STAGE.get(code, 0) for code, count in exclusions.items() if count > 0]
    stage = max(reached, default=0)
    if stage == _STAGE[Exclusion.TOO_FAR] and not any(
        exclusions.get(code, 0) for code in (Exclusion.TOO_FAR, Exclusion.OUT_OF_REACH)
    ):
        return UnmatchedReason.NO_FEASIBLE_EXPERT
    return _REASON[stage]

"""Every write in matching: policies (``policy``), proposals for one request
(``proposals``), matching rounds over all waiting requests (``rounds``), and the proposal
lifecycle (``lifecycle``: accept, decline, expire, remind, withdraw). Callers import from
here."""

from matching.services.lifecycle import (
    proposal_accept,
    proposal_decline,
    proposals_expire,
    proposals_remind,
    proposals_withdraw_for_request,
)
from matching.services.policy import POLICY_FIELDS, matching_policy_publish
from matching.services.proposals import PROPOSE_TASK, proposals_create_for_request
from matching.services.rounds import (
    ROUND_TASK,
    SCORE_SCALE,
    matching_round_request,
    matching_round_run,
)

__all__ = [
    "POLICY_FIELDS",
    "PROPOSE_TASK",
    "ROUND_TASK",
    "SCORE_SCALE",
    "matching_policy_publish",
    "matching_round_request",
    "matching_round_run",
    "proposal_accept",
    "proposal_decline",
    "proposals_create_for_request",
    "proposals_expire",
    "proposals_remind",
    "proposals_withdraw_for_request",
]

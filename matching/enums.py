from django.db import models


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"


class DeclineReason(models.TextChoices):
    """Why an expert declined a proposal, coded so that analytics can count the reasons
    (``analytics/flow``'s ``declines``); the expert's own words go beside it."""

    NO_CAPACITY = "no_capacity", "No time left: my sessions are taken"
    OUTSIDE_EXPERTISE = "outside_expertise", "The needs are outside my expertise"
    TOO_FAR = "too_far", "The school is too far to travel to"
    TIMES = "times", "The school's times do not suit me"
    FORMAT = "format", "The format asked for does not suit me"
    OTHER = "other", "Another reason (in the text)"


# A live proposal holds one unit of the expert's capacity until it is decided.
LIVE_PROPOSAL_STATUSES = (ProposalStatus.PROPOSED, ProposalStatus.ACCEPTED)


class Objective(models.TextChoices):
    MAX_SCORE = "max_score", "Highest total score"
    MAX_SERVED = "max_served", "Most requests served, then highest score"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Periodic schedule"
    ADMIN = "admin", "Admin action"
    COMMAND = "command", "Management command"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class UnmatchedReason(models.TextChoices):
    """Why a round left a request without a proposal, from the furthest any expert with
    capacity who shares one of its needs and its phase got (``unmet.unmatched_reason``)."""

    NO_QUALIFIED_EXPERT = (
        "no_qualified_expert",
        "No expert with capacity covers the needs in this phase (with the mandatory qualification)",
    )
    FORMAT_NOT_OFFERED = (
        "format_not_offered",
        "Qualified experts exist, but none offers an acceptable format",
    )
    TOO_FAR = (
        "too_far",
        "Qualified experts offer a format, but none can reach the school (travel distance "
        "for a visit, the video reach, or video not acceptable)",
    )
    PROPOSED_BEFORE = (
        "proposed_before",
        "Every expert who could take it was proposed before (declined or did not answer)",
    )
    BELOW_MINIMUM_SCORE = (
        "below_minimum_score",
        "Experts could take it, but every pair scored below the policy's minimum",
    )
    NO_FEASIBLE_EXPERT = (
        "no_feasible_expert",
        "No expert meets the hard constraints for another reason (own school or trust, "
        "safeguarding for a visit)",
    )
    CAPACITY_TAKEN = "capacity_taken", "Feasible experts' capacity went to other requests"

from django.db import models


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"


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

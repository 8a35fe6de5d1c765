from django.db import models


class ResourceStatus(models.TextChoices):
    DRAFT = "draft", "Draft (the author is writing it)"
    PENDING = "pending", "Waiting for an admin's review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


# Which status may follow which, and who moves it: the author submits, an admin approves
# (again, to renew the review-by date) or rejects (an approved resource too, when it has
# gone stale). A rejected resource is edited and submitted again.
TRANSITIONS: dict[str, frozenset[str]] = {
    ResourceStatus.DRAFT: frozenset({ResourceStatus.PENDING}),
    ResourceStatus.PENDING: frozenset({ResourceStatus.APPROVED, ResourceStatus.REJECTED}),
    ResourceStatus.APPROVED: frozenset({ResourceStatus.APPROVED, ResourceStatus.REJECTED}),
    ResourceStatus.REJECTED: frozenset({ResourceStatus.PENDING}),
}

# The author edits content only before it is approved; an approved resource changes only
# through moderation.
EDITABLE_STATUSES = frozenset(
    {ResourceStatus.DRAFT, ResourceStatus.PENDING, ResourceStatus.REJECTED}
)


class EvidenceLevel(models.TextChoices):
    CLASSROOM_PRACTICE = "classroom_practice", "Classroom practice"
    EVALUATED_IN_SCHOOL = "evaluated_in_school", "Evaluated in a school, with outcome data"
    RESEARCH_BACKED = "research_backed", "Research-backed, with a citation"


class Visibility(models.TextChoices):
    PARTICIPANTS = "participants", "The author and the session's participants"
    TRUST = "trust", "The author's trust"
    EVERYONE = "everyone", "Everyone signed in"

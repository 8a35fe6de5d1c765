"""Choices of the knowledge app: feedback, outcome reviews and their reminders."""

from django.db import models


class Side(models.TextChoices):
    SCHOOL = "school", "The requesting school"
    EXPERT = "expert", "The expert"


class FeedbackReminderStage(models.TextChoices):
    """How many school days after the session a participant who has not answered is
    reminded (``settings.KNOWLEDGE["FEEDBACK_REMINDER_SCHOOL_DAYS"]``)."""

    FIRST = "first", "First reminder"
    SECOND = "second", "Second reminder"


class ReviewStatus(models.TextChoices):
    COMPLETED = "completed", "Completed"
    SKIPPED = "skipped", "Skipped"


# Goal Attainment Scaling: five levels, 0 the expected outcome.
GAS_LEVELS = {
    -2: "much less than expected",
    -1: "somewhat less than expected",
    0: "the expected outcome",
    1: "somewhat more than expected",
    2: "much more than expected",
}

from django.db import models


class StatisticSymbol(models.TextChoices):
    """DfE's symbols in place of a number. Their meanings have swapped between publications:
    these are the current release's (check each release's guidance before importing an old one)."""

    NONE = "", "a number"
    CONFIDENTIAL = "c", "confidential (suppressed)"
    LOW = "low", "rounds to 0 but is not 0"
    NOT_AVAILABLE = "x", "not available"
    NOT_APPLICABLE = "z", "not applicable"
    LOW_RELIABILITY = "u", "low reliability"

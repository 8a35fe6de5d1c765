"""Free text in feedback, reports, goals and reviews is held to the same rule as a
request's: no pupil's name or date of birth (``exchange.privacy``, ``docs/privacy.md``)."""

from typing import Any

from django.utils import timezone

from config.errors import ApplicationError
from exchange import privacy


def refuse_pupil_identifiers(fields: dict[str, Any]) -> None:
    """400 ``pupil_identifying_data`` naming each text field that seems to hold some."""
    today = timezone.localdate()
    findings = {
        name: [finding.message for finding in found]
        for name, text in fields.items()
        if isinstance(text, str) and (found := privacy.find_pupil_identifiers(text, today=today))
    }
    if findings:
        raise ApplicationError(
            "The text seems to hold pupil-identifying data; remove it and try again.",
            code="pupil_identifying_data",
            fields=findings,
        )

"""Writes on a support request that reach every layer, so they live in the top one."""

from django.db import transaction

from accounts.models import User
from exchange.enums import RequestStatus
from exchange.models import SupportRequest
from exchange.services import support_request_transition
from matching.services import proposals_withdraw_for_request
from scheduling.services.changes import sessions_cancel_for_request


def support_request_cancel(
    *, support_request: SupportRequest, by: User, reason: str = ""
) -> SupportRequest:
    """Any open status → ``cancelled``: undecided and accepted proposals are withdrawn and
    live sessions cancelled, all in the one transaction.

    Not a domain event handled later: a cancelled request must never be seen with an
    accepted proposal holding an expert's capacity, or a confirmed session still in two
    calendars and due a reminder, so the three changes commit together or not at all."""
    with transaction.atomic():
        cancelled = support_request_transition(
            support_request_id=support_request.pk,
            to_status=RequestStatus.CANCELLED,
            by=by,
            reason=reason,
        )
        proposals_withdraw_for_request(support_request_id=support_request.pk)
        sessions_cancel_for_request(support_request_id=support_request.pk, by=by, reason=reason)
    return cancelled

"""Who may see and do what with matching's proposals.

- see a proposal: the expert it was made to, while it is open or accepted (a declined,
  expired or withdrawn proposal is 404 to them, as its request is: it carries the
  request's text, ``exchange.access.request_visibility``); the requesting school's staff
  and SENCOs and its trust's coordinators (``exchange.access.request_readers``); admins.
- accept or decline it: the expert it was made to, only.
- matching rounds and the matching policy: platform admins only (DRF's ``IsAdminUser`` on
  the views).
"""

from django.db.models import Q

from accounts.access import CallerScope
from exchange.access import request_readers
from matching.enums import LIVE_PROPOSAL_STATUSES
from matching.models import Proposal


def proposals_made_to_caller(scope: CallerScope) -> Q:
    """The caller's inbox as an expert: the proposals made to them that are still open or
    accepted."""
    return Q(expert__user_id=scope.user.pk, status__in=LIVE_PROPOSAL_STATUSES)


def proposal_visibility(scope: CallerScope) -> Q:
    """The proposals the caller sees."""
    if scope.is_admin:
        return Q()
    return proposals_made_to_caller(scope) | request_readers(scope, "request__")


def proposal_answer_visibility(scope: CallerScope) -> Q:
    """The proposals the caller may address an answer to: those they see, and every proposal
    made to them, so answering one that is no longer open is a 409 that says why (declined,
    expired, another expert accepted) rather than a 404."""
    if scope.is_admin:
        return Q()
    return proposal_visibility(scope) | Q(expert__user_id=scope.user.pk)


def can_answer_proposal(scope: CallerScope, proposal: Proposal) -> bool:
    """Only the proposed expert accepts or declines (not even an admin)."""
    return proposal.expert.user_id == scope.user.pk

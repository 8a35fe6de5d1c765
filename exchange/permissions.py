"""Who may change what. Visibility is the selectors' job: these run on objects the caller
can already see, so a refusal here is a 403."""

from accounts.access import caller_scope
from accounts.enums import Role
from accounts.models import User
from exchange.models import ExpertProfile, SupportRequest
from exchange.selectors import SCHOOL_REQUEST_ROLES


def can_edit_expert(user: User, expert: ExpertProfile) -> bool:
    return expert.user_id == user.pk or caller_scope(user=user).is_admin


def can_confirm_safeguarding(user: User, expert: ExpertProfile) -> bool:
    """The employer confirms: the SENCO of the expert's home school, or an admin."""
    scope = caller_scope(user=user)
    return scope.is_admin or expert.school_id in scope.schools(Role.SENCO)


def can_edit_request(user: User, support_request: SupportRequest) -> bool:
    scope = caller_scope(user=user)
    return scope.is_admin or support_request.school_id in scope.schools(*SCHOOL_REQUEST_ROLES)


def can_move_request(user: User, support_request: SupportRequest) -> bool:
    """Submitting, cancelling and closing belong to the school's SENCO."""
    scope = caller_scope(user=user)
    return scope.is_admin or support_request.school_id in scope.schools(Role.SENCO)


def sees_school_people(user: User, support_request: SupportRequest) -> bool:
    """Staff names are shown only to the request's own school and admins."""
    return can_edit_request(user, support_request)

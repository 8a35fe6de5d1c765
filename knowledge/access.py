"""Who may see and do what with feedback, goals and outcome reviews.

Feedback on a session
- see: the session's two sides (the requesting school's staff and SENCOs, the expert)
  and admins; never trust coordinators or other schools.
- give: the session's participants only, once each: its expert, and the school's staff
  and SENCOs who attended it. Admins are not participants.
- change: its author, within the edit window.

Goals and staff confidence of a request
- see: whoever sees the request (``exchange.access.request_visibility``); a local-authority
  officer without the goals' wording unless the school shares the request's details
  (``exchange.access.hides_pupil_details``, applied by the goals' view).
- set goals, before the first session is held: the school's side (staff, SENCOs, admins).
- rate confidence before the first session: the school's staff and SENCOs.

Outcome reviews
- see: the school's side, the trust's coordinators (outcomes feed their analytics), the
  experts who held the request's sessions, admins. Not local-authority officers: a review
  carries the goals' wording and the school's notes (their analytics read the figures).
- record or skip: the school's SENCO (and admins).
"""

from django.db.models import Exists, OuterRef, Q

from accounts.access import CallerScope
from exchange.access import acts_for_school, can_move_request, request_readers, schools_acted_for
from exchange.models import SupportRequest
from knowledge.enums import Side
from scheduling.enums import SessionStatus
from scheduling.models import Session


def feedback_visibility(scope: CallerScope) -> Q:
    if scope.is_admin:
        return Q()
    return Q(session__request__school_id__in=schools_acted_for(scope)) | Q(
        session__expert__user_id=scope.user.pk
    )


def feedback_side(scope: CallerScope, session: Session, *, attended: bool) -> str | None:
    """The side the caller gives feedback for, or ``None`` when they are no participant:
    the session's expert, or a school member who ``attended``."""
    if session.expert.user_id == scope.user.pk:
        return Side.EXPERT
    if attended and session.request.school_id in schools_acted_for(scope):
        return Side.SCHOOL
    return None


def can_set_goals(scope: CallerScope, support_request: SupportRequest) -> bool:
    return acts_for_school(scope, support_request.school_id)


def can_rate_confidence(scope: CallerScope, support_request: SupportRequest) -> bool:
    """The school's own staff: a rating is a person's, so admins give none."""
    return support_request.school_id in schools_acted_for(scope)


def can_review(scope: CallerScope, support_request: SupportRequest) -> bool:
    """The outcome review is the SENCO's (``exchange.access.can_move_request``)."""
    return can_move_request(scope, support_request)


def review_visibility(scope: CallerScope) -> Q:
    if scope.is_admin:
        return Q()
    held_by_caller = Exists(
        Session.objects.filter(
            request_id=OuterRef("request_id"),
            expert__user_id=scope.user.pk,
            status=SessionStatus.COMPLETED,
        )
    )
    return request_readers(scope, "request__") | Q(held_by_caller)

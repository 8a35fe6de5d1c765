"""Who may see and do what with sessions. A session has two sides: the requesting school
(its staff and SENCOs, ``exchange.access.acts_for_school``) and the session's expert.

- see a session: either side; the school's trust coordinators and its local authority's
  officers (read only, without the people: names, attendees, video link and reasons are
  for the two sides); admins.
- book a session, confirm an offered slot, ask for other times: the school's side.
- reschedule, cancel, mark held or no-show, download the invitation: either side.
"""

from django.db.models import Q

from accounts.access import CallerScope
from exchange.access import acts_for_school, request_overseers
from exchange.models import SupportRequest
from scheduling.models import Session


def session_visibility(scope: CallerScope) -> Q:
    """The sessions the caller sees."""
    if scope.is_admin:
        return Q()
    return request_overseers(scope, "request__") | Q(expert__user_id=scope.user.pk)


def can_schedule_request(scope: CallerScope, support_request: SupportRequest) -> bool:
    """Booking a session and asking for other times belong to the school's side."""
    return acts_for_school(scope, support_request.school_id)


def is_school_side(scope: CallerScope, session: Session) -> bool:
    """Staff and SENCOs of the requesting school (and admins) act for the school."""
    return acts_for_school(scope, session.request.school_id)


def is_party(scope: CallerScope, session: Session) -> bool:
    """Either side of a session: the school's people or the expert (and admins)."""
    return session.expert.user_id == scope.user.pk or is_school_side(scope, session)


def sees_session_people(scope: CallerScope, session: Session) -> bool:
    """People's names and addresses, the video link and the reasons for changes are for
    the session's two sides (and admins)."""
    return is_party(scope, session)


def sees_people_of(scope: CallerScope, *, expert_user_id: int, school_id: int) -> bool:
    """``sees_session_people`` for a session read as a row: its expert's user and its
    request's school."""
    return expert_user_id == scope.user.pk or acts_for_school(scope, school_id)

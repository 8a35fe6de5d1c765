"""Reads for the knowledge app: feedback, goals and reviews scoped to the caller, the
expert's session report, and when each request's outcome review falls due."""

from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Max, QuerySet

from accounts.access import caller_scope
from accounts.models import User
from exchange.constants import LONDON
from exchange.models import SupportRequest
from exchange.school_days import add_school_days
from exchange.selectors import closed_days_by_school
from knowledge import access
from knowledge.models import Feedback, Goal, OutcomeReview, ReviewReminder, SessionReport
from scheduling.enums import SessionStatus
from scheduling.models import Session


def session_report_for(session: Session) -> SessionReport | None:
    """The expert's notes on ``session`` (what was covered, the next steps), if written.
    Not scoped: the caller has already decided the session is theirs to read."""
    return SessionReport.objects.filter(session_id=session.pk).first()


def feedback_visible_to(*, user: User) -> QuerySet[Feedback]:
    """Feedback the caller sees: the two sides of its session, and admins."""
    scope = caller_scope(user=user)
    return Feedback.objects.filter(access.feedback_visibility(scope)).select_related(
        "session__request", "session__expert", "author", "session__report"
    )


def goals_of(*, support_request_id: int) -> QuerySet[Goal]:
    return Goal.objects.filter(request_id=support_request_id).select_related("attainment")


def reviews_visible_to(*, user: User) -> QuerySet[OutcomeReview]:
    scope = caller_scope(user=user)
    return (
        OutcomeReview.objects.filter(access.review_visibility(scope))
        .select_related("request__school")
        .prefetch_related("attainments__goal")
    )


def review_status(support_request: SupportRequest) -> str | None:
    """The status of the request's review, if one is stored: read for the review's state,
    which every reader of the request sees (not the review's answers)."""
    return (
        OutcomeReview.objects.filter(request=support_request)
        .values_list("status", flat=True)
        .first()
    )


# --- the review date ---------------------------------------------------------------------------

# Requests whose last session is older than this are not chased for a review any more.
REVIEW_LOOKBACK = timedelta(days=365)


def _review_offset() -> int:
    return settings.KNOWLEDGE["REVIEW_AFTER_SCHOOL_WEEKS"] * 5


def last_sessions(
    *, request_ids: Iterable[int] | None = None, since: date | None = None
) -> dict[int, date]:
    """The date (Europe/London) of each request's last held session."""
    sessions = Session.objects.filter(status=SessionStatus.COMPLETED)
    if request_ids is not None:
        sessions = sessions.filter(request_id__in=list(request_ids))
    if since is not None:
        sessions = sessions.filter(starts_at__date__gte=since)
    rows = (
        sessions.values("request_id")
        .annotate(last=Max("starts_at"))
        .values_list("request_id", "last")
    )
    return {request_id: last.astimezone(LONDON).date() for request_id, last in rows}


def review_due_dates(*, last: dict[int, date], school_of: dict[int, int]) -> dict[int, date]:
    """Each request's review date: ``REVIEW_AFTER_SCHOOL_WEEKS`` school weeks after its last
    held session, its school's closed days skipped."""
    if not last:
        return {}
    start = min(last.values())
    end = max(last.values()) + timedelta(days=_review_offset() * 2 + 60)
    closed = closed_days_by_school(school_ids=set(school_of.values()), start=start, end=end)
    return {
        request_id: add_school_days(
            day, _review_offset(), closed.get(school_of[request_id], frozenset())
        )
        for request_id, day in last.items()
    }


def review_due_on(support_request: SupportRequest) -> date | None:
    """The request's review date, or ``None`` before any session has been held."""
    last = last_sessions(request_ids=[support_request.pk])
    return review_due_dates(
        last=last, school_of={support_request.pk: support_request.school_id}
    ).get(support_request.pk)


def reviews_due(*, today: date) -> dict[int, date]:
    """Requests with goals whose review date has come, neither reviewed nor reminded."""
    candidates = dict(
        SupportRequest.objects.filter(goals__isnull=False, outcome_review__isnull=True)
        .exclude(pk__in=ReviewReminder.objects.values("request_id"))
        .distinct()
        .values_list("pk", "school_id")
    )
    last = last_sessions(request_ids=candidates, since=today - REVIEW_LOOKBACK)
    due = review_due_dates(last=last, school_of=candidates)
    return {request_id: day for request_id, day in due.items() if day <= today}

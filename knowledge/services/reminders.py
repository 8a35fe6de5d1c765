"""What beat runs: feedback reminders 3 and 10 school days after a session to each
participant who has not answered, and a reminder when an outcome review falls due.

Never twice: each reminder is a row with a unique key, inserted in the transaction that
writes its notification. A second beat (or a redelivered task, or one running at the same
time) fails the insert and sends nothing.
"""

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from exchange.constants import LONDON
from exchange.enums import NotificationKind
from exchange.models import SupportRequest
from exchange.notifications import notify, school_people
from exchange.school_days import add_school_days
from exchange.selectors import closed_days_by_school
from knowledge import selectors
from knowledge.enums import FeedbackReminderStage
from knowledge.models import FeedbackReminder, ReviewReminder
from knowledge.services.feedback import HELD_STATUSES
from scheduling.models import Session

STAGES = (FeedbackReminderStage.FIRST, FeedbackReminderStage.SECOND)
# Sessions older than this are past every reminder (10 school days, with holidays).
FEEDBACK_LOOKBACK = timedelta(days=60)


def _local_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def _inserted(model: type[FeedbackReminder | ReviewReminder], **fields: Any) -> bool:
    """Inserts a reminder row in a savepoint: ``False`` when its unique key says it was
    sent before."""
    try:
        with transaction.atomic():
            model._default_manager.create(**fields)
    except IntegrityError:
        return False
    return True


def feedback_reminders_send(*, today: date | None = None) -> int:
    """Reminds each participant (the expert and the school's attendees) who has not given
    feedback on a held session, at 3 and at 10 school days after it (the requesting school's
    closed days skipped). If beat missed the first, only the second is sent."""
    now = timezone.now()
    today = today or _local_date(now)
    offsets = settings.KNOWLEDGE["FEEDBACK_REMINDER_SCHOOL_DAYS"]
    sessions = list(
        Session.objects.filter(
            status__in=HELD_STATUSES, starts_at__gte=now - FEEDBACK_LOOKBACK, starts_at__lte=now
        )
        .select_related("request")
        .prefetch_related("attendees", "feedback")
    )
    if not sessions:
        return 0
    start = min(_local_date(s.starts_at) for s in sessions)
    closed = closed_days_by_school(
        school_ids={s.request.school_id for s in sessions}, start=start, end=today
    )
    sent = 0
    with transaction.atomic():
        for session in sessions:
            held_on = _local_date(session.starts_at)
            school_closed = closed.get(session.request.school_id, frozenset())
            due = [
                stage
                for stage, offset in zip(STAGES, offsets, strict=True)
                if add_school_days(held_on, offset, school_closed) <= today
            ]
            if not due:
                continue
            answered = {f.author_id for f in session.feedback.all()}
            for user in session.attendees.all():
                if user.pk in answered or not user.is_active:
                    continue
                if not _inserted(FeedbackReminder, session=session, user=user, stage=due[-1]):
                    continue
                # A missed earlier stage is recorded as done, so it is never sent late.
                for earlier in due[:-1]:
                    FeedbackReminder.objects.get_or_create(
                        session=session, user=user, stage=earlier
                    )
                notify(
                    users=[user],
                    kind=NotificationKind.FEEDBACK_REMINDER,
                    title=f"How did it go? Feedback on “{session.request.title}”",
                    body="Two minutes of feedback on your session helps the next school find "
                    "the right expert.",
                    session=session,
                )
                sent += 1
    return sent


def review_reminders_send(*, today: date | None = None) -> int:
    """Reminds the school's SENCOs (and whoever raised the request) once, when a request's
    outcome review falls due and it has been neither recorded nor skipped."""
    today = today or _local_date(timezone.now())
    sent = 0
    with transaction.atomic():
        for request_id, due_on in selectors.reviews_due(today=today).items():
            if not _inserted(ReviewReminder, request_id=request_id, due_on=due_on):
                continue
            support_request = SupportRequest.objects.get(pk=request_id)
            notify(
                users=school_people(support_request),
                kind=NotificationKind.REVIEW_REMINDER,
                title=f"Outcome review due: “{support_request.title}”",
                body="Record how far each goal was met, staff confidence now and what changed "
                "in practice, or skip the review with a reason.",
                request_id=request_id,
            )
            sent += 1
    return sent

"""Feedback on a held session: given once by each participant, changed by its author
within the edit window; the expert's comes with their report."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from config.errors import ApplicationError, ConflictError
from knowledge.enums import Side
from knowledge.models import Feedback, SessionReport
from knowledge.services.text import refuse_pupil_identifiers
from knowledge.services.track_records import experts_lock, track_record_refresh
from scheduling.enums import SessionStatus
from scheduling.models import Session

# Feedback follows a session that took place, or one marked a no-show (the school can
# still say what happened).
HELD_STATUSES = (SessionStatus.COMPLETED, SessionStatus.NO_SHOW)
RATINGS = ("useful", "practical", "would_recommend")


def edit_window() -> timedelta:
    return timedelta(days=settings.KNOWLEDGE["FEEDBACK_EDIT_DAYS"])


def _report_fields(session: Session, covered: str, next_steps: str) -> None:
    if session.status == SessionStatus.COMPLETED and not (covered.strip() and next_steps.strip()):
        raise ApplicationError(
            "The expert records what was covered and the next steps agreed.",
            fields={
                name: ["This field is required."]
                for name, value in (("covered", covered), ("next_steps", next_steps))
                if not value.strip()
            },
        )


def feedback_give(
    *,
    session: Session,
    by: User,
    side: str,
    useful: int,
    practical: int,
    would_recommend: int,
    comments: str = "",
    covered: str = "",
    next_steps: str = "",
) -> Feedback:
    """Stores a participant's feedback on a held session (``completed`` or ``no_show``),
    once: the unique key refuses a second (409 ``feedback_given``). The expert's feedback
    carries their report (what was covered, the next steps); the school's updates the
    expert's track record in the same transaction. ``side`` is the caller's, decided by
    ``knowledge.access.feedback_side``."""
    refuse_pupil_identifiers({"comments": comments, "covered": covered, "next_steps": next_steps})
    with transaction.atomic():
        experts_lock([session.expert_id])
        session = Session.objects.select_related("request", "expert").get(pk=session.pk)
        if session.status not in HELD_STATUSES:
            raise ConflictError(
                "Feedback follows a session that has been held or marked a no-show.",
                code="session_not_held",
                details={"current_status": session.status},
            )
        if side == Side.EXPERT:
            _report_fields(session, covered, next_steps)
        try:
            with transaction.atomic():
                feedback = Feedback.objects.create(
                    session=session,
                    author=by,
                    side=side,
                    useful=useful,
                    practical=practical,
                    would_recommend=would_recommend,
                    comments=comments,
                )
        except IntegrityError:
            raise ConflictError(
                "You have already given feedback on this session; change it instead.",
                code="feedback_given",
            ) from None
        if side == Side.EXPERT and (covered or next_steps):
            SessionReport.objects.update_or_create(
                session=session,
                defaults={"author": by, "covered": covered, "next_steps": next_steps},
            )
        if side == Side.SCHOOL:
            track_record_refresh(expert_id=session.expert_id)
    return feedback


def feedback_update(*, feedback: Feedback, **changes: Any) -> Feedback:
    """Changes the author's feedback (and, the expert's, their report) within
    ``FEEDBACK_EDIT_DAYS`` of giving it; after that 409 ``edit_window_closed``."""
    refuse_pupil_identifiers(changes)
    with transaction.atomic():
        experts_lock([feedback.session.expert_id])
        feedback = (
            Feedback.objects.select_for_update().select_related("session").get(pk=feedback.pk)
        )
        if timezone.now() > feedback.created_at + edit_window():
            raise ConflictError(
                f"Feedback can be changed for {edit_window().days} days after it is given.",
                code="edit_window_closed",
                details={"editable_until": (feedback.created_at + edit_window()).isoformat()},
            )
        for name in (*RATINGS, "comments"):
            if name in changes:
                setattr(feedback, name, changes[name])
        feedback.save()
        if feedback.side == Side.EXPERT and ({"covered", "next_steps"} & changes.keys()):
            report = SessionReport.objects.filter(session=feedback.session).first()
            covered = changes.get("covered", report.covered if report else "")
            next_steps = changes.get("next_steps", report.next_steps if report else "")
            _report_fields(feedback.session, covered, next_steps)
            SessionReport.objects.update_or_create(
                session=feedback.session,
                defaults={"author": feedback.author, "covered": covered, "next_steps": next_steps},
            )
        if feedback.side == Side.SCHOOL:
            track_record_refresh(expert_id=feedback.session.expert_id)
    return feedback

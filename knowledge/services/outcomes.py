"""Outcomes as outreach services measure them: the school's goals for a request (Goal
Attainment Scaling), staff confidence before the first session, and the SENCO's review
after the last (or a skip, with a reason)."""

from collections.abc import Mapping
from statistics import fmean
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from config.errors import ApplicationError, ConflictError
from exchange.enums import RequestStatus
from exchange.models import SupportRequest
from knowledge import gas
from knowledge.enums import ReviewStatus
from knowledge.models import (
    MAX_GOALS,
    Goal,
    GoalAttainment,
    OutcomeReview,
    StaffConfidence,
)
from knowledge.services.text import refuse_pupil_identifiers
from knowledge.services.track_records import experts_lock, track_record_refresh
from scheduling.enums import SessionStatus
from scheduling.models import Session

CLOSED_STATUSES = (RequestStatus.CANCELLED, RequestStatus.CLOSED)
GOAL_FIELDS = ("description", "expected_outcome", "baseline", "weight")


def _lock_request(support_request: SupportRequest) -> SupportRequest:
    return SupportRequest.objects.select_for_update().get(pk=support_request.pk)


def _held(support_request: SupportRequest) -> bool:
    return Session.objects.filter(
        request_id=support_request.pk, status=SessionStatus.COMPLETED
    ).exists()


def _before_first_session(support_request: SupportRequest, what: str) -> None:
    """Goals and the confidence before are set before support starts: once a session has
    been held they are the baseline the review measures against."""
    if support_request.status in CLOSED_STATUSES or _held(support_request):
        raise ConflictError(
            f"{what} can be changed only before the request's first session is held.",
            code="sessions_held",
            details={"current_status": support_request.status},
        )


def goal_create(*, support_request: SupportRequest, by: User, **fields: Any) -> Goal:
    """Adds a goal (at most three: the request's row lock serialises writers, and the
    database's unique position 1–3 is the backstop)."""
    refuse_pupil_identifiers(fields)
    with transaction.atomic():
        support_request = _lock_request(support_request)
        _before_first_session(support_request, "Goals")
        taken = set(Goal.objects.filter(request=support_request).values_list("position", flat=True))
        free = [p for p in range(1, MAX_GOALS + 1) if p not in taken]
        if not free:
            raise ConflictError(f"A request has at most {MAX_GOALS} goals.", code="too_many_goals")
        try:
            with transaction.atomic():
                return Goal.objects.create(
                    request=support_request,
                    position=free[0],
                    created_by=by,
                    **{k: v for k, v in fields.items() if k in GOAL_FIELDS},
                )
        except IntegrityError:
            raise ConflictError(
                f"A request has at most {MAX_GOALS} goals.", code="too_many_goals"
            ) from None


def goal_update(*, goal: Goal, **fields: Any) -> Goal:
    refuse_pupil_identifiers(fields)
    with transaction.atomic():
        _before_first_session(_lock_request(goal.request), "Goals")
        for name in GOAL_FIELDS:
            if name in fields:
                setattr(goal, name, fields[name])
        goal.save()
    return goal


def goal_delete(*, goal: Goal) -> None:
    with transaction.atomic():
        _before_first_session(_lock_request(goal.request), "Goals")
        goal.delete()


def confidence_rate(*, support_request: SupportRequest, by: User, rating: int) -> StaffConfidence:
    """The caller's confidence in meeting the need (1–5), before the first session: one
    rating each, replaced if given again."""
    with transaction.atomic():
        support_request = _lock_request(support_request)
        _before_first_session(support_request, "Confidence before support")
        confidence, _ = StaffConfidence.objects.update_or_create(
            request=support_request, user=by, defaults={"rating": rating}
        )
    return confidence


def _review_open(support_request: SupportRequest) -> None:
    if OutcomeReview.objects.filter(request=support_request).exists():
        raise ConflictError("This request has already been reviewed.", code="already_reviewed")
    if not _held(support_request):
        raise ConflictError(
            "A review follows support: no session of this request has been held yet.",
            code="no_session_held",
        )


def _experts_of(support_request: SupportRequest) -> list[int]:
    return list(
        Session.objects.filter(request=support_request, status=SessionStatus.COMPLETED)
        .values_list("expert_id", flat=True)
        .distinct()
    )


def review_record(
    *,
    support_request: SupportRequest,
    by: User,
    attainments: Mapping[int, int],
    confidence_after: int,
    practice_changed: bool,
    practice_change: str = "",
    more_support_needed: bool,
    specialist_placement_considered: bool,
) -> OutcomeReview:
    """Records the outcome review: every goal's attainment (−2 … +2, ``attainments`` maps
    goal id → level), the GAS T-score, confidence after (and before, the staff's mean),
    and what changed. Once per request (409 ``already_reviewed``), after a session was held
    (409 ``no_session_held``); the experts' track records are updated in the transaction."""
    refuse_pupil_identifiers({"practice_change": practice_change})
    with transaction.atomic():
        support_request = _lock_request(support_request)
        _review_open(support_request)
        goals = list(Goal.objects.filter(request=support_request))
        if not goals:
            raise ConflictError(
                "Set the request's goals before reviewing them, or skip the review.",
                code="no_goals",
            )
        if set(attainments) != {g.pk for g in goals}:
            raise ApplicationError(
                "Rate every goal of the request once.",
                fields={"attainments": [f"Expected goals {sorted(g.pk for g in goals)}."]},
            )
        experts = _experts_of(support_request)
        experts_lock(experts)
        before = list(
            StaffConfidence.objects.filter(request=support_request).values_list("rating", flat=True)
        )
        review = OutcomeReview.objects.create(
            request=support_request,
            status=ReviewStatus.COMPLETED,
            confidence_after=confidence_after,
            confidence_before=fmean(before) if before else None,
            practice_changed=practice_changed,
            practice_change=practice_change,
            more_support_needed=more_support_needed,
            specialist_placement_considered=specialist_placement_considered,
            t_score=gas.t_score(
                [attainments[g.pk] for g in goals], [float(g.weight) for g in goals]
            ),
            reviewed_by=by,
        )
        GoalAttainment.objects.bulk_create(
            GoalAttainment(review=review, goal=g, attainment=attainments[g.pk]) for g in goals
        )
        for expert_id in experts:
            track_record_refresh(expert_id=expert_id)
    return review


def review_skip(*, support_request: SupportRequest, by: User, reason: str) -> OutcomeReview:
    """Skips the review, with a reason (the school closed, the pupil left…): no reminder
    follows, and no T-score is counted."""
    refuse_pupil_identifiers({"reason": reason})
    with transaction.atomic():
        support_request = _lock_request(support_request)
        if OutcomeReview.objects.filter(request=support_request).exists():
            raise ConflictError("This request has already been reviewed.", code="already_reviewed")
        return OutcomeReview.objects.create(
            request=support_request, status=ReviewStatus.SKIPPED, skip_reason=reason, reviewed_by=by
        )

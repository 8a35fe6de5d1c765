"""Keeping an expert's track record (``exchange.ExpertTrackRecord``, which matching reads)
true to the feedback and reviews stored here: recomputed from them, in the transaction
that changed them."""

from collections.abc import Iterable

from django.db.models import Avg, F

from exchange.models import ExpertProfile
from exchange.services import expert_track_record_set
from knowledge import gas
from knowledge.enums import ReviewStatus, Side
from knowledge.models import Feedback, OutcomeReview
from scheduling.enums import SessionStatus


def experts_lock(expert_ids: Iterable[int]) -> None:
    """Locks the experts' rows (in id order, so two writers never deadlock) before their
    figures are recomputed: concurrent feedback for one expert recomputes in turn, and the
    last writer's figures include every row."""
    ids = sorted(set(expert_ids))
    list(ExpertProfile.objects.select_for_update().filter(pk__in=ids).values_list("pk"))


def track_record_refresh(*, expert_id: int) -> None:
    """One rating per session (the mean of the school's answers on it), and the outcome
    reviews of requests the expert held a session for. The caller holds the expert's lock."""
    per_session = (
        Feedback.objects.filter(session__expert_id=expert_id, side=Side.SCHOOL)
        .values("session_id")
        .annotate(total=Avg(F("useful") + F("practical") + F("would_recommend")))
        .values_list("total", flat=True)
    )
    ratings = [float(total) / 3 for total in per_session]
    t_scores = list(
        OutcomeReview.objects.filter(
            status=ReviewStatus.COMPLETED,
            request__sessions__expert_id=expert_id,
            request__sessions__status=SessionStatus.COMPLETED,
        )
        .distinct()
        .values_list("t_score", flat=True)
    )
    expert_track_record_set(
        expert_id=expert_id,
        feedback_sum=sum(ratings),
        feedback_count=len(ratings),
        reviews_count=len(t_scores),
        reviews_met_count=sum(1 for t in t_scores if t is not None and gas.goals_met(t)),
    )

"""An expert's track record: the figures matching reads about their past feedback and
outcomes. Written by the app that owns feedback and reviews (``knowledge``), which sits
above matching; the exchange only stores them."""

from django.db import transaction

from exchange.models import ExpertTrackRecord


@transaction.atomic
def expert_track_record_set(
    *,
    expert_id: int,
    feedback_sum: float,
    feedback_count: int,
    reviews_count: int,
    reviews_met_count: int,
) -> ExpertTrackRecord:
    """Replaces the expert's figures with ones recomputed from the source rows. The caller
    holds the expert's row lock, so two writers recompute one after the other."""
    record, _ = ExpertTrackRecord.objects.update_or_create(
        expert_id=expert_id,
        defaults={
            "feedback_sum": feedback_sum,
            "feedback_count": feedback_count,
            "reviews_count": reviews_count,
            "reviews_met_count": reviews_met_count,
        },
    )
    return record

"""Celery tasks for matching: ids in, one service call, a retry policy — nothing else.

Every task is idempotent (safe to redeliver): the services guard with row locks,
compare-and-swap updates and unique constraints. Services enqueue them only through the
outbox (``exchange.outbox.enqueue``).
"""

from celery import shared_task

from accounts.models import User
from config.celery import TASK_RETRY as RETRY
from config.errors import ConflictError
from matching import services


@shared_task(name=services.PROPOSE_TASK, **RETRY)
def propose_for_request(support_request_id: int) -> int:
    return len(services.proposals_create_for_request(support_request_id=support_request_id))


@shared_task(name=services.ROUND_TASK, **RETRY)
def run_round(trigger: str = "schedule", by_user_id: int | None = None) -> int:
    """Returns the run's id, or 0 when another round was already running."""
    by = User.objects.filter(pk=by_user_id).first() if by_user_id else None
    try:
        return services.matching_round_run(trigger=trigger, by=by).pk
    except ConflictError:
        return 0  # another round is running; the next beat tries again


@shared_task(name="matching.expire_proposals", **RETRY)
def expire_proposals() -> dict[str, int]:
    return {"reminded": services.proposals_remind(), "expired": services.proposals_expire()}

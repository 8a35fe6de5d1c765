"""Every change of a support request's status: one at a time (``support_request_transition``)
or many at once (``support_requests_transition_bulk``), both checked against the lifecycle
(``exchange/lifecycle.py``) and recorded in the history the same way."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from config.bulk import bulk_insert, pk_batches
from config.errors import ConflictError
from exchange import events, lifecycle
from exchange.enums import RequestStatus
from exchange.events import Event
from exchange.models import (
    StatusChange,
    SupportRequest,
)


def support_request_transition(
    *,
    support_request_id: int,
    to_status: str,
    by: User | None,
    reason: str = "",
    from_statuses: Iterable[str] | None = None,
) -> SupportRequest:
    """Moves a request to ``to_status`` if the lifecycle allows it from its current status.

    A compare-and-swap update: of two concurrent transitions from the same status, exactly
    one matches the row; the other gets a 409 naming the status it lost to.
    """
    with transaction.atomic():
        current = (
            SupportRequest.objects.filter(pk=support_request_id)
            .values_list("status", flat=True)
            .get()
        )
        allowed_from = set(from_statuses) if from_statuses is not None else None
        if not lifecycle.can_move(current, to_status) or (
            allowed_from is not None and current not in allowed_from
        ):
            raise _illegal_transition(current, to_status)
        moved = SupportRequest.objects.filter(pk=support_request_id, status=current).update(
            **_changes(to_status, timezone.now())
        )
        if moved != 1:
            latest = SupportRequest.objects.values_list("status", flat=True).get(
                pk=support_request_id
            )
            raise _illegal_transition(latest, to_status, concurrent=True)
        StatusChange.objects.create(
            request_id=support_request_id,
            from_status=current,
            to_status=to_status,
            changed_by=by,
            reason=reason,
        )
    return SupportRequest.objects.get(pk=support_request_id)


def support_requests_transition_bulk(
    *, statuses: Mapping[int, str], to_status: str, reason: str, now: datetime
) -> int:
    """Moves many requests (id → the status the caller read) to ``to_status`` at once, as a
    matching round moves its proposed and unmatched requests, with the same check and the
    same history as ``support_request_transition``: every previous status must allow the
    move, and each row moves only from the status it was read in (a compare-and-swap per
    previous status). The caller holds the rows' locks, so a row that moved meanwhile is a
    bug: a 409, and nothing moves. Returns how many moved."""
    by_previous: dict[str, list[int]] = defaultdict(list)
    for request_id, previous in statuses.items():
        by_previous[previous].append(request_id)
    with transaction.atomic():
        for previous, request_ids in by_previous.items():
            if not lifecycle.can_move(previous, to_status):
                raise _illegal_transition(previous, to_status)
            request_ids.sort()
            moved = sum(
                SupportRequest.objects.filter(pk__in=batch, status=previous).update(
                    **_changes(to_status, now)
                )
                for batch in pk_batches(request_ids)
            )
            if moved != len(request_ids):
                raise _illegal_transition(previous, to_status, concurrent=True)
            _record_history(request_ids, previous, to_status, now, reason)
    return len(statuses)


def _changes(to_status: str, now: datetime) -> dict[str, Any]:
    changes: dict[str, Any] = {"status": to_status, "status_changed_at": now}
    if to_status == RequestStatus.SUBMITTED:
        changes["submitted_at"] = now
    return changes


def _record_history(
    request_ids: list[int], from_status: str, to_status: str, now: datetime, reason: str
) -> None:
    """The history rows of a bulk move from one status, each as a single transition's."""
    if connection.vendor != "postgresql":
        bulk_insert(
            [
                StatusChange(
                    request_id=pk, from_status=from_status, to_status=to_status, reason=reason
                )
                for pk in request_ids
            ]
        )
        return
    # On PostgreSQL the rows are made by the database from the ids in one statement,
    # instead of an object a row (a national round moves ~20,000 requests).
    quote = connection.ops.quote_name
    meta = StatusChange._meta
    names = ("request", "from_status", "to_status", "changed_at", "reason")
    column = {field.name: str(field.column) for field in meta.concrete_fields}
    columns = ", ".join(quote(column[name]) for name in names)
    # Names from the model, quoted; every value is a bound parameter.
    insert = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608
        "SELECT request_id, %s, %s, %s, %s FROM unnest(%s::bigint[]) AS request_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(insert, [from_status, to_status, now, reason, request_ids])


def _illegal_transition(current: str, to_status: str, concurrent: bool = False) -> ConflictError:
    message = f"A request that is {current} cannot become {to_status}."
    if concurrent:
        message = (
            f"The request changed to {current} while this was being done; "
            "check its status and try again."
        )
    return ConflictError(
        message,
        code="illegal_transition",
        details={"current_status": current, "allowed": lifecycle.allowed_next(current)},
    )


def support_request_submit(
    *, support_request: SupportRequest, by: User, reason: str = ""
) -> SupportRequest:
    """``draft → submitted``; records ``support_request.submitted``, so a worker proposes
    experts (through the outbox: the task exists exactly when the submission commits)."""
    with transaction.atomic():
        submitted = support_request_transition(
            support_request_id=support_request.pk,
            to_status=RequestStatus.SUBMITTED,
            by=by,
            reason=reason,
        )
        events.record(Event.REQUEST_SUBMITTED, support_request_id=support_request.pk)
    return submitted


def support_request_close(
    *, support_request: SupportRequest, by: User, reason: str = ""
) -> SupportRequest:
    """``completed`` or ``unmatched`` → ``closed``."""
    return support_request_transition(
        support_request_id=support_request.pk, to_status=RequestStatus.CLOSED, by=by, reason=reason
    )

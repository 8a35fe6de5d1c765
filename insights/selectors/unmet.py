"""Unmet demand: the requests no expert could take, by need × area, with why."""

from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.access import CallerScope
from exchange.enums import RequestStatus
from exchange.models import StatusChange, SupportRequest
from insights.filters import AnalyticsFilters
from insights.selectors.common import Figures, scoped_requests
from insights.selectors.dimensions import (
    Path,
    choice_keys,
    counts,
    each_row,
    grouped,
    keys,
    request_dimension,
)
from insights.suppression import DEFAULT_THRESHOLD
from insights.tables import CountTable
from matching.models import UnmatchedRequest

# A request made unmatched outside a round (the submit-time worker) has no coded reason.
NOT_RECORDED = ("not_recorded", "No reason recorded (unmatched outside a matching round)")


def unmet_requests() -> Q:
    """Unmatched now, or closed by the school while unmatched (it gave up waiting)."""
    # ``IN`` a set rather than a correlated ``EXISTS``: the same requests, but PostgreSQL
    # costs the ``EXISTS`` as a subquery per row, which pushed the query past
    # ``jit_above_cost`` (and JIT compiling took longer than the query).
    gave_up = StatusChange.objects.filter(
        from_status=RequestStatus.UNMATCHED, to_status=RequestStatus.CLOSED
    ).values("request_id")
    return Q(status=RequestStatus.UNMATCHED) | Q(pk__in=gave_up, status=RequestStatus.CLOSED)


def latest_reason() -> Coalesce:
    """The reason the latest matching round gave for leaving the request unmatched."""
    latest = (
        UnmatchedRequest.objects.filter(request_id=OuterRef("pk"))
        .order_by("-run_id", "-id")
        .values("reason")[:1]
    )
    return Coalesce(Subquery(latest), Value(NOT_RECORDED[0]))


def unmet_demand(
    scope: CallerScope,
    filters: AnalyticsFilters,
    *,
    threshold: int | None = DEFAULT_THRESHOLD,
    rows: str = "need",
    columns: str = "la",
) -> Figures:
    """``unmet``: unmet requests by ``rows`` × ``columns`` (need × LA by default);
    ``reasons``: the same requests by ``rows`` × the latest round's reason, whatever
    reasons ``UnmatchedRequest.Reason`` has (labels from its choices)."""
    unmet = SupportRequest.objects.filter(scoped_requests(scope, filters) & unmet_requests())
    measure = each_row()
    row_dimension = request_dimension(rows)
    by_area = counts(grouped(unmet, row_dimension, request_dimension(columns), measure))
    by_reason = counts(
        grouped(unmet.annotate(_reason=latest_reason()), row_dimension, Path(F("_reason")), measure)
    )
    row_keys = keys(rows, {g[0] for g in by_area}, filters)
    table = CountTable.from_groups(
        "unmet", rows, columns, row_keys, keys(columns, (g[1] for g in by_area), filters), by_area
    )
    reason_keys = choice_keys(
        [*UnmatchedRequest.Reason.choices, NOT_RECORDED], (g[1] for g in by_reason)
    )
    reasons = CountTable.from_groups("reasons", rows, "reason", row_keys, reason_keys, by_reason)
    return Figures([table.published(threshold), reasons.published(threshold)])

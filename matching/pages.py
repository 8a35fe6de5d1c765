"""Lean proposal pages: ``ProposalSerializer``'s JSON from ``values()`` rows
(``config.rows.RowRenderer``), with each request rendered once by ``exchange.pages`` however
many proposals it has (tests/api/test_list_pages.py checks both give the same JSON)."""

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db.models import QuerySet

from config.rows import Computed, Related, Row, RowRenderer
from exchange import pages
from exchange.models import SupportRequest
from matching.models import Proposal
from matching.serializers import CriterionSerializer, ProposalSerializer


@cache
def proposal_renderer() -> RowRenderer:
    # The stored breakdown's items with CriterionSerializer's types (a value stored as 1
    # is served as 1.0).
    criterion = tuple(
        (name, field.to_representation) for name, field in CriterionSerializer().fields.items()
    )

    def breakdown(row: Row) -> list[dict[str, Any]]:
        return [{name: typed(item[name]) for name, typed in criterion} for item in row["breakdown"]]

    return RowRenderer(
        ProposalSerializer,
        custom={"request": Related(), "breakdown": Computed(("breakdown",), breakdown)},
    )


def proposal_rows(queryset: QuerySet[Proposal]) -> QuerySet:
    """The filtered, ordered proposals as plain rows (no instances, no prefetches), with
    their requests' ids."""
    plain = queryset.select_related(None).prefetch_related(None)
    return plain.values("request_id", *proposal_renderer().columns)


def proposals(
    rows: Sequence[Row], requests: dict[int, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """``ProposalSerializer(many=True).data`` for these rows. ``requests``: the requests'
    items when the caller has them, else read (one query on PostgreSQL, four elsewhere)."""
    if not rows:
        return []
    if requests is None:
        ids = {row["request_id"] for row in rows}
        visible = pages.support_request_rows(SupportRequest.objects.filter(pk__in=ids))
        requests = {item["id"]: item for item in pages.support_requests(list(visible))}
    for row in rows:
        row["request"] = requests[row["request_id"]]
    return proposal_renderer().items(rows)

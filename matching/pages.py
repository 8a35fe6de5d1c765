"""Lean proposal pages: ``ProposalSerializer``'s JSON from ``values()`` rows, with each
request rendered once by ``exchange.pages`` however many proposals it has (see
exchange/pages.py; tests/api/test_list_pages.py checks both give the same JSON)."""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from exchange import pages
from exchange.models import SupportRequest
from matching.models import Proposal

PROPOSAL_COLUMNS = (
    "id",
    "request_id",
    "expert_id",
    "expert__school__urn",
    "expert__school__name",
    "expert__school__kind",
    "expert__bio",
    "status",
    "rank",
    "score",
    "summary",
    "breakdown",
    "delivery_format",
    "distance_km",
    "policy__version",
    "expires_at",
    "decided_at",
    "decline_reason",
    "created_at",
)


def proposal_rows(queryset: QuerySet[Proposal]) -> QuerySet:
    """The filtered, ordered proposals as plain rows (no instances, no prefetches)."""
    return queryset.select_related(None).prefetch_related(None).values(*PROPOSAL_COLUMNS)


def _criterion(item: dict[str, Any]) -> dict[str, Any]:
    """``CriterionSerializer``: the stored breakdown item with its fields' types."""
    return {
        "criterion": str(item["criterion"]),
        "label": str(item["label"]),
        "weight": int(item["weight"]),
        "value": float(item["value"]),
        "points": float(item["points"]),
        "explanation": str(item["explanation"]),
    }


def proposals(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``ProposalSerializer(many=True).data`` for these rows: four more queries (the
    requests and their needs, topics and preferred windows)."""
    if not rows:
        return []
    request_ids = {row["request_id"] for row in rows}
    requests = {
        item["id"]: item
        for item in pages.support_requests(
            list(pages.support_request_rows(SupportRequest.objects.filter(pk__in=request_ids)))
        )
    }
    return [
        {
            "id": row["id"],
            "request": requests[row["request_id"]],
            "expert": {
                "id": row["expert_id"],
                "school": {
                    "urn": row["expert__school__urn"],
                    "name": row["expert__school__name"],
                    "kind": row["expert__school__kind"],
                },
                "bio": row["expert__bio"],
            },
            "status": row["status"],
            "rank": row["rank"],
            "score": row["score"],
            "summary": row["summary"],
            "breakdown": [_criterion(item) for item in row["breakdown"]],
            "delivery_format": row["delivery_format"],
            "distance_km": row["distance_km"],
            "policy_version": row["policy__version"],
            "expires_at": pages.datetime_text(row["expires_at"]),
            "decided_at": pages.datetime_text(row["decided_at"]),
            "decline_reason": row["decline_reason"],
            "created_at": pages.datetime_text(row["created_at"]),
        }
        for row in rows
    ]

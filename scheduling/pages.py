"""Lean session pages: ``SessionSerializer``'s JSON from ``values()`` rows (see
exchange/pages.py; tests/api/test_list_pages.py checks both give the same JSON), people
hidden as the serializer hides them (``access.sees_people_of``)."""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from accounts.access import CallerScope
from exchange.pages import datetime_text, grouped
from scheduling import access
from scheduling.models import Session, SessionChange

SESSION_COLUMNS = (
    "id",
    "request_id",
    "request__title",
    "request__school__urn",
    "request__school__name",
    "request__school__kind",
    "expert_id",
    "expert__user_id",
    "expert__user__full_name",
    "expert__school__urn",
    "expert__school__name",
    "expert__school__kind",
    "status",
    "starts_at",
    "ends_at",
    "format",
    "location",
    "video_link",
    "offered_until",
    "confirmed_at",
    "cancelled_at",
    "cancel_reason",
    "sequence",
)


def session_rows(queryset: QuerySet[Session]) -> QuerySet:
    """The filtered, ordered sessions as plain rows (no instances, no prefetches)."""
    return queryset.select_related(None).prefetch_related(None).values(*SESSION_COLUMNS)


def _school(row: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {
        "urn": row[f"{prefix}__urn"],
        "name": row[f"{prefix}__name"],
        "kind": row[f"{prefix}__kind"],
    }


def sessions(rows: Sequence[dict[str, Any]], scope: CallerScope) -> list[dict[str, Any]]:
    """``SessionSerializer(many=True, context={"scope": scope}).data`` for these rows: two
    more queries (attendees, changes)."""
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    attendees = grouped(
        (session_id, {"full_name": name, "email": email})
        for session_id, name, email in Session.attendees.through.objects.filter(session_id__in=ids)
        .order_by("user__email")
        .values_list("session_id", "user__full_name", "user__email")
    )
    changes = grouped(
        (
            session_id,
            {
                "kind": kind,
                "changed_at": datetime_text(changed_at),
                "reason": reason,
                "is_late": is_late,
                "previous_starts_at": datetime_text(previous_starts_at),
                "previous_ends_at": datetime_text(previous_ends_at),
            },
        )
        for session_id, kind, changed_at, reason, is_late, previous_starts_at, previous_ends_at in (
            SessionChange.objects.filter(session_id__in=ids)
            .order_by("changed_at", "id")
            .values_list(
                "session_id",
                "kind",
                "changed_at",
                "reason",
                "is_late",
                "previous_starts_at",
                "previous_ends_at",
            )
        )
    )
    page = []
    for row in rows:
        item = {
            "id": row["id"],
            "request": row["request_id"],
            "request_title": row["request__title"],
            "school": _school(row, "request__school"),
            "expert": row["expert_id"],
            "expert_name": row["expert__user__full_name"],
            "expert_school": _school(row, "expert__school"),
            "status": row["status"],
            "starts_at": datetime_text(row["starts_at"]),
            "ends_at": datetime_text(row["ends_at"]),
            "format": row["format"],
            "location": row["location"],
            "video_link": row["video_link"],
            "attendees": attendees.get(row["id"], []),
            "offered_until": datetime_text(row["offered_until"]),
            "confirmed_at": datetime_text(row["confirmed_at"]),
            "cancelled_at": datetime_text(row["cancelled_at"]),
            "cancel_reason": row["cancel_reason"],
            "sequence": row["sequence"],
            "changes": changes.get(row["id"], []),
            "ics_url": f"/api/v1/sessions/{row['id']}/ics",
        }
        if not access.sees_people_of(
            scope, expert_user_id=row["expert__user_id"], school_id=row["request__school__urn"]
        ):
            # As SessionSerializer: a coordinator sees when, not who, how or why.
            item.update(expert_name="", attendees=[], video_link="", cancel_reason="")
            item["changes"] = [{**change, "reason": ""} for change in item["changes"]]
        page.append(item)
    return page

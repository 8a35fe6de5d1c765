"""Lean session pages: ``SessionSerializer``'s JSON from ``values()`` rows
(``config.rows.RowRenderer``; tests/scheduling/test_session_pages.py checks both give the same
JSON), people hidden as the serializer hides them (``access.sees_people_of``)."""

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db.models import QuerySet

from accounts.access import CallerScope
from config.rows import Computed, Related, Relation, Row, RowRenderer, fill, rows_of
from scheduling import access
from scheduling.models import Session, SessionChange
from scheduling.serializers import AttendeeSerializer, SessionChangeSerializer, SessionSerializer


@cache
def session_renderer() -> RowRenderer:
    related = Related()
    return RowRenderer(
        SessionSerializer,
        custom={
            "attendees": related,
            "changes": related,
            "ics_url": Computed(("id",), lambda row: f"/api/v1/sessions/{row['id']}/ics"),
        },
    )


@cache
def attendee_renderer() -> RowRenderer:
    return RowRenderer(AttendeeSerializer, prefix="user__")


@cache
def change_renderer() -> RowRenderer:
    return RowRenderer(SessionChangeSerializer)


SESSION_RELATIONS = (
    Relation(
        "attendees",
        Session.attendees.through.objects.order_by("user__email"),
        "session_id",
        attendee_renderer,
    ),
    Relation(
        "changes",
        SessionChange.objects.order_by("changed_at", "id"),
        "session_id",
        change_renderer,
    ),
)


def session_rows(queryset: QuerySet[Session]) -> QuerySet:
    """The filtered, ordered sessions as plain rows (no instances, no prefetches), with
    what decides who sees their people."""
    columns = ("expert__user_id", "request__school_id", *session_renderer().columns)
    return rows_of(queryset, columns, SESSION_RELATIONS)


def sessions(rows: Sequence[Row], scope: CallerScope) -> list[dict[str, Any]]:
    """``SessionSerializer(many=True, context={"scope": scope}).data`` for these rows: no
    more queries on PostgreSQL, two elsewhere (attendees, changes)."""
    fill(rows, SESSION_RELATIONS)
    page = session_renderer().items(rows)
    for row, item in zip(rows, page, strict=True):
        if not access.sees_people_of(
            scope, expert_user_id=row["expert__user_id"], school_id=row["request__school_id"]
        ):
            # As SessionSerializer: a coordinator sees when, not who, how or why.
            item.update(expert_name="", attendees=[], video_link="", cancel_reason="")
            item["changes"] = [{**change, "reason": ""} for change in item["changes"]]
    return page

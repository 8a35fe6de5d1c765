"""Lean list pages: the JSON of the output serializers, built from ``values()`` rows.

A list page of 50 support requests through ``SupportRequestSerializer`` builds 50 model
instances, their schools and primary needs, three prefetched relations, and then renders
about 25 fields a row field by field. Here the page is read as plain rows (one query), its
needs, topics and preferred windows as ``(request id, value)`` rows (one query each), and
each item is a dict built in one pass, with DRF's own field formatting for dates and times.
The serializers stay the contract (schema, detail views, writes); tests check that both
give the same JSON for the same rows (``tests/api/test_list_pages.py``).
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.settings import api_settings

from accounts.access import CallerScope
from exchange.access import PUPIL_DETAIL_FIELDS, hides_pupil_details
from exchange.constants import accepts_work
from exchange.models import (
    FORMAT_FLAGS,
    PHASE_FLAGS,
    Credential,
    ExpertProfile,
    PreferredWindow,
    Specialism,
    SupportRequest,
)


def datetime_text(value: datetime | None) -> str | None:
    """DRF's ``DateTimeField`` output (ISO 8601 in the current time zone, ``Z`` for UTC)
    without a field instance and its per-value lookups."""
    if value is None:
        return None
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _time(value: time) -> str:
    return value.strftime(api_settings.TIME_FORMAT)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def grouped(rows: Iterable[tuple[int, Any]]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for key, value in rows:
        grouped[key].append(value)
    return grouped


# --- support requests --------------------------------------------------------------------------

REQUEST_COLUMNS = (
    "id",
    "school__urn",
    "school__name",
    "school__kind",
    "title",
    "scope",
    "parental_consent_obtained",
    "parental_consent_date",
    "primary_need__code",
    "phase",
    "year_groups",
    "sen_status",
    "context",
    "tried_so_far",
    "desired_outcome",
    "format",
    "staff_attending",
    "urgency",
    "video_acceptable",
    "shares_details_with_local_authority",
    "school__trust_id",
    "school__local_authority_id",
    "status",
    "status_changed_at",
    "submitted_at",
    "created_at",
    "updated_at",
)


def support_request_rows(queryset: QuerySet[SupportRequest]) -> QuerySet:
    """The filtered, ordered list queryset as plain rows (no instances, no prefetches)."""
    return queryset.select_related(None).prefetch_related(None).values(*REQUEST_COLUMNS)


def support_requests(
    rows: Sequence[dict[str, Any]], scope: CallerScope | None = None
) -> list[dict[str, Any]]:
    """``SupportRequestSerializer(many=True).data`` for these rows: three more queries. With
    the caller's ``scope``, the pupil free text they may not read is ``None``
    (``access.hides_pupil_details``); without, it is shown (for lists only full readers see:
    proposals)."""
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    needs = grouped(
        SupportRequest.needs.through.objects.filter(supportrequest_id__in=ids)
        .order_by("need__position", "need__code")
        .values_list("supportrequest_id", "need__code")
    )
    topics = grouped(
        SupportRequest.topics.through.objects.filter(supportrequest_id__in=ids)
        .order_by("topic__name", "topic_id")
        .values_list("supportrequest_id", "topic__slug")
    )
    windows = grouped(
        (request_id, {"date": day.isoformat(), "start_time": _time(start), "end_time": _time(end)})
        for request_id, day, start, end in PreferredWindow.objects.filter(request_id__in=ids)
        .order_by("date", "start_time", "id")
        .values_list("request_id", "date", "start_time", "end_time")
    )
    items = [
        {
            "id": row["id"],
            "school": {
                "urn": row["school__urn"],
                "name": row["school__name"],
                "kind": row["school__kind"],
            },
            "title": row["title"],
            "scope": row["scope"],
            "parental_consent_obtained": row["parental_consent_obtained"],
            "parental_consent_date": _day(row["parental_consent_date"]),
            "needs": needs.get(row["id"], []),
            "primary_need": row["primary_need__code"],
            "topics": topics.get(row["id"], []),
            "phase": row["phase"],
            "year_groups": row["year_groups"],
            "sen_status": row["sen_status"],
            "context": row["context"],
            "tried_so_far": row["tried_so_far"],
            "desired_outcome": row["desired_outcome"],
            "format": row["format"],
            "staff_attending": row["staff_attending"],
            "urgency": row["urgency"],
            "video_acceptable": row["video_acceptable"],
            "shares_details_with_local_authority": row["shares_details_with_local_authority"],
            "preferred_windows": windows.get(row["id"], []),
            "status": row["status"],
            "status_changed_at": datetime_text(row["status_changed_at"]),
            "submitted_at": datetime_text(row["submitted_at"]),
            "created_at": datetime_text(row["created_at"]),
            "updated_at": datetime_text(row["updated_at"]),
        }
        for row in rows
    ]
    if scope is not None:
        for row, item in zip(rows, items, strict=True):
            if hides_pupil_details(
                scope,
                school_id=row["school__urn"],
                trust_id=row["school__trust_id"],
                local_authority_id=row["school__local_authority_id"],
                shared=row["shares_details_with_local_authority"],
            ):
                item.update(dict.fromkeys(PUPIL_DETAIL_FIELDS))
    return items


# --- the expert directory ----------------------------------------------------------------------

EXPERT_COLUMNS = (
    "id",
    "school__urn",
    "school__name",
    "school__kind",
    "bio",
    *FORMAT_FLAGS.values(),
    *PHASE_FLAGS.values(),
    "age_min",
    "age_max",
    "max_travel_km",
    "sessions_per_week",
    "sessions_per_month",
    "days_per_term",
    "is_verified",
    "is_suspended",
    "is_paused",
    "safeguarding_expires_on",
)


def expert_rows(queryset: QuerySet[ExpertProfile]) -> QuerySet:
    """The filtered, ordered directory queryset as plain rows, with ``distance_m`` when the
    ``near`` filter annotated it."""
    columns = [*EXPERT_COLUMNS]
    if "distance_m" in queryset.query.annotations:
        columns.append("distance_m")
    return queryset.select_related(None).prefetch_related(None).values(*columns)


def experts(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``ExpertSerializer(many=True).data`` for these rows: two more queries."""
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    specialisms = grouped(
        (expert_id, {"need": need, "topic": topic, "level": level})
        for expert_id, need, topic, level in Specialism.objects.filter(expert_id__in=ids)
        .order_by("id")
        .values_list("expert_id", "need__code", "topic__slug", "level")
    )
    credential_rows = (
        Credential.objects.filter(expert_id__in=ids)
        .order_by("id")
        .values_list("expert_id", "id", "kind", "title", "awarded_on", "status", "verified_at")
    )
    credentials = grouped(
        (
            expert_id,
            {
                "id": pk,
                "kind": kind,
                "title": title,
                "awarded_on": _day(awarded_on),
                "status": status,
                "verified_at": datetime_text(verified_at),
            },
        )
        for expert_id, pk, kind, title, awarded_on, status, verified_at in credential_rows
    )
    today = timezone.localdate()
    page = []
    for row in rows:
        expires = row["safeguarding_expires_on"]
        distance = row.get("distance_m")
        page.append(
            {
                "id": row["id"],
                "school": {
                    "urn": row["school__urn"],
                    "name": row["school__name"],
                    "kind": row["school__kind"],
                },
                "bio": row["bio"],
                "formats": [value for value, flag in FORMAT_FLAGS.items() if row[flag]],
                "phases": [value for value, flag in PHASE_FLAGS.items() if row[flag]],
                "age_min": row["age_min"],
                "age_max": row["age_max"],
                "max_travel_km": row["max_travel_km"],
                "sessions_per_week": row["sessions_per_week"],
                "sessions_per_month": row["sessions_per_month"],
                "days_per_term": row["days_per_term"],
                "specialisms": specialisms.get(row["id"], []),
                "credentials": credentials.get(row["id"], []),
                "is_verified": row["is_verified"],
                "is_paused": row["is_paused"],
                "accepting_work": accepts_work(
                    is_verified=row["is_verified"],
                    is_suspended=row["is_suspended"],
                    is_paused=row["is_paused"],
                ),
                "safeguarding_current": expires is not None and expires >= today,
                "distance_km": None if distance is None else round(distance / 1000, 1),
            }
        )
    return page

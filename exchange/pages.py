"""Lean read paths: the JSON of the output serializers, built from ``values()`` rows.

A list page of 50 support requests through ``SupportRequestSerializer`` builds 50 model
instances, their schools and primary needs, three prefetched relations, and then renders
about 25 fields a row field by field. Here the page is read as plain rows and each item is a
dict built in one pass (``config.rows.RowRenderer``, which takes the fields, their sources
and their formatting from the serializer itself: only what a row cannot hold is named here).
The to-many relations come with the page's rows on PostgreSQL (an ``ARRAY(SELECT …)`` per
relation in the same statement), as one ``(id, value)`` query each elsewhere. The
serializers stay the contract (schema, writes, other views); tests check that both give the
same JSON for the same rows (``tests/api/test_list_pages.py``).
"""

from collections.abc import Sequence
from functools import cache, partial
from operator import attrgetter, itemgetter
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from accounts.access import CallerScope
from config.compiled import CompiledPage, CompiledQuery
from config.filtering import BIGINT_MAX, BIGINT_MIN
from config.pagination import cheap_count
from config.rows import Computed, Related, Relation, Row, RowRenderer, fill, rows_of
from exchange import access
from exchange.access import PUPIL_DETAIL_FIELDS, hides_pupil_details
from exchange.constants import accepts_work
from exchange.models import (
    FORMAT_FLAGS,
    PHASE_FLAGS,
    Credential,
    ExpertProfile,
    Need,
    PreferredWindow,
    Specialism,
    SupportRequest,
    Topic,
)
from exchange.serializers import (
    CredentialSerializer,
    ExpertSerializer,
    PreferredWindowSerializer,
    SpecialismSerializer,
    SupportRequestSerializer,
)

# --- support requests --------------------------------------------------------------------------


@cache
def request_renderer() -> RowRenderer:
    related = Related()
    return RowRenderer(
        SupportRequestSerializer,
        custom={"needs": related, "topics": related, "preferred_windows": related},
    )


@cache
def window_renderer() -> RowRenderer:
    return RowRenderer(PreferredWindowSerializer)


REQUEST_RELATIONS = (
    Relation(
        "needs",
        SupportRequest.needs.through.objects.order_by("need__position", "need__code"),
        "supportrequest_id",
        column="need__code",
    ),
    Relation(
        "topics",
        SupportRequest.topics.through.objects.order_by("topic__name", "topic_id"),
        "supportrequest_id",
        column="topic__slug",
    ),
    Relation(
        "preferred_windows",
        PreferredWindow.objects.order_by("date", "start_time", "id"),
        "request_id",
        window_renderer,
    ),
)


# What decides who reads a request's pupil free text (``support_requests``), besides its
# serializer's fields.
REQUEST_SCOPE_COLUMNS = ("school__trust_id", "school__local_authority_id")


def support_request_rows(queryset: QuerySet[SupportRequest]) -> QuerySet:
    """The filtered, ordered queryset as plain rows (no instances, no prefetches)."""
    columns = (*request_renderer().columns, *REQUEST_SCOPE_COLUMNS)
    return rows_of(queryset, columns, REQUEST_RELATIONS)


# The request list's order (the view's default ``ordering``).
REQUEST_ORDERING = ("-created_at", "-id")


def _visible_request_rows(**parameters: Any) -> QuerySet:
    pk = parameters.pop("pk", None)
    queryset = access.visible_requests(**parameters)
    if pk is not None:
        queryset = queryset.filter(pk=pk)
    return support_request_rows(queryset.order_by(*REQUEST_ORDERING))


_compiled_rows = CompiledQuery(_visible_request_rows)
_compiled_count = CompiledQuery(access.visible_requests)


def request_row(scope: CallerScope, pk: int) -> Row | None:
    """The row of the request ``pk`` if the caller sees it: ``support_request_rows`` of the
    caller's requests, as ``retrieve`` reads it, compiled once a shape of scope."""
    if not BIGINT_MIN <= pk <= BIGINT_MAX:
        return None  # as the ORM: an id past the column's range matches nothing
    parameters = access.request_scope_parameters(scope)
    rows = _compiled_rows.rows({"pk": pk, **parameters})
    return rows[0] if rows else None


def request_page(scope: CallerScope) -> CompiledPage:
    """The caller's requests in the list's order, as rows to page (``support_request_rows``,
    no filter): compiled once a shape of scope and page. An admin's count is
    ``cheap_count``'s (the whole table)."""
    parameters = access.request_scope_parameters(scope)
    if scope.is_admin:
        count = partial(cheap_count, SupportRequest.objects.all())
    else:
        count = partial(_compiled_count.count, parameters)
    return CompiledPage(_compiled_rows, count, parameters)


def support_requests(rows: Sequence[Row], scope: CallerScope | None = None) -> list[dict[str, Any]]:
    """``SupportRequestSerializer(many=True).data`` for these rows (from
    ``support_request_rows``): no more queries on PostgreSQL, three elsewhere. With the
    caller's ``scope``, the pupil free text they may not read is ``None``
    (``access.hides_pupil_details``, as the serializer); without, it is shown (for lists only
    full readers see: proposals)."""
    fill(rows, REQUEST_RELATIONS)
    items = request_renderer().items(rows)
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


def new_support_request(
    support_request: SupportRequest,
    *,
    needs: Sequence[Need],
    topics: Sequence[Topic] = (),
    windows: Sequence[Row] = (),
) -> dict[str, Any]:
    """The item of a request just inserted with these relations (``support_request_create``
    and its validated windows), from the instance: no query. The relations in
    ``REQUEST_RELATIONS``' orders (needs by position and code, topics by name, windows by
    date and start, then as inserted)."""
    renderer = request_renderer()
    row = {
        column: attrgetter(column.replace("__", "."))(support_request)
        for column in renderer.columns
    }
    row["needs"] = [need.code for need in sorted(set(needs), key=lambda n: (n.position, n.code))]
    row["topics"] = [topic.slug for topic in sorted(set(topics), key=lambda t: (t.name, t.pk))]
    window = window_renderer().item
    by_start = itemgetter("date", "start_time")
    row["preferred_windows"] = [window(w) for w in sorted(windows, key=by_start)]
    return renderer.item(row)


# --- the expert directory ----------------------------------------------------------------------


def _flags(flags: dict[str, str]) -> Computed:
    """``formats``/``phases``: the values whose flag column is set."""
    pairs = tuple(flags.items())
    return Computed(
        tuple(flags.values()), lambda row: [value for value, flag in pairs if row[flag]]
    )


def _accepting_work(row: Row) -> bool:
    return accepts_work(
        is_verified=row["is_verified"],
        is_suspended=row["is_suspended"],
        is_paused=row["is_paused"],
    )


def _safeguarding_current(row: Row) -> bool:
    expires = row["safeguarding_expires_on"]
    return expires is not None and expires >= row["today"]


def _distance_km(row: Row) -> float | None:
    distance = row.get("distance_m")
    return None if distance is None else round(distance / 1000, 1)


@cache
def expert_renderer() -> RowRenderer:
    related = Related()
    return RowRenderer(
        ExpertSerializer,
        custom={
            "formats": _flags(FORMAT_FLAGS),
            "phases": _flags(PHASE_FLAGS),
            "specialisms": related,
            "credentials": related,
            "accepting_work": Computed(
                ("is_verified", "is_suspended", "is_paused"), _accepting_work
            ),
            "safeguarding_current": Computed(("safeguarding_expires_on",), _safeguarding_current),
            "distance_km": Computed((), _distance_km),
        },
    )


@cache
def specialism_renderer() -> RowRenderer:
    return RowRenderer(SpecialismSerializer)


@cache
def credential_renderer() -> RowRenderer:
    return RowRenderer(CredentialSerializer)


EXPERT_RELATIONS = (
    Relation("specialisms", Specialism.objects.order_by("id"), "expert_id", specialism_renderer),
    Relation("credentials", Credential.objects.order_by("id"), "expert_id", credential_renderer),
)


def expert_rows(queryset: QuerySet[ExpertProfile]) -> QuerySet:
    """The filtered, ordered directory queryset as plain rows, with ``distance_m`` when the
    ``near`` filter annotated it."""
    columns = [*expert_renderer().columns]
    if "distance_m" in queryset.query.annotations:
        columns.append("distance_m")
    return rows_of(queryset, columns, EXPERT_RELATIONS)


def experts(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """``ExpertSerializer(many=True).data`` for these rows: no more queries on PostgreSQL,
    two elsewhere."""
    fill(rows, EXPERT_RELATIONS)
    today = timezone.localdate()
    for row in rows:
        row["today"] = today
    return expert_renderer().items(rows)

from collections.abc import Sequence
from functools import cached_property, partial
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


def whole_table(queryset: QuerySet) -> bool:
    """The queryset is every row of its table: nothing filters, groups or combines it."""
    query = queryset.query
    return not (query.where or query.distinct or query.group_by or query.combinator)


def cheap_count(queryset: QuerySet) -> int:
    """The exact count, except for a whole table (no filter at all: an admin's unfiltered
    list) larger than ``API_EXACT_COUNT_LIMIT`` rows on PostgreSQL, where it is the
    planner's estimate (``pg_class.reltuples``, kept by autovacuum and ANALYZE). One query
    either way."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or not whole_table(queryset):
        return queryset.count()
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN c.reltuples > %s THEN c.reltuples::bigint "  # noqa: S608
            f"ELSE (SELECT count(*) FROM {table}) END FROM pg_class c WHERE c.oid = %s::regclass",
            [settings.API_EXACT_COUNT_LIMIT, queryset.model._meta.db_table],
        )
        return int(cursor.fetchone()[0])


PAGING_PARAMETERS = frozenset({"page", "page_size"})


def only_paging(request: Request) -> bool:
    """The query string names nothing but the page: no filter, search or ordering applies."""
    return PAGING_PARAMETERS.issuperset(request.query_params)


class CountingPaginator(Paginator):
    """Pages ``object_list`` but counts ``count_from`` (the model queryset, which joins only
    what its filters need, where ``values()`` rows join every related column they read)."""

    def __init__(self, object_list: Any, per_page: int, *, count_from: QuerySet) -> None:
        super().__init__(object_list, per_page)
        self.count_from = count_from

    @cached_property
    def count(self) -> int:
        return cheap_count(self.count_from)


class StandardPagination(PageNumberPagination):
    """Page-number pagination; ``page_size`` above the cap is clamped to the cap.

    Malformed values are refused, not quietly replaced: ``page_size`` that is not a whole
    number of at least 1 is a 400 naming it; an empty or malformed ``page`` is a 404, as a
    page past the end is.
    """

    page_size_query_param = "page_size"

    @property
    def page_size(self) -> int:  # type: ignore[override]
        return settings.API_PAGE_SIZE

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return settings.API_MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:  # type: ignore[no-untyped-def]
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise ValidationError({self.page_size_query_param: ["Must be a whole number ≥ 1."]})
        return min(int(raw), self.max_page_size)

    def get_page_number(self, request, paginator) -> str:  # type: ignore[no-untyped-def]
        number = request.query_params.get(self.page_query_param)
        if number is not None and not number:
            raise NotFound("Invalid page.")
        return super().get_page_number(request, paginator)

    def paginate_queryset(
        self, queryset: Any, request: Request, view: Any = None
    ) -> Sequence[Any] | None:
        count_from = self.__dict__.pop("count_from", queryset)
        if isinstance(count_from, QuerySet):
            self.django_paginator_class = partial(  # type: ignore[assignment]
                CountingPaginator, count_from=count_from
            )
        return super().paginate_queryset(queryset, request, view)

    def paginate_rows(
        self, queryset: QuerySet, rows: QuerySet, request: Request, view: Any = None
    ) -> Sequence[Any] | None:
        """A page of ``rows`` (``values()`` of ``queryset``), counted on ``queryset``."""
        self.count_from = queryset
        return self.paginate_queryset(rows, request, view)


# ``list`` from plain rows for a view whose serializer stays the contract: ``list_rows``
# reads the filtered, ordered queryset as ``values()`` rows and ``render_rows`` builds the
# serializer's items from a page of them (the apps' ``pages`` modules). The page is counted
# on the queryset, not on the rows. (A comment, not a docstring: drf-spectacular would
# publish a view's first docstring as its operations' description.)
class RowsListMixin:
    def list_rows(self, queryset: QuerySet) -> QuerySet:
        raise NotImplementedError

    def render_rows(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        rows = self.list_rows(queryset)
        page = self.paginator.paginate_rows(queryset, rows, request, view=self)  # type: ignore[attr-defined]
        return self.get_paginated_response(self.render_rows(page))  # type: ignore[attr-defined]

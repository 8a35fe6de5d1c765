"""Full-text search over resources.

On PostgreSQL a stored generated column (``Resource.search_vector``) holds the weighted
document, ``title`` (A) > ``summary`` (B) > ``body`` (C) in the English configuration, with
a GIN index (migration 0002); a query is ranked with ``SearchRank``. Other databases (SQLite,
in development) keep the column NULL and fall back to a plain case-insensitive match, title
matches first.
"""

from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Case, F, Func, IntegerField, Q, QuerySet, Value, When

CONFIG = "english"


class OnPostgreSQL(Func):
    """The wrapped expression on PostgreSQL, NULL elsewhere: a generated column's expression
    that only PostgreSQL can compute."""

    template = "%(expressions)s"

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:  # type: ignore[override]
        if connection.vendor != "postgresql":
            return "NULL", ()
        return super().as_sql(compiler, connection, *args, **extra)


def document() -> OnPostgreSQL:
    """The weighted document the generated column stores."""
    vector = (
        SearchVector("title", weight="A", config=CONFIG)
        + SearchVector("summary", weight="B", config=CONFIG)
        + SearchVector("body", weight="C", config=CONFIG)
    )
    return OnPostgreSQL(vector)


def search(queryset: QuerySet, text: str, vendor: str) -> QuerySet:
    """The resources matching ``text``, best first."""
    if vendor == "postgresql":
        query = SearchQuery(text, config=CONFIG, search_type="websearch")
        return (
            queryset.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-id")
        )
    matches = Q(title__icontains=text) | Q(summary__icontains=text) | Q(body__icontains=text)
    return (
        queryset.filter(matches)
        .annotate(
            rank=Case(
                When(title__icontains=text, then=Value(3)),
                When(summary__icontains=text, then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("-rank", "-id")
    )

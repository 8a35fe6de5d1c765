"""The dimensions figures are broken down by, and the one grouped query that counts them.

A dimension is either a path to a column (``school__region``) — one key per row counted —
or, for an expert's phases and broad areas (flags and a many-to-many that may repeat an
area), a list of memberships ``(key, Q)``: the row counts under every key it belongs to,
each part one ``SELECT … GROUP BY`` of a single ``UNION ALL`` query.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Aggregate,
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import TruncMonth

from accounts.models import LocalAuthority
from exchange.constants import LONDON
from exchange.enums import BroadArea, EducationPhase, Format
from exchange.models import PHASE_FLAGS, Need, Specialism, Topic
from insights.filters import AnalyticsFilters
from insights.tables import Key, month_key, months_between

# What request-based figures can be broken down by.
REQUEST_DIMENSIONS = ("need", "broad_area", "topic", "phase", "la", "region", "month", "all")


@dataclass(frozen=True)
class Path:
    expression: Combinable | str
    is_month: bool = False


@dataclass(frozen=True)
class Members:
    parts: tuple[tuple[str, Q], ...]


Dimension = Path | Members
ALL = Path(Value("all"))


def month(path: str) -> Path:
    return Path(TruncMonth(path, tzinfo=LONDON, output_field=DateTimeField()), is_month=True)


def request_dimension(name: str, prefix: str = "") -> Path:
    """A request's dimension, across ``prefix`` (``"request__"`` from a session)."""
    paths = {
        "need": "primary_need__code",
        "broad_area": "primary_need__broad_area",
        "topic": "topics__slug",
        "phase": "phase",
        "la": "school__local_authority__code",
        "region": "school__region",
    }
    if name == "month":
        return month(f"{prefix}submitted_at")
    if name == "all":
        return ALL
    return Path(F(f"{prefix}{paths[name]}"))


def expert_dimension(name: str, prefix: str = "") -> Dimension:
    """An expert's dimension: their specialisms, the phases they serve, their home school."""
    paths = {
        "need": "specialisms__need__code",
        "topic": "specialisms__topic__slug",
        "la": "school__local_authority__code",
        "region": "school__region",
    }
    if name == "all":
        return ALL
    if name == "phase":
        return Members(
            tuple((phase, Q(**{f"{prefix}{flag}": True})) for phase, flag in PHASE_FLAGS.items())
        )
    if name == "broad_area":
        expert = OuterRef(expert_ref(prefix))
        return Members(
            tuple(
                (
                    area,
                    Q(Exists(Specialism.objects.filter(expert_id=expert, need__broad_area=area))),
                )
                for area in BroadArea.values
            )
        )
    return Path(F(f"{prefix}{paths[name]}"))


def expert_ref(prefix: str) -> str:
    """The expert's id from a row reached by ``prefix`` (``"expert__"`` → ``expert_id``)."""
    return f"{prefix.removesuffix('__')}_id" if prefix else "pk"


def grouped(
    queryset: QuerySet[Any], rows: Dimension, columns: Dimension, *measures: Aggregate
) -> list[tuple[Any, ...]]:
    """``(row key, column key, *measures)`` for each group, in one query."""
    names = [f"_m{k}" for k in range(len(measures))]
    parts = []
    for row_key, row_q in _parts(rows):
        for column_key, column_q in _parts(columns):
            part = (
                queryset.filter(row_q & column_q)
                .annotate(_r=row_key, _c=column_key)
                .order_by()
                .values("_r", "_c")
                .annotate(**dict(zip(names, measures, strict=True)))
                .values_list("_r", "_c", *names)
            )
            parts.append(part)
    query = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:], all=True).order_by()
    row_text, column_text = formatter(rows), formatter(columns)
    return [
        (row_text(r), column_text(c), *values)
        for r, c, *values in query
        if r is not None and c is not None
    ]


def each_row() -> Count:
    """The rows of a group, each counted once: a request (a proposal, a session) is one row
    of each group it falls in, since of the request dimensions only ``topic`` crosses a
    many-to-many (a request once under each topic it names), rows and columns are never the
    same dimension, and the topic filter is a subquery, not a join. So no ``DISTINCT``, which would
    sort every group instead of hashing them, and ``COUNT(*)`` reads no column (an index
    can answer it)."""
    return Count("*")


def counts(groups: Iterable[tuple[Any, ...]]) -> list[tuple[str, str, int]]:
    """The first measure of each group."""
    return [(r, c, n) for r, c, n, *_ in groups]


def _parts(dimension: Dimension) -> Iterable[tuple[Any, Q]]:
    if isinstance(dimension, Members):
        return [(Value(key), q) for key, q in dimension.parts]
    expression = dimension.expression
    return [(F(expression) if isinstance(expression, str) else expression, Q())]


def formatter(dimension: Dimension) -> Callable[[Any], str]:
    return month_key if isinstance(dimension, Path) and dimension.is_month else str


def keys(name: str, found: Iterable[str], filters: AnalyticsFilters | None = None) -> list[Key]:
    """The keys of a dimension in display order, with labels: every need, broad area,
    phase, format and active topic (so a zero shows, suppressed like any small count); the
    LAs and regions found; every month of the period (or between the first and last found)."""
    found = set(found)
    chosen = _chosen(name, filters)
    if chosen:
        return [k for k in _all_keys(name, found | set(chosen), filters) if k.key in chosen]
    return _all_keys(name, found, filters)


def _chosen(name: str, filters: AnalyticsFilters | None) -> tuple[str, ...]:
    """The keys a filter narrows a fixed dimension to (only those are shown)."""
    if filters is None:
        return ()
    return {
        "need": filters.needs,
        "broad_area": filters.broad_areas,
        "phase": filters.phases,
        "topic": filters.topics,
    }.get(name, ())


def _all_keys(name: str, found: set[str], filters: AnalyticsFilters | None) -> list[Key]:
    if name == "all":
        return [Key("all", "All")]
    if name == "need":
        return [Key(code, label) for code, label in Need.objects.values_list("code", "name")]
    if name == "broad_area":
        return [Key(v, label) for v, label in BroadArea.choices]
    if name == "phase":
        return [Key(v, label) for v, label in EducationPhase.choices]
    if name == "format":
        return [Key(v, label) for v, label in Format.choices]
    if name == "topic":
        topics = Topic.objects.filter(Q(is_active=True) | Q(slug__in=found)).order_by("name")
        return [Key(slug, label) for slug, label in topics.values_list("slug", "name")]
    if name == "la":
        authorities = LocalAuthority.objects.filter(code__in=found).order_by("name")
        return [Key(code, label) for code, label in authorities.values_list("code", "name")]
    if name == "region":
        return [Key(region, region) for region in sorted(found)]
    if name == "month":
        months = filters.period.months() if filters else None
        return [Key(m, m) for m in months] if months is not None else months_between(found)
    raise ValueError(f"Unknown dimension {name!r}.")


def choice_keys(choices: Sequence[tuple[str, str]], found: Iterable[str]) -> list[Key]:
    """A model's choices as keys, then any value found that the choices no longer name."""
    known = [Key(value, str(label)) for value, label in choices]
    names = {k.key for k in known}
    return known + [Key(value, value) for value in sorted(set(found) - names)]

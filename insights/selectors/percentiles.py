"""Medians and 90th percentiles computed in the database, in one query.

The definition is ``percentile_cont``'s (linear interpolation between the two nearest
ranks; numpy's default): for ``n`` sorted values ``v₀ … vₙ₋₁`` and ``p`` in hundredths,
``pos = p·(n − 1)/100``, the result ``v[⌊pos⌋] + frac(pos)·(v[⌊pos⌋+1] − v[⌊pos⌋])``.
``⌊pos⌋`` and ``frac`` come from integer arithmetic, and the interpolation is done here,
so both databases give the same figures to the last bit; what leaves the database is two
values and a remainder per group and percentile, never the values themselves.

How the two ranks are found differs. PostgreSQL sorts each group's values once into an
array (``array_agg(v ORDER BY v)``, every group and the total in one pass with
``GROUPING SETS``) and picks the two elements; SQLite has no arrays, so window functions
(``ROW_NUMBER``/``COUNT`` over each group) rank the values. On the national data the
array was four times faster than PostgreSQL's windows.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import FloatField, Func, QuerySet
from django.db.models.expressions import Combinable


class Seconds(Func):
    """``end − start`` in seconds, as a float, on PostgreSQL and SQLite."""

    arity = 2

    def __init__(self, end: Combinable | str, start: Combinable | str) -> None:
        super().__init__(end, start, output_field=FloatField())

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        # A double, as declared: ``EXTRACT`` gives a numeric, slow to sort, and the value
        # read here is its float anyway (both conversions round correctly, so to the same).
        template = "EXTRACT(EPOCH FROM (%(expressions)s))::double precision"
        return super().as_sql(compiler, connection, template=template, arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


@dataclass(frozen=True)
class Spread:
    """How many values a group has, and its percentiles (``None`` for an empty group)."""

    n: int
    values: dict[int, float]


TOTAL_KEY = object()


def percentiles(
    queryset: QuerySet[Any], key: Any, value: Any, ps: Sequence[int] = (50, 90)
) -> dict[Any, Spread]:
    """Per key (and for all rows together, under ``TOTAL_KEY``): the count and the
    ``ps`` percentiles of ``value``, over the rows of ``queryset`` where it is not NULL."""
    inner = (
        queryset.order_by()
        .annotate(_pk=key, _pv=value)
        .filter(_pv__isnull=False)
        .values_list("_pk", "_pv")
    )
    sql, params = inner.query.sql_with_params()
    query = _postgresql(sql, ps) if connection.vendor == "postgresql" else _windows(sql, ps)
    result: dict[Any, Spread] = {}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for t, k, n, *picked in cursor.fetchall():
            values: dict[int, float] = {}
            for index, p in enumerate(ps):
                first, second, remainder = picked[3 * index : 3 * index + 3]
                low = float(first)
                high = low if second is None else float(second)
                values[p] = low + (high - low) * int(remainder) / 100
            result[TOTAL_KEY if t == 1 else k] = Spread(int(n), values)
    return result


def _postgresql(sql: str, ps: Sequence[int]) -> str:
    """Each group's values sorted into an array once; ``t`` is 1 for the total."""
    picks = []
    for p in ps:
        rank = f"(({p} * (n - 1)) / 100)"
        picks += [f"s[{rank} + 1]", f"s[{rank} + 2]", f"(({p} * (n - 1)) %% 100)"]
    return f"""
        WITH d (k, v) AS ({sql}),
        g AS (
            SELECT GROUPING(k) AS t, k, array_agg(v ORDER BY v) AS s
            FROM d GROUP BY GROUPING SETS ((k), ())
        )
        SELECT t, k, n, {", ".join(picks)}
        FROM (SELECT t, k, s, cardinality(s)::bigint AS n FROM g WHERE s IS NOT NULL) AS x
    """  # noqa: S608 — our own SQL around the ORM's, with its parameters


def _windows(sql: str, ps: Sequence[int]) -> str:
    """Each group's values ranked by window functions; ``t`` is 1 for the total."""
    picks = []
    for p in ps:
        rank = f"(({p} * (n - 1)) / 100)"
        picks.append(f"MAX(CASE WHEN i = {rank} THEN v END)")
        picks.append(f"MAX(CASE WHEN i = {rank} + 1 THEN v END)")
        picks.append(f"(({p} * (n - 1)) %% 100)")
    return f"""
        WITH d (k, v) AS ({sql}),
        a (t, k, v) AS (SELECT 0, k, v FROM d UNION ALL SELECT 1, NULL, v FROM d),
        r AS (
            SELECT t, k, v,
                ROW_NUMBER() OVER (PARTITION BY t, k ORDER BY v) - 1 AS i,
                COUNT(*) OVER (PARTITION BY t, k) AS n
            FROM a
        )
        SELECT t, k, n, {", ".join(picks)} FROM r GROUP BY t, k, n
    """  # noqa: S608 — our own SQL around the ORM's, with its parameters

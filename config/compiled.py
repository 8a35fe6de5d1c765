"""Read queries built and compiled once per shape, then run with each request's values.

Django builds a queryset (the scope's ``UNION`` of arms, the ``values()`` of ~25 columns,
the ``ARRAY`` subqueries) and compiles it to SQL on every request: for a request's detail
and the request lists that is about half the CPU the API spends on them. Their SQL has the
same shape on every request; only the caller's ids, the object's id and the page differ.

``CompiledQuery(build)`` calls ``build(**params)`` once per *shape*, twice, with two sets of
marker values in place of the request's (each id a number of its own, each tuple of ids as
many), compiles both, and keeps the SQL and where each marker landed among its parameters.
Later requests of that shape run the same SQL with their own values in those places. The
shape is the name of each parameter, the length of each tuple and anything else the caller
gives as ``shape``; a page's bounds are part of it too. ``rows`` gives what ``values()``
gives (the same column names, the same converters); ``count`` what ``count()`` gives.
A builder is refused when it is first compiled if the two SQL texts differ (the SQL depends
on a value), if the parameters differ anywhere but at a marker, or if a marker is missing
(dropped, or pasted into the SQL text), so a query is never run with a stale value. A
builder must not branch on its values: the two probes catch most such builders, not all.
Parameters are ids (integers) only.

Compiled queries are kept per thread (each thread has its own connection, which the
compiler holds), at most ``MAX_SHAPES`` shapes each.
"""

import threading
from collections.abc import Callable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler

Row = dict[str, Any]
Param = int | tuple[int, ...]

# Two sets of markers, in the range of every integer column (a column's out-of-range values
# are dropped from an IN list by Django, which the check of ``_Slots`` would catch).
MARKER_BASES = (2_000_000_000, 2_100_000_001)  # of both parities
MAX_SHAPES = 256


class _Markers:
    """Stand-in values for ``params``: the k-th id (by name, then position) is base + k."""

    def __init__(self, params: dict[str, Param]) -> None:
        self.places: list[tuple[str, int | None]] = [
            (name, index)
            for name, value in sorted(params.items())
            for index in (range(len(value)) if isinstance(value, tuple) else (None,))
        ]

        self.tuples = [name for name, value in params.items() if isinstance(value, tuple)]

    def values(self, base: int) -> dict[str, Param]:
        values: dict[str, Any] = dict.fromkeys(self.tuples, ())
        for k, (name, index) in enumerate(self.places):
            if index is None:
                values[name] = base + k
            else:
                values[name] = (*values.get(name, ()), base + k)
        return values

    def place(self, value: Any, base: int) -> tuple[str, int | None] | None:
        # Django may wrap an IN list's ints for psycopg (``Int4``, an int subclass).
        k = value - base if isinstance(value, int) and not isinstance(value, bool) else -1
        return self.places[k] if 0 <= k < len(self.places) else None


class _Slots:
    """Where each parameter's values sit among a statement's parameters: the statement as
    compiled with two sets of markers, ``a`` and ``b``. Its SQL must be the same, and the
    parameters must differ exactly where a marker of ``a`` faces the same marker of ``b``
    (so a constant that happens to equal a marker is never taken for one), and every marker
    must be there."""

    def __init__(self, markers: _Markers, a: tuple[str, Any], b: tuple[str, Any]) -> None:
        (sql_a, params_a), (sql_b, params_b) = a, b
        base_a, base_b = MARKER_BASES
        self.template: list[Any] = list(params_a)
        self.slots: list[tuple[int, type, str, int | None]] = []
        if sql_a != sql_b or len(params_a) != len(params_b):
            raise ValueError("the SQL depends on the parameters' values")
        for position, (value_a, value_b) in enumerate(zip(params_a, params_b, strict=True)):
            if value_a == value_b:
                continue
            place = markers.place(value_a, base_a)
            if place is None or place != markers.place(value_b, base_b):
                raise ValueError(f"parameter {position} changes, but not as a marker")
            self.slots.append((position, type(value_a), *place))
        lost = set(markers.places) - {(name, index) for _, _, name, index in self.slots}
        if lost:
            raise ValueError(f"values not bound as SQL parameters: {sorted(lost, key=str)}")

    def bind(self, values: dict[str, Param]) -> list[Any]:
        params = self.template.copy()
        for position, kind, name, index in self.slots:
            value = values[name]
            params[position] = kind(value if index is None else value[index])  # type: ignore[index]
        return params


class CompiledQuery:
    """The rows (or count) of ``build(**params)``'s queryset, compiled once a shape (see
    the module)."""

    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self.build = build
        self._local = threading.local()

    def _shapes(self) -> dict[tuple[Any, ...], Any]:
        shapes: dict[tuple[Any, ...], Any] = self._local.__dict__.setdefault("shapes", {})
        if len(shapes) > MAX_SHAPES:
            shapes.clear()
        return shapes

    def _built(self, markers: dict[str, Param]) -> QuerySet:
        queryset = self.build(**markers)
        if queryset.db != DEFAULT_DB_ALIAS:
            raise ValueError("compiled queries run on the default database")
        return queryset

    @staticmethod
    def _key(kind: str, shape: tuple[Any, ...], params: dict[str, Param]) -> tuple[Any, ...]:
        sizes = tuple(
            (name, len(value) if isinstance(value, tuple) else None)
            for name, value in sorted(params.items())
        )
        return (kind, shape, sizes)

    def rows(
        self,
        params: dict[str, Param],
        *,
        shape: tuple[Any, ...] = (),
        bounds: tuple[int, int] | None = None,
    ) -> list[Row]:
        """``list(build(**params)[low:high])``, a ``values()`` queryset's rows; ``bounds``
        (low, high) slices it (each pair is a shape of its own)."""
        key = self._key("rows", (*shape, bounds), params)
        compiled = self._shapes().get(key)
        if compiled is None:
            compiled = self._compile_rows(params, bounds)
            self._shapes()[key] = compiled
        if not compiled:
            return []
        sql, slots, compiler, names = compiled
        return _fetch_rows(compiler, sql, slots.bind(params), names)

    def _compile_rows(self, params: dict[str, Param], bounds: tuple[int, int] | None) -> Any:
        markers = _Markers(params)
        statements = []
        for base in MARKER_BASES:
            queryset = self._built(markers.values(base))
            if bounds is not None:
                queryset = queryset[bounds[0] : bounds[1]]
            compiler = queryset.query.get_compiler(using=DEFAULT_DB_ALIAS)
            try:
                sql, statement_params = compiler.as_sql()
            except EmptyResultSet:
                return ()  # Django knows it selects nothing, whatever the values
            statements.append((sql, tuple(statement_params)))
        query = queryset.query
        names = list(query.selected or ()) or [
            *query.extra_select,
            *query.values_select,
            *query.annotation_select,
        ]
        sql = statements[0][0]
        return (sql, _Slots(markers, *statements), compiler, names)

    def _compile_count(self, params: dict[str, Param]) -> Any:
        # ``count()`` is the number of the queryset's rows: counted over its ids, unordered
        # (PostgreSQL and SQLite plan ``count(*)`` of such a subquery as of the query itself).
        markers = _Markers(params)
        statements = []
        for base in MARKER_BASES:
            ids = self._built(markers.values(base)).order_by().values("pk")
            try:
                sql, statement_params = ids.query.get_compiler(using=DEFAULT_DB_ALIAS).as_sql()
            except EmptyResultSet:
                return 0
            counted = f"SELECT COUNT(*) FROM ({sql}) counted"  # noqa: S608 — Django's SQL
            statements.append((counted, tuple(statement_params)))
        return (statements[0][0], _Slots(markers, *statements))

    def count(self, params: dict[str, Param], *, shape: tuple[Any, ...] = ()) -> int:
        """``build(**params).count()``."""
        key = self._key("count", shape, params)
        compiled = self._shapes().get(key)
        if compiled is None:
            compiled = self._compile_count(params)
            self._shapes()[key] = compiled
        if isinstance(compiled, int):
            return compiled
        sql, slots = compiled
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(sql, slots.bind(params))
            return int(cursor.fetchone()[0])


def _fetch_rows(compiler: SQLCompiler, sql: str, params: list[Any], names: list[str]) -> list[Row]:
    with compiler.connection.cursor() as cursor:
        cursor.execute(sql, params)
        results = cursor.fetchall()
    indexes = range(len(names))
    return [{names[i]: row[i] for i in indexes} for row in compiler.results_iter(results=[results])]


class CompiledPage:
    """A list's rows for ``Paginator``: ``count()`` and slices, each slice one compiled
    ``rows`` call (the slice's bounds are part of its shape)."""

    ordered = True  # the builder orders its rows

    def __init__(
        self, query: CompiledQuery, count: Callable[[], int], parameters: dict[str, Param]
    ) -> None:
        self.query, self._count, self.parameters = query, count, parameters

    def count(self) -> int:
        return self._count()

    def __len__(self) -> int:
        return self._count()

    def __getitem__(self, bounds: slice) -> list[Row]:
        if not isinstance(bounds, slice) or bounds.step is not None:
            raise TypeError("CompiledPage takes slices only")
        return self.query.rows(self.parameters, bounds=(bounds.start or 0, bounds.stop))

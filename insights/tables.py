"""Count tables as the analytics endpoints publish them: keys along two dimensions, counts
from the database's ``GROUP BY``, small counts suppressed by ``insights.suppression``.

A ``CountTable`` is built from grouped rows (key, key, count), never from the rows being
counted. ``published()`` applies suppression once; every rate or mean shown beside a table
is withheld (``None``) where the count it is computed from is hidden (``withheld``).
"""

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.cache import cache

from exchange.constants import LONDON
from insights.filters import month_range
from insights.suppression import (
    DEFAULT_THRESHOLD,
    SuppressedTable,
    Suppression,
    suppress,
    with_totals,
)

TOTAL = "total"
# How long a table's suppression pattern is remembered (it depends only on the counts).
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Key:
    key: str
    label: str


def month_key(value: Any) -> str:
    """A truncated month (a date, a datetime, or SQLite's text of one) as ``YYYY-MM``."""
    if isinstance(value, datetime):
        return f"{value.astimezone(LONDON) if value.tzinfo else value:%Y-%m}"
    if isinstance(value, date):
        return f"{value:%Y-%m}"
    return str(value)[:7]


def months_between(found: Iterable[str]) -> list[Key]:
    months = sorted(set(found))
    if not months:
        return []
    return [Key(m, m) for m in month_range(months[0], months[-1])]


@dataclass
class CountTable:
    """Counts by ``rows`` × ``columns`` (dimension names), in the keys' order; keys not in
    the lists are dropped, missing cells are 0."""

    name: str
    rows: str
    columns: str
    row_keys: list[Key]
    column_keys: list[Key]
    counts: list[list[int]]

    @classmethod
    def from_groups(
        cls,
        name: str,
        rows: str,
        columns: str,
        row_keys: Sequence[Key],
        column_keys: Sequence[Key],
        groups: Iterable[tuple[str, str, int]],
    ) -> "CountTable":
        r = {k.key: i for i, k in enumerate(row_keys)}
        c = {k.key: j for j, k in enumerate(column_keys)}
        counts = [[0] * len(column_keys) for _ in row_keys]
        for row, column, n in groups:
            if row in r and column in c:
                counts[r[row]][c[column]] += int(n)
        return cls(name, rows, columns, list(row_keys), list(column_keys), counts)

    def published(self, threshold: int | None = DEFAULT_THRESHOLD) -> "PublishedTable":
        """Totals added and small counts suppressed; ``threshold=None`` hides nothing (for
        checking figures and for internal use; the API always suppresses)."""
        if not self.ok:
            return PublishedTable(self, None)
        if threshold is None:
            return PublishedTable(self, SuppressedTable(with_totals(self.counts), {}, 1))
        return PublishedTable(self, suppressed(self.counts, threshold))

    def withheld(self, threshold: int) -> "PublishedTable":
        """Every entry hidden (``"<5"`` under the threshold, ``"c"`` otherwise): for a table
        whose total another table already hides."""
        entries = with_totals(self.counts)
        hidden = {
            (i, j): Suppression.PRIMARY if value < threshold else Suppression.SECONDARY
            for i, row in enumerate(entries)
            for j, value in enumerate(row)
        }
        return PublishedTable(self, SuppressedTable(entries, hidden, threshold))

    @property
    def ok(self) -> bool:
        return bool(self.row_keys) and bool(self.column_keys)


def suppressed(counts: list[list[int]], threshold: int) -> SuppressedTable:
    """``suppress(counts)``, remembered in the cache by the counts themselves: the pattern
    depends on nothing else, and a big sparse table takes a while to protect."""
    digest = hashlib.sha256(json.dumps([threshold, counts]).encode()).hexdigest()
    key = f"insights:suppression:{digest}"
    known = cache.get(key)
    if known is not None:
        hidden = {(i, j): Suppression(kind) for i, j, kind in known}
        return SuppressedTable(with_totals(counts), hidden, threshold)
    table = suppress(counts, threshold=threshold)
    cache.set(key, [[i, j, kind.value] for (i, j), kind in table.suppressed.items()], CACHE_SECONDS)
    return table


@dataclass(frozen=True)
class PublishedTable:
    """A table with its totals and suppression applied (``suppressed`` is None for a table
    with no rows or no columns: nothing to publish)."""

    table: CountTable
    suppressed: SuppressedTable | None

    def value(self, i: int, j: int) -> int | None:
        """A published count (totals at index ``len(keys)``), None when hidden."""
        return self.suppressed.published(i, j) if self.suppressed else None

    def as_json(self) -> dict[str, Any]:
        t = self.table
        return {
            "name": t.name,
            "rows": t.rows,
            "columns": t.columns,
            "row_keys": [{"key": k.key, "label": k.label} for k in t.row_keys],
            "column_keys": [{"key": k.key, "label": k.label} for k in t.column_keys],
            "cells": self.suppressed.json_grid() if self.suppressed else [],
        }

    def csv_rows(self) -> list[list[str]]:
        """Header (the row dimension, the column keys, ``total``), then one line per row key
        and the ``total`` line; DfE's ``c`` on every hidden cell."""
        t = self.table
        if self.suppressed is None:
            return [[t.rows, TOTAL]]
        header = [t.rows, *(k.key for k in t.column_keys), TOTAL]
        keys = [k.key for k in t.row_keys] + [TOTAL]
        return [
            header,
            *([key, *cells] for key, cells in zip(keys, self.suppressed.csv_grid(), strict=True)),
        ]


# Returned by a figure's ``compute`` when it must not be published (too few behind it).
WITHHELD: Any = object()


@dataclass(frozen=True)
class FigureGrid:
    """A rate, mean or median per cell of a published table (totals included): ``None``
    where the count it comes from is hidden (``hidden``) or it is undefined (0/0)."""

    name: str
    of: str
    values: list[list[float | None]]
    hidden: list[list[bool]]
    # Named columns for a figure that is not one per cell (e.g. ``["median", "p90"]`` per
    # row); None: one per cell of the table ``of``.
    columns: list[str] | None = None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "of": self.of, "columns": self.columns, "cells": self.values}

    def csv_rows(self, table: PublishedTable) -> list[list[str]]:
        """The table's layout; DfE's ``c`` where withheld, ``z`` where not applicable."""
        header, *lines = table.csv_rows()
        out = [[header[0], *self.columns] if self.columns else header]
        for line, values, hidden in zip(lines, self.values, self.hidden, strict=True):
            cells = [
                "c" if h else ("z" if v is None else f"{v:g}")
                for v, h in zip(values, hidden, strict=True)
            ]
            out.append([line[0], *cells])
        return out


def figure_grid(
    name: str,
    tables: Sequence[PublishedTable],
    compute: Callable[[int, int], float | None],
) -> FigureGrid:
    """``compute(i, j)`` per cell of the first table, withheld wherever a cell of any of
    ``tables`` it is computed from is hidden."""
    base = tables[0]
    t = base.table
    if base.suppressed is None:
        return FigureGrid(name, t.name, [], [])
    shape = [(i, j) for i in range(len(t.row_keys) + 1) for j in range(len(t.column_keys) + 1)]
    hidden = {(i, j): any(table.value(i, j) is None for table in tables) for i, j in shape}
    values = {(i, j): None if hidden[i, j] else compute(i, j) for i, j in shape}
    for entry, value in values.items():
        if value is WITHHELD:
            hidden[entry], values[entry] = True, None
    rows, columns = len(t.row_keys) + 1, len(t.column_keys) + 1
    return FigureGrid(
        name,
        t.name,
        [[values[i, j] for j in range(columns)] for i in range(rows)],
        [[hidden[i, j] for j in range(columns)] for i in range(rows)],
    )


def ratio(
    numerator: int | float | None, denominator: int | float | None, digits: int = 3
) -> float | None:
    """``numerator / denominator`` rounded, or None when either is hidden or it is 0/0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return round(numerator / denominator, digits)


def with_margins(matrix: Sequence[Sequence[float]]) -> list[list[float]]:
    """A matrix with its row sums, column sums and grand sum, laid out like a table's cells."""
    rows = [[*row, sum(row)] for row in matrix]
    width = len(rows[0]) if rows else 1
    return [*rows, [sum(row[j] for row in rows) for j in range(width)]]


def aligned(table: CountTable, groups: Iterable[tuple[str, str, float]]) -> list[list[float]]:
    """Values by group placed on ``table``'s cells, with margins (sums of any measure)."""
    r = {k.key: i for i, k in enumerate(table.row_keys)}
    c = {k.key: j for j, k in enumerate(table.column_keys)}
    matrix = [[0.0] * len(table.column_keys) for _ in table.row_keys]
    for row, column, value in groups:
        if row in r and column in c and value is not None:
            matrix[r[row]][c[column]] += float(value)
    return with_margins(matrix)

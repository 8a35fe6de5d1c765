"""Small-count suppression with secondary suppression, for publishing counts about children.

Pure: a table of counts in, a table saying which entries to hide out. No Django.

The table is seen with its margins, as an ``(rows + 1) × (columns + 1)`` grid of *entries*:
the counts, each row's total in the last column, each column's total in the last row and the
grand total in the corner. Every row and every column of that grid is a *line*: an equation
"the entries before the last add up to the last one".

1. **Primary**: every entry under ``threshold`` is suppressed, zeros included ("under 5"
   is 0–4: were zeros published, a reader would know every hidden count is at least 1, and
   a table of ones could then be worked out from its small totals).
2. **Secondary**: a line with exactly one suppressed entry would give it away by subtraction, so
   the smallest published entry of that line (a count or the line's total) is suppressed too.
   Every published entry is at least ``threshold``, so every complement is.
3. **Audit**: the two-per-line rule is not enough on its own, because the reader also knows
   bounds (a ``"<5"`` is 0–4, a ``"c"`` count is at least 5): two ``"<5"`` cells in a row
   whose other cells are published and whose total is 8 are both 4. So each suppressed entry's
   smallest and largest value consistent with everything published is computed by linear
   programming (``scipy.optimize.linprog``); an entry whose range is a single value gets the
   smallest published entry of its row or column suppressed as well.

Steps 2 and 3 repeat until nothing changes. Each pass suppresses at least one more entry, so
it ends; with everything suppressed nothing can be derived.

Why an interval that is not a single point means "not recoverable": the lines of a two-way
table form a network (totally unimodular) matrix, so with whole-number bounds the extreme
values are whole numbers too; two different extremes are two different whole-number tables
that agree with everything published.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy.optimize import linprog

DEFAULT_THRESHOLD = 5
# CSV: DfE's symbol for "confidential", on every suppressed entry.
CSV_SUPPRESSED = "c"

Entry = tuple[int, int]


class Suppression(StrEnum):
    PRIMARY = "primary"  # a count under the threshold
    SECONDARY = "secondary"  # hidden so that a primary one cannot be worked out


@dataclass(frozen=True)
class SuppressedTable:
    """The table with its totals, and which entries are hidden (and why).

    ``entries[i][j]`` is the count for ``i < rows, j < columns``; column ``columns`` holds the
    row totals, row ``rows`` the column totals, and ``entries[rows][columns]`` the grand total.
    """

    entries: tuple[tuple[int, ...], ...]
    suppressed: dict[Entry, Suppression]
    threshold: int

    @property
    def rows(self) -> int:
        return len(self.entries) - 1

    @property
    def columns(self) -> int:
        return len(self.entries[0]) - 1

    def published(self, i: int, j: int) -> int | None:
        """The entry's value, or None when it is suppressed."""
        return None if (i, j) in self.suppressed else self.entries[i][j]

    def json_grid(self) -> list[list[int | str]]:
        """Entries as JSON values: a number, ``"<5"`` (for threshold 5) for a primary
        suppression, ``"c"`` for a secondary one (which may be any size)."""
        return [
            [self._json_value(i, j) for j in range(self.columns + 1)] for i in range(self.rows + 1)
        ]

    def csv_grid(self) -> list[list[str]]:
        """Entries as CSV text, with DfE's ``c`` on every suppressed entry."""
        return [
            [
                CSV_SUPPRESSED if (i, j) in self.suppressed else str(self.entries[i][j])
                for j in range(self.columns + 1)
            ]
            for i in range(self.rows + 1)
        ]

    def _json_value(self, i: int, j: int) -> int | str:
        kind = self.suppressed.get((i, j))
        if kind is Suppression.PRIMARY:
            return f"<{self.threshold}"
        if kind is Suppression.SECONDARY:
            return CSV_SUPPRESSED
        return self.entries[i][j]


def with_totals(counts: Sequence[Sequence[int]]) -> tuple[tuple[int, ...], ...]:
    """The counts with a total column, a total row and the grand total."""
    if not counts or not counts[0]:
        raise ValueError("A table needs at least one row and one column.")
    width = len(counts[0])
    if any(len(row) != width for row in counts):
        raise ValueError("Every row of a table must have the same number of columns.")
    if any(value < 0 for row in counts for value in row):
        raise ValueError("Counts cannot be negative.")
    rows = [(*row, sum(row)) for row in counts]
    column_totals = tuple(sum(row[j] for row in rows) for j in range(width + 1))
    return (*(tuple(row) for row in rows), column_totals)


def suppress(
    counts: Sequence[Sequence[int]], *, threshold: int = DEFAULT_THRESHOLD
) -> SuppressedTable:
    """Suppresses counts under ``threshold`` and enough others that none can be worked out."""
    if threshold < 1:
        raise ValueError("The threshold must be at least 1.")
    entries = with_totals(counts)
    suppressed: dict[Entry, Suppression] = {
        (i, j): Suppression.PRIMARY
        for i, row in enumerate(entries)
        for j, value in enumerate(row)
        if value < threshold
    }
    table = SuppressedTable(entries, suppressed, threshold)
    while _complete_lines(table) or _protect_exposed(table):
        pass
    return table


def lines(rows: int, columns: int) -> Iterator[list[Entry]]:
    """Every line of the grid; the last entry of each is the total of the others."""
    for i in range(rows + 1):
        yield [(i, j) for j in range(columns + 1)]
    for j in range(columns + 1):
        yield [(i, j) for i in range(rows + 1)]


def _complete_lines(table: SuppressedTable) -> bool:
    """Step 2: no line with a single suppressed entry. True if anything was added."""
    changed = False
    for line in lines(table.rows, table.columns):
        if sum(entry in table.suppressed for entry in line) == 1:
            changed |= _suppress_smallest(table, line)
    return changed


def _protect_exposed(table: SuppressedTable) -> bool:
    """Step 3: one more complement beside the first entry whose value is pinned down.

    Entries that a unit shift around a rectangle visibly frees (``_movable``) are not
    pinned, so only the others need their range solved; the first pinned entry found is the
    same as solving every range would find."""
    by_row: dict[int, list[Entry]] = {}
    by_column: dict[int, list[Entry]] = {}
    for hidden in table.suppressed:
        by_row.setdefault(hidden[0], []).append(hidden)
        by_column.setdefault(hidden[1], []).append(hidden)
    for entry in sorted(table.suppressed):
        i, j = entry
        row = [(i, column) for column in range(table.columns + 1)]
        column = [(r, j) for r in range(table.rows + 1)]
        if all(e in table.suppressed for e in row + column):
            continue  # nothing left to hide beside it, pinned or not
        if _movable(table, entry, by_row, by_column):
            continue
        low, high = value_ranges(table, only=entry)[entry]
        if high - low < 0.5 and _suppress_smallest(table, row + column):
            return True
    return False


def _suppress_smallest(table: SuppressedTable, candidates: list[Entry]) -> bool:
    published = [entry for entry in candidates if entry not in table.suppressed]
    if not published:
        return False
    smallest = min(published, key=lambda entry: (table.entries[entry[0]][entry[1]], entry))
    table.suppressed[smallest] = Suppression.SECONDARY
    return True


def reader_bounds(table: SuppressedTable, entry: Entry) -> tuple[float, float | None]:
    """What a reader knows about a suppressed entry without any arithmetic."""
    if table.suppressed[entry] is Suppression.PRIMARY:
        return 0, table.threshold - 1
    return table.threshold, None  # a complement: it was published before, so not under it


def _sign(table: SuppressedTable, entry: Entry) -> int:
    """With the totals' signs flipped (−1 in the total row, −1 in the total column, so +1 in
    the corner) every line of the grid sums to zero."""
    i, j = entry
    return (-1 if i == table.rows else 1) * (-1 if j == table.columns else 1)


def _movable(
    table: SuppressedTable,
    entry: Entry,
    by_row: dict[int, list[Entry]],
    by_column: dict[int, list[Entry]],
) -> bool:
    """True when the entry can visibly take another value.

    The true table agrees with everything published. In the signed grid every line sums to
    zero, so adding +1 and −1 alternately around a cycle of suppressed entries (a row, a
    column, a row, … back to the start) keeps every sum; if each entry of the cycle stays
    within what a reader knows of it, a second whole-number table agrees with everything
    published and the entry's range is not a single value. The search is a breadth-first
    walk from the entry's column back to its row, over entries that may move the way the
    cycle needs (down leaving a column, up leaving a row, or the reverse). A fast,
    sufficient test; the linear programme decides whatever it does not free."""
    i, j = entry
    for step in (1, -1):
        if not _within(table, entry, step * _sign(table, entry)):
            continue
        seen_rows: set[int] = set()
        seen_columns = {j}
        frontier = [j]
        while frontier:
            reached: list[int] = []
            for column in frontier:
                for r, _ in by_column.get(column, ()):
                    if (
                        (r, column) == entry
                        or r in seen_rows
                        or not _within(table, (r, column), -step * _sign(table, (r, column)))
                    ):
                        continue
                    if r == i:
                        return True
                    seen_rows.add(r)
                    for _, c in by_row.get(r, ()):
                        if c not in seen_columns and _within(
                            table, (r, c), step * _sign(table, (r, c))
                        ):
                            seen_columns.add(c)
                            reached.append(c)
            frontier = reached
    return False


def _within(table: SuppressedTable, entry: Entry, change: int) -> bool:
    low, high = reader_bounds(table, entry)
    value = table.entries[entry[0]][entry[1]] + change
    return value >= low and (high is None or value <= high)


def value_ranges(
    table: SuppressedTable, only: Entry | None = None
) -> dict[Entry, tuple[float, float]]:
    """The smallest and largest value of each suppressed entry (or ``only`` that one)
    consistent with everything published: the lines' sums and the reader's bounds."""
    unknowns = sorted(table.suppressed)
    if not unknowns:
        return {}
    index = {entry: k for k, entry in enumerate(unknowns)}
    equations, constants = [], []
    for line in lines(table.rows, table.columns):
        coefficients = np.zeros(len(unknowns))
        constant = 0.0
        for position, entry in enumerate(line):
            sign = -1.0 if position == len(line) - 1 else 1.0
            if entry in index:
                coefficients[index[entry]] += sign
            else:
                constant -= sign * table.entries[entry[0]][entry[1]]
        if coefficients.any():
            equations.append(coefficients)
            constants.append(constant)
    bounds = [reader_bounds(table, entry) for entry in unknowns]
    ranges: dict[Entry, tuple[float, float]] = {}
    for entry, k in index.items():
        if only is not None and entry != only:
            continue
        objective = np.zeros(len(unknowns))
        objective[k] = 1.0
        extremes = []
        for sense in (1.0, -1.0):
            result = linprog(
                sense * objective,
                A_eq=np.array(equations) if equations else None,
                b_eq=np.array(constants) if equations else None,
                bounds=bounds,
                method="highs",
            )
            # Unbounded above means "could be anything larger": not pinned down.
            extremes.append(sense * result.fun if result.status == 0 else float("inf"))
        ranges[entry] = (extremes[0], extremes[1])
    return ranges

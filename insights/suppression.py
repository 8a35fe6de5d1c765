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
   whose other cells are published and whose total is 8 are both 4. So each suppressed entry
   whose value is pinned down by everything published (its smallest and largest consistent
   value are the same) gets the smallest published entry of its row or column suppressed as
   well.

Steps 2 and 3 repeat until nothing changes. Each pass suppresses at least one more entry, so
it ends; with everything suppressed nothing can be derived.

How the audit decides "pinned" without solving anything. With the totals' signs flipped,
every line of the grid sums to zero, so the grid is a circulation on the bipartite graph of
its rows and columns (an entry is an edge), published entries fixed and suppressed ones
within the reader's bounds. Two whole-number tables that agree with everything published
differ by a circulation, which splits into cycles that each move their entries the way the
difference does (a conformal decomposition); adding one unit around one of them stays within
the bounds. So an entry can take another whole-number value exactly when a unit shift
around a cycle of suppressed entries through it keeps every entry within what a reader knows
(``_Residual.frees``: a search over the graph's residual arcs), and otherwise its range is a
single value. That is what linear programming over the same constraints finds (the lines of
a two-way table form a network matrix, so whole-number bounds give whole-number extremes):
the tests compare the two on random tables, and ``tests/insights/test_suppression.py``
keeps the earlier LP-driven audit as a reference the results must equal.

Once an entry is free it stays free: suppressing another entry only adds an unknown whose
true value is within its bounds, so every table consistent before still is. So each entry is
proven free once, not again on every pass.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

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
    graph = _Residual(table)
    settled: set[Entry] = set()  # proven free, or nothing left to hide beside them
    while _complete_lines(table, graph) or _protect_exposed(table, graph, settled):
        pass
    return table


def lines(rows: int, columns: int) -> Iterator[list[Entry]]:
    """Every line of the grid; the last entry of each is the total of the others."""
    for i in range(rows + 1):
        yield [(i, j) for j in range(columns + 1)]
    for j in range(columns + 1):
        yield [(i, j) for i in range(rows + 1)]


def _complete_lines(table: SuppressedTable, graph: "_Residual | None" = None) -> bool:
    """Step 2: no line with a single suppressed entry (the rows in order, then the
    columns). True if anything was added."""
    graph = graph or _Residual(table)
    changed = False
    for i in range(table.rows + 1):
        graph.update()
        if graph.hidden_in_row[i] == 1:
            changed |= _suppress_smallest(table, [(i, j) for j in range(table.columns + 1)])
    for j in range(table.columns + 1):
        graph.update()
        if graph.hidden_in_column[j] == 1:
            changed |= _suppress_smallest(table, [(i, j) for i in range(table.rows + 1)])
    graph.update()
    return changed


def _protect_exposed(table: SuppressedTable, graph: "_Residual", settled: set[Entry]) -> bool:
    """Step 3: one more complement beside the first entry (in order) whose value is pinned
    down. ``settled`` holds the entries already proven free, which stay so as more entries
    are suppressed, so they are not looked at again, and the first pinned entry found is the
    one a full pass would find.

    A pinned entry whose row and column are already all hidden is pinned by published
    entries further away (``[[0, 0, 0], [0, 1, 0], [0, 5, 1]]``: the published 5 and the
    totals 6, 6 and 7 leave 1 for the rest, all of it in the middle row and column, so the
    four corner zeros are known): the smallest published entry of the table goes then."""
    graph.update()
    for entry in sorted(table.suppressed.keys() - settled):
        i, j = entry
        if graph.frees(entry):
            settled.add(entry)
            continue
        row = [(i, column) for column in range(table.columns + 1)]
        column = [(r, j) for r in range(table.rows + 1)]
        if _suppress_smallest(table, row + column) or _suppress_smallest(table, _every(table)):
            return True
    return False


def _every(table: SuppressedTable) -> list[Entry]:
    return [(i, j) for i in range(table.rows + 1) for j in range(table.columns + 1)]


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


class _Residual:
    """The suppressed entries as a graph, kept up to date as entries are suppressed (they
    only ever are added, and an entry's bounds never change): rows and columns are
    its nodes, and a suppressed entry ``(r, c)`` is an arc ``r → c`` when its signed value can
    go up by one within what a reader knows of it, an arc ``c → r`` when it can go down.

    A unit shift around a cycle of suppressed entries (a row, a column, a row, … back to the
    start) keeps every line's sum; an entry can move up exactly when such a cycle runs
    through it: its arc ``i → j`` and a path ``j → … → i`` over the other entries' arcs
    (down: ``j → i`` and a path ``i → … → j``). The search is breadth-first from column
    ``j`` to row ``i``, following arcs forward for up and backward for down."""

    def __init__(self, table: SuppressedTable) -> None:
        self.table = table
        rows, columns = table.rows + 1, table.columns + 1
        self.up: set[Entry] = set()
        self.down: set[Entry] = set()
        # For a move up: from a column over entries going down, from a row over entries
        # going up; for a move down, the reverse.
        self.falls_in_column: list[list[int]] = [[] for _ in range(columns)]
        self.rises_in_row: list[list[int]] = [[] for _ in range(rows)]
        self.rises_in_column: list[list[int]] = [[] for _ in range(columns)]
        self.falls_in_row: list[list[int]] = [[] for _ in range(rows)]
        self.hidden_in_row = [0] * rows
        self.hidden_in_column = [0] * columns
        self.known = 0
        self.update()

    def update(self) -> None:
        """Adds the entries suppressed since the last call (a dict keeps their order)."""
        table = self.table
        if len(table.suppressed) == self.known:
            return
        for entry in list(table.suppressed)[self.known :]:
            r, c = entry
            self.hidden_in_row[r] += 1
            self.hidden_in_column[c] += 1
            sign = _sign(table, entry)
            if _within(table, entry, sign):
                self.up.add(entry)
                self.rises_in_row[r].append(c)
                self.rises_in_column[c].append(r)
            if _within(table, entry, -sign):
                self.down.add(entry)
                self.falls_in_column[c].append(r)
                self.falls_in_row[r].append(c)
        self.known = len(table.suppressed)

    def frees(self, entry: Entry) -> bool:
        """True when the entry can take another whole-number value (it is not pinned)."""
        if entry in self.up and self._cycle(
            entry, self.falls_in_column, self.rises_in_row, self.down
        ):
            return True
        return entry in self.down and self._cycle(
            entry, self.rises_in_column, self.falls_in_row, self.up
        )

    @staticmethod
    def _cycle(
        entry: Entry,
        to_rows: list[list[int]],
        to_columns: list[list[int]],
        closing: set[Entry],
    ) -> bool:
        """A path from the entry's column to its row over the other entries' arcs
        (``closing``: the entries whose arc leads from a column to a row). A column is
        checked for an arc to the entry's row as soon as it is reached."""
        i, j = entry
        seen_rows: set[int] = set()
        seen_columns = {j}
        frontier = [j]
        while frontier:
            reached: list[int] = []
            for column in frontier:
                for r in to_rows[column]:
                    if r in seen_rows or (r == i and column == j):
                        continue
                    if r == i:
                        return True
                    seen_rows.add(r)
                    for c in to_columns[r]:
                        if c not in seen_columns:
                            if (i, c) in closing:
                                return True  # c ≠ j, so (i, c) is another entry
                            seen_columns.add(c)
                            reached.append(c)
            frontier = reached
        return False


def _within(table: SuppressedTable, entry: Entry, change: int) -> bool:
    low, high = reader_bounds(table, entry)
    value = table.entries[entry[0]][entry[1]] + change
    return value >= low and (high is None or value <= high)

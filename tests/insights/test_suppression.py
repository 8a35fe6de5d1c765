"""Small-count suppression: primary cells, secondary cells, and that nothing can be recovered."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from insights.suppression import (
    CSV_SUPPRESSED,
    SuppressedTable,
    Suppression,
    _complete_lines,
    _movable,
    suppress,
    value_ranges,
    with_totals,
)


def recoverable_entries(table) -> list[tuple[int, int]]:
    """An independent attacker: every suppressed entry whose smallest and largest value, given
    all published entries, every row and column sum and what the markers say ("<5" is 0–4,
    "c" is at least 5), are the same. Written here, not taken from the module."""
    grid = table.json_grid()
    rows, columns = len(grid) - 1, len(grid[0]) - 1
    unknowns = [
        (i, j) for i in range(rows + 1) for j in range(columns + 1) if isinstance(grid[i][j], str)
    ]
    position = {entry: k for k, entry in enumerate(unknowns)}
    a_eq, b_eq = [], []
    line_sets = [[(i, j) for j in range(columns + 1)] for i in range(rows + 1)]
    line_sets += [[(i, j) for i in range(rows + 1)] for j in range(columns + 1)]
    for line in line_sets:
        *parts, total = line
        coefficients, constant = np.zeros(len(unknowns)), 0.0
        for entry, sign in [*((part, 1.0) for part in parts), (total, -1.0)]:
            value = grid[entry[0]][entry[1]]
            if entry in position:
                coefficients[position[entry]] += sign
            else:
                constant -= sign * value
        a_eq.append(coefficients)
        b_eq.append(constant)
    bounds = []
    for i, j in unknowns:
        bounds.append((0, 4) if grid[i][j] == "<5" else (5, None))
    pinned = []
    for entry, k in position.items():
        objective = np.zeros(len(unknowns))
        objective[k] = 1
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
        assert low.status == 0, "the true table must be feasible"
        if high.status == 0 and -high.fun - low.fun < 0.5:
            pinned.append(entry)
    return pinned


def test_table_without_small_counts_is_published_whole():
    table = suppress([[10, 20], [30, 40]])

    assert table.suppressed == {}
    assert table.json_grid() == [[10, 20, 30], [30, 40, 70], [40, 60, 100]]


def test_single_small_cell_gets_a_complement_in_its_row_and_its_column():
    table = suppress([[3, 20, 50], [30, 40, 60], [35, 45, 70]])

    assert table.suppressed[(0, 0)] is Suppression.PRIMARY
    # The smallest others in row 0 (20) and column 0 (30), then (1, 1) to close the rectangle.
    assert {(0, 1), (1, 0), (1, 1)} <= set(table.suppressed)
    assert recoverable_entries(table) == []


def test_two_small_cells_at_the_top_of_their_range_in_one_row_are_not_given_away():
    # 4 + 4 = 8 with both "<5" would pin both at 4: the audit must add a complement.
    table = suppress([[4, 4, 50], [20, 30, 40]])

    assert table.suppressed[(0, 0)] is table.suppressed[(0, 1)] is Suppression.PRIMARY
    assert len(table.suppressed) > 2
    assert recoverable_entries(table) == []


def test_zeros_are_suppressed_like_any_count_under_the_threshold():
    table = suppress([[3, 0, 0], [10, 20, 30], [12, 25, 40]])

    assert table.suppressed[(0, 1)] is table.suppressed[(0, 2)] is Suppression.PRIMARY
    assert recoverable_entries(table) == []


def test_row_whose_cells_are_all_small_loses_more_than_its_cells():
    # Row 0's three cells are all "<5" and its total is 12: only 4 + 4 + 4 fits, so the
    # total (or a complement in the columns) must go too.
    table = suppress([[4, 4, 4], [10, 20, 30], [12, 25, 40]])

    assert len(table.suppressed) > 3
    assert recoverable_entries(table) == []


def test_every_cell_small_suppresses_the_grand_total_if_needed():
    table = suppress([[1, 1], [1, 1]])

    assert recoverable_entries(table) == []
    assert all(isinstance(value, str) for row in table.json_grid() for value in row)


def test_markers_in_json_and_csv():
    table = suppress([[3, 20, 50], [30, 40, 60]])

    grid, csv_grid = table.json_grid(), table.csv_grid()
    assert grid[0][0] == "<5"
    assert {
        grid[i][j] for (i, j), kind in table.suppressed.items() if kind is Suppression.SECONDARY
    } == {"c"}
    assert all(csv_grid[i][j] == CSV_SUPPRESSED for i, j in table.suppressed)
    assert csv_grid[1][2] == "60" if (1, 2) not in table.suppressed else True


def test_threshold_is_a_parameter():
    assert suppress([[7, 20], [30, 40]], threshold=10).suppressed[(0, 0)] is Suppression.PRIMARY
    assert suppress([[7, 20], [30, 40]], threshold=5).suppressed == {}


@pytest.mark.parametrize("counts", [[], [[]], [[1, 2], [3]], [[-1, 5]]])
def test_malformed_tables_are_refused(counts):
    with pytest.raises(ValueError, match=r"table|negative"):
        suppress(counts)


small_or_large = st.one_of(st.integers(0, 6), st.integers(0, 60))
tables = st.integers(1, 4).flatmap(
    lambda rows: st.integers(1, 4).flatmap(
        lambda columns: st.lists(
            st.lists(small_or_large, min_size=columns, max_size=columns),
            min_size=rows,
            max_size=rows,
        )
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_no_suppressed_entry_can_be_recovered_from_what_is_published(counts):
    table = suppress(counts)

    published = [
        table.entries[i][j]
        for i in range(table.rows)
        for j in range(table.columns)
        if (i, j) not in table.suppressed
    ]
    assert all(value >= 5 for value in published)
    assert recoverable_entries(table) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_an_entry_a_unit_cycle_frees_is_never_pinned(counts):
    """The audit's shortcut (``_movable``) may only skip entries whose range is not a single
    value: for every entry it frees, the linear programme agrees."""
    entries = with_totals(counts)
    hidden = {
        (i, j): Suppression.PRIMARY
        for i, row in enumerate(entries)
        for j, value in enumerate(row)
        if value < 5
    }
    table = SuppressedTable(entries, hidden, 5)
    _complete_lines(table)
    by_row, by_column = {}, {}
    for entry in table.suppressed:
        by_row.setdefault(entry[0], []).append(entry)
        by_column.setdefault(entry[1], []).append(entry)
    ranges = value_ranges(table)
    for entry in table.suppressed:
        if _movable(table, entry, by_row, by_column):
            low, high = ranges[entry]
            assert high - low >= 1 - 1e-9, entry

"""What every analytics selector shares: the caller's scope as a ``Q``, and the result."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from accounts.access import CallerScope
from insights.access import analytics_schools
from insights.filters import AnalyticsFilters
from insights.tables import FigureGrid, PublishedTable


def scoped_requests(scope: CallerScope, filters: AnalyticsFilters, prefix: str = "") -> Q:
    """The submitted requests the caller reads figures for, narrowed by ``filters``, across
    ``prefix`` (``"request__"`` from a proposal or a session)."""
    return analytics_schools(scope, f"{prefix}school__") & filters.requests(prefix)


@dataclass(frozen=True)
class Figures:
    """An endpoint's published tables (suppressed) and the figures computed from them
    (withheld where their counts are hidden); ``rows`` for long-form extras."""

    tables: list[PublishedTable]
    grids: list[FigureGrid] = field(default_factory=list)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def table(self, name: str) -> PublishedTable:
        return next(t for t in self.tables if t.table.name == name)

    def grid(self, name: str) -> FigureGrid:
        return next(g for g in self.grids if g.name == name)

    def as_json(self) -> dict[str, Any]:
        return {
            "tables": [t.as_json() for t in self.tables],
            "figures": [g.as_json() for g in self.grids],
            **self.rows,
        }

    def names(self) -> list[str]:
        return [t.table.name for t in self.tables] + [g.name for g in self.grids] + list(self.rows)

    def csv_rows(self, name: str | None = None) -> list[list[str]]:
        """One table (the first by default), figure grid or long-form list as CSV lines."""
        name = name or self.tables[0].table.name
        if name in self.rows:
            lines = self.rows[name]
            header = list(lines[0]) if lines else []
            return [header, *([_csv(line[h]) for h in header] for line in lines)]
        for grid in self.grids:
            if grid.name == name:
                return grid.csv_rows(self.table(grid.of))
        return self.table(name).csv_rows()


def _csv(value: Any) -> str:
    return "" if value is None else str(value)

"""Analytics reads: every figure computed in the database over the caller's schools
(``insights.access``), narrowed by ``insights.filters.AnalyticsFilters``, in a fixed number
of queries, and published with small counts suppressed (``insights.tables``).

Each function takes ``(scope, filters, *, rows=…, columns=…)`` and returns ``Figures``:
``tables`` (``PublishedTable``: keys, and ``value(i, j)``, None when hidden) and ``grids``
(rates and means, None where withheld). ``demand_table`` returns the table unsuppressed,
for callers that suppress after combining (the dashboard's charts).
"""

from insights.selectors.common import Figures, scoped_requests
from insights.selectors.demand import demand, demand_per_pupils, demand_table
from insights.selectors.flow import flow
from insights.selectors.outcomes import outcomes
from insights.selectors.supply import supply
from insights.selectors.unmet import unmet_demand

__all__ = [
    "Figures",
    "demand",
    "demand_per_pupils",
    "demand_table",
    "flow",
    "outcomes",
    "scoped_requests",
    "supply",
    "unmet_demand",
]

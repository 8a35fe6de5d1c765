"""Demand: requests submitted, by any two dimensions; and relative to prevalence."""

from django.db.models import OuterRef, Subquery

from accounts.access import CallerScope
from exchange.models import SupportRequest
from insights.filters import AnalyticsFilters
from insights.models import SenStatistic
from insights.selectors.common import Figures, scoped_requests
from insights.selectors.dimensions import counts, each_row, grouped, keys, request_dimension
from insights.suppression import DEFAULT_THRESHOLD
from insights.tables import CountTable

# DfE's cell for "every pupil with this primary need in the LA".
LA_LEVEL, ALL_PHASES, ALL_PROVISION = "Local authority", "Total", "Total"


def demand_table(
    scope: CallerScope, filters: AnalyticsFilters, *, rows: str = "need", columns: str = "month"
) -> CountTable:
    """Requests submitted (``submitted_at`` in the period) by ``rows`` × ``columns``, before
    suppression. A request counts once per cell; by topic, once under each topic it names."""
    requests = SupportRequest.objects.filter(scoped_requests(scope, filters))
    groups = counts(
        grouped(
            requests,
            request_dimension(rows),
            request_dimension(columns),
            each_row(),
        )
    )
    return CountTable.from_groups(
        "requests",
        rows,
        columns,
        keys(rows, (g[0] for g in groups), filters),
        keys(columns, (g[1] for g in groups), filters),
        groups,
    )


def demand(
    scope: CallerScope,
    filters: AnalyticsFilters,
    *,
    threshold: int | None = DEFAULT_THRESHOLD,
    rows: str = "need",
    columns: str = "month",
) -> Figures:
    return Figures([demand_table(scope, filters, rows=rows, columns=columns).published(threshold)])


def demand_per_pupils(
    scope: CallerScope, filters: AnalyticsFilters, *, threshold: int | None = DEFAULT_THRESHOLD
) -> Figures:
    """Requests per 1,000 pupils with that primary need in the LA: the need × LA table of
    requests, and per cell the pupils from DfE's latest period for that LA (all phases, all
    provision), the rate, or ``None`` with the reason."""
    published = demand_table(scope, filters, rows="la", columns="need").published(threshold)
    table = published.table
    latest = (
        SenStatistic.objects.filter(
            old_la_code=OuterRef("old_la_code"),
            geographic_level=LA_LEVEL,
            phase=ALL_PHASES,
            provision=ALL_PROVISION,
        )
        .order_by("-time_period")
        .values("time_period")[:1]
    )
    statistics: dict[tuple[str, str], tuple[str | None, int | None, str]] = {
        (la, str(need)): (period, pupils, symbol)
        for la, need, period, pupils, symbol in SenStatistic.objects.filter(
            geographic_level=LA_LEVEL,
            phase=ALL_PHASES,
            provision=ALL_PROVISION,
            need__isnull=False,
            old_la_code__in=[k.key for k in table.row_keys],
            time_period=Subquery(latest),
        ).values_list("old_la_code", "need_id", "time_period", "pupil_count", "symbol")
    }
    grid = published.suppressed.json_grid() if published.suppressed else []
    rates = []
    for i, la in enumerate(table.row_keys):
        for j, need in enumerate(table.column_keys):
            period, pupils, symbol = statistics.get((la.key, need.key), (None, None, ""))
            requests = published.value(i, j)
            rates.append(
                {
                    "la": la.key,
                    "need": need.key,
                    "requests": grid[i][j],
                    "pupils": pupils,
                    "time_period": period,
                    "symbol": symbol or None,
                    **_rate(requests, period, pupils),
                }
            )
    return Figures([published], rows={"per_1000_pupils": rates})


def _rate(requests: int | None, period: str | None, pupils: int | None) -> dict[str, object]:
    """The rate, or None and why: the request count is suppressed, DfE has no row for the
    LA and need, DfE did not publish a number (its symbol is given), or no pupils."""
    if requests is None:
        return {"per_1000_pupils": None, "reason": "requests_suppressed"}
    if period is None:
        return {"per_1000_pupils": None, "reason": "no_statistic"}
    if pupils is None:
        return {"per_1000_pupils": None, "reason": "statistic_not_published"}
    if pupils == 0:
        return {"per_1000_pupils": None, "reason": "no_pupils"}
    return {"per_1000_pupils": round(1000 * requests / pupils, 3), "reason": None}

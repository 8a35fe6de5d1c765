"""Supply: the capacity of the experts accepting work, and its use.

Supply is broken down by the **expert**: the needs and topics they specialise in (an expert
counts under each), the phases they serve, their home school's LA and region. Capacity is
what experts accepting work today offer (``sessions_per_month``), counted from the month
they were verified (their profile's creation when no date was kept): there is no history of
capacity, so a past month shows today's experts who had started by then. Its use is their
sessions in each month: *booked* (confirmed, held or a no-show) and *held* (completed).
"""

from django.db.models import Count, DateTimeField, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from accounts.access import CallerScope
from exchange.constants import LONDON
from exchange.models import ACCEPTING_WORK, ExpertProfile
from insights.access import analytics_schools
from insights.filters import AnalyticsFilters
from insights.selectors.common import Figures
from insights.selectors.dimensions import Path, counts, expert_dimension, grouped, keys, month
from insights.suppression import DEFAULT_THRESHOLD
from insights.tables import CountTable, figure_grid, ratio
from scheduling.enums import SessionStatus
from scheduling.models import Session

BOOKED = (SessionStatus.CONFIRMED, SessionStatus.COMPLETED, SessionStatus.NO_SHOW)


def supply(
    scope: CallerScope,
    filters: AnalyticsFilters,
    *,
    threshold: int | None = DEFAULT_THRESHOLD,
    rows: str = "need",
) -> Figures:
    """``capacity`` (sessions a month), ``booked`` and ``held`` sessions by ``rows`` ×
    month, and ``utilisation`` (booked ÷ capacity) per cell."""
    experts = ExpertProfile.objects.filter(
        ACCEPTING_WORK, analytics_schools(scope, "school__"), filters.experts()
    )
    started = Path(
        TruncMonth(
            Coalesce("verified_at", "created_at"), tzinfo=LONDON, output_field=DateTimeField()
        ),
        is_month=True,
    )
    capacity_groups = grouped(experts, expert_dimension(rows), started, Sum("sessions_per_month"))
    sessions = Session.objects.filter(
        analytics_schools(scope, "expert__school__"),
        filters.experts("expert__"),
        filters.period.q("starts_at"),
        status__in=BOOKED,
    )
    session_groups = grouped(
        sessions,
        expert_dimension(rows, "expert__"),
        month("starts_at"),
        Count("pk", distinct=True),
        Count("pk", distinct=True, filter=Q(status=SessionStatus.COMPLETED)),
    )
    this_month = f"{timezone.now().astimezone(LONDON):%Y-%m}"
    found_months = {g[1] for g in session_groups} | {this_month}
    months = keys("month", found_months, filters)
    row_keys = keys(rows, {g[0] for g in capacity_groups} | {g[0] for g in session_groups}, filters)

    # Capacity in a month: every expert who had started by then (a running sum of the
    # grouped starts, over a handful of rows).
    capacity = []
    for key in row_keys:
        starts = sorted((m, n) for r, m, n in capacity_groups if r == key.key)
        for m in months:
            capacity.append((key.key, m.key, sum(n or 0 for s, n in starts if s <= m.key)))
    capacity_table = CountTable.from_groups(
        "capacity", rows, "month", row_keys, months, capacity
    ).published(threshold)
    booked = CountTable.from_groups(
        "booked", rows, "month", row_keys, months, counts(session_groups)
    ).published(threshold)
    held_groups = [(r, m, h) for r, m, _, h in session_groups]
    held = CountTable.from_groups("held", rows, "month", row_keys, months, held_groups).published(
        threshold
    )
    utilisation = figure_grid(
        "utilisation",
        [booked, capacity_table],
        lambda i, j: ratio(booked.value(i, j), capacity_table.value(i, j)),
    )
    return Figures([capacity_table, booked, held], [utilisation])

"""Flow: how requests move, from submission to a proposal, an acceptance and a session.

Every figure is about the requests submitted in the period (a cohort), broken down by one
request dimension (``rows``). Each count table's columns partition its total, so the
totals are true and suppression protects every cell; rates are computed from published
cells only.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import Case, F, Min, QuerySet, Value, When

from accounts.access import CallerScope
from exchange.enums import RequestStatus
from exchange.models import StatusChange, SupportRequest
from insights.filters import AnalyticsFilters
from insights.selectors.common import Figures, scoped_requests
from insights.selectors.dimensions import (
    ALL,
    Path,
    choice_keys,
    counts,
    each_row,
    formatter,
    grouped,
    keys,
    request_dimension,
)
from insights.selectors.percentiles import TOTAL_KEY, Seconds, Spread, percentiles
from insights.suppression import DEFAULT_THRESHOLD
from insights.tables import CountTable, FigureGrid, Key, PublishedTable, ratio
from matching.enums import DeclineReason, ProposalStatus
from matching.models import Proposal
from scheduling.enums import SessionStatus
from scheduling.models import Session

# What became of each request of the cohort (one outcome each, in this order of precedence).
OUTCOMES = [
    Key("matched", "An expert accepted"),
    Key("unmatched", "No expert available"),
    Key("cancelled", "Cancelled before an expert accepted"),
    Key("closed", "Closed before an expert accepted"),
    Key("waiting", "Still being matched"),
]
LAPSED = ("lapsed", "Offered, lapsed unconfirmed")
BOOKED = (SessionStatus.CONFIRMED, SessionStatus.COMPLETED, SessionStatus.NO_SHOW)
SECONDS_PER_DAY = 86400.0


def _outcome() -> Case:
    # ``IN`` a set, not a correlated ``EXISTS``: the same requests, but PostgreSQL costs an
    # ``EXISTS`` inside a ``CASE`` as a subquery per row, which put the query over
    # ``jit_above_cost`` (JIT compiling took longer than the query).
    accepted = StatusChange.objects.filter(to_status=RequestStatus.ACCEPTED).values("request_id")
    return Case(
        When(pk__in=accepted, then=Value("matched")),
        When(status=RequestStatus.UNMATCHED, then=Value("unmatched")),
        When(status=RequestStatus.CANCELLED, then=Value("cancelled")),
        When(status=RequestStatus.CLOSED, then=Value("closed")),
        default=Value("waiting"),
    )


def _session_outcome() -> Case:
    return Case(
        When(
            status=SessionStatus.CANCELLED,
            confirmed_at__isnull=True,
            offered_until__isnull=False,
            cancelled_at__gte=F("offered_until"),
            then=Value(LAPSED[0]),
        ),
        default=F("status"),
    )


def flow(
    scope: CallerScope,
    filters: AnalyticsFilters,
    *,
    threshold: int | None = DEFAULT_THRESHOLD,
    rows: str = "need",
) -> Figures:
    """``requests`` by outcome, ``proposals`` by status, ``sessions`` by outcome; rates
    (match, acceptance, decline, no-show); the days to the first proposal and to the first
    booked session (median, 90th percentile), each beside the count it is taken over;
    ``declines`` by their coded reason (``_declines``)."""
    row = request_dimension(rows)
    cohort = SupportRequest.objects.filter(scoped_requests(scope, filters))
    measure = each_row()

    by_outcome = counts(grouped(cohort.annotate(_o=_outcome()), row, Path(F("_o")), measure))
    proposals = Proposal.objects.filter(scoped_requests(scope, filters, "request__"))
    by_status = counts(
        grouped(proposals, request_dimension(rows, "request__"), Path(F("status")), measure)
    )
    sessions = Session.objects.filter(scoped_requests(scope, filters, "request__"))
    by_session = counts(
        grouped(
            sessions.annotate(_s=_session_outcome()),
            request_dimension(rows, "request__"),
            Path(F("_s")),
            measure,
        )
    )
    # Each request's first proposal and first booked session: one grouped pass over the
    # proposals (sessions) of the cohort, not a subquery per request.
    row_path = request_dimension(rows, "request__")
    submitted = F("request__submitted_at")
    to_proposal = percentiles(
        proposals.values("request_id"), row_path.expression, Seconds(Min("created_at"), submitted)
    )
    to_session = percentiles(
        sessions.filter(status__in=BOOKED).values("request_id"),
        row_path.expression,
        Seconds(Min("starts_at"), submitted),
    )

    found = {g[0] for g in by_outcome}
    row_keys = keys(rows, found, filters)
    requests = CountTable.from_groups(
        "requests", rows, "outcome", row_keys, OUTCOMES, by_outcome
    ).published(threshold)
    statuses = CountTable.from_groups(
        "proposals",
        rows,
        "status",
        row_keys,
        choice_keys(ProposalStatus.choices, (g[1] for g in by_status)),
        by_status,
    ).published(threshold)
    session_keys = choice_keys([*SessionStatus.choices, LAPSED], (g[1] for g in by_session))
    session_table = CountTable.from_groups(
        "sessions", rows, "outcome", row_keys, session_keys, by_session
    ).published(threshold)
    timing = [
        _timing("days_to_first_proposal", rows, row_keys, to_proposal, threshold),
        _timing("days_to_first_session", rows, row_keys, to_session, threshold),
    ]
    rates = _rates(requests, statuses, session_table)
    declines = _declines(proposals, statuses, threshold)
    return Figures(
        [requests, statuses, session_table, *(t for t, _ in timing), declines],
        rates + [g for _, g in timing],
    )


def _declines(
    proposals: QuerySet[Proposal], statuses: PublishedTable, threshold: int | None
) -> PublishedTable:
    """The cohort's declined proposals by coded reason (one column, whatever ``rows``): its
    total is the ``proposals`` table's total of declines. So that one cannot be worked out
    from the other, the table is all hidden when that total is (the reasons' own small
    counts are suppressed as in any table)."""
    found = counts(
        grouped(
            proposals.filter(status=ProposalStatus.DECLINED),
            Path(F("decline_reason_code")),
            ALL,
            each_row(),
        )
    )
    table = CountTable.from_groups(
        "declines",
        "reason",
        "proposals",
        choice_keys(DeclineReason.choices, (g[0] for g in found)),
        [Key("all", "Declined proposals")],
        found,
    )
    if threshold is not None:
        total = len(statuses.table.row_keys)
        declined = statuses.value(total, _column(statuses, ProposalStatus.DECLINED))
        if declined is None:
            return table.withheld(threshold)
    return table.published(threshold)


def _column(table: PublishedTable, key: str) -> int:
    return next(j for j, k in enumerate(table.table.column_keys) if k.key == key)


def per_row(
    name: str,
    table: PublishedTable,
    inputs: Callable[[int], list[int | None]],
    formula: Callable[[list[int]], float | None],
) -> FigureGrid:
    """One figure per row of ``table`` (and its total row): ``formula`` of the cells
    ``inputs`` picks, withheld when any of them is hidden."""
    values: list[list[float | None]] = []
    hidden: list[list[bool]] = []
    for i in range(len(table.table.row_keys) + 1):
        cells = inputs(i)
        withheld = table.suppressed is None or None in cells
        hidden.append([withheld])
        values.append([None if withheld else formula(cells)])  # type: ignore[arg-type]
    return FigureGrid(name, table.table.name, values, hidden, columns=[name])


def _rates(
    requests: PublishedTable, proposals: PublishedTable, sessions: PublishedTable
) -> list[FigureGrid]:
    total = len(requests.table.column_keys)
    matched = _column(requests, "matched")
    accepted, declined, expired = (
        _column(proposals, s)
        for s in (ProposalStatus.ACCEPTED, ProposalStatus.DECLINED, ProposalStatus.EXPIRED)
    )
    completed, no_show = (
        _column(sessions, s) for s in (SessionStatus.COMPLETED, SessionStatus.NO_SHOW)
    )

    def decisions(i: int) -> list[int | None]:
        return [proposals.value(i, j) for j in (accepted, declined, expired)]

    return [
        per_row(
            "match_rate",
            requests,
            lambda i: [requests.value(i, matched), requests.value(i, total)],
            lambda v: ratio(v[0], v[1]),
        ),
        per_row("acceptance_rate", proposals, decisions, lambda v: ratio(v[0], sum(v))),
        per_row("decline_rate", proposals, decisions, lambda v: ratio(v[1], sum(v))),
        per_row(
            "no_show_rate",
            sessions,
            lambda i: [sessions.value(i, no_show), sessions.value(i, completed)],
            lambda v: ratio(v[0], v[0] + v[1]),
        ),
    ]


def _timing(
    name: str,
    rows: str,
    row_keys: list[Key],
    spreads: dict[Any, Spread],
    threshold: int | None,
) -> tuple[PublishedTable, FigureGrid]:
    """How many requests have the figure (a count table, suppressed), and its median and
    90th percentile in days, withheld where that count is hidden."""
    text = formatter(request_dimension(rows))
    by_key = {text(k): spread for k, spread in spreads.items() if k is not TOTAL_KEY}
    table = CountTable.from_groups(
        name,
        rows,
        "requests",
        row_keys,
        [Key("n", "Requests")],
        [(k, "n", spread.n) for k, spread in by_key.items()],
    ).published(threshold)
    ordered = [by_key.get(k.key) for k in row_keys] + [spreads.get(TOTAL_KEY)]
    values: list[list[float | None]] = []
    hidden: list[list[bool]] = []
    for i, spread in enumerate(ordered):
        withheld = table.value(i, 0) is None
        hidden.append([withheld, withheld])
        if withheld or spread is None:
            values.append([None, None])
        else:
            values.append([round(spread.values[p] / SECONDS_PER_DAY, 2) for p in (50, 90)])
    return table, FigureGrid(name, name, values, hidden, columns=["median", "p90"])

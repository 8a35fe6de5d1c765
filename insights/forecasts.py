"""Demand projection and capacity over the database: requests counted per school term, DfE
pupils as exposure, expert sessions as capacity, and the gap (docs/analytics.md).

Each read is one grouped query, whatever the data size; the model (``insights.projection``)
runs only on the series of the page asked for, and its results are cached by the series'
content, so a repeat costs no refit.

School terms, and a term in SQL: ``insights.terms``.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.core.cache import cache
from django.db.models import (
    Count,
    OuterRef,
    Q,
    Subquery,
    Sum,
)

from accounts.access import CallerScope
from accounts.models import LocalAuthority, School
from exchange.models import ACCEPTING_WORK, ExpertProfile, Need, Specialism, SupportRequest
from insights.access import analytics_schools
from insights.models import SenStatistic
from insights.projection import MIN_MODEL_TERMS, Term, backtest, project
from insights.suppression import DEFAULT_THRESHOLD
from insights.terms import TEACHING_MONTHS, SchoolTerm, with_term

MAX_HISTORY_TERMS = 15  # five school years: enough for the model and a backtest, bounded
PROJECTED_TERMS = 2  # the two terms after the current one
CACHE_SECONDS = 24 * 3600
CACHE_VERSION = 1


# --- the series -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    need: str | None = None
    la: str | None = None
    region: str | None = None


@dataclass
class Series:
    """One need in one LA (``la_code`` set) or one region (``la_code`` None): requests per
    term from ``first`` to the last complete term, pupils with the need, expert capacity."""

    need_code: str
    need_name: str
    need_position: int
    region: str
    la_code: str | None = None
    la_name: str | None = None
    counts: list[int] = field(default_factory=list)
    # Pupils with the need per history term (one value per term), None without statistics.
    exposure: list[float] | None = None
    sessions_per_month: int = 0
    suppressed: bool = False

    @property
    def start(self) -> int:
        return leading_zeros(self.counts)

    @property
    def history(self) -> list[int]:
        """The counts from the series' first request on: before it, the area's schools were
        most likely not on the Exchange yet, so those terms are no history of demand."""
        return self.counts[self.start :]

    @property
    def history_exposure(self) -> list[float] | None:
        return self.exposure[self.start :] if self.exposure else None

    @property
    def sort_key(self) -> tuple[int, str, str]:
        return (self.need_position, self.region, self.la_name or "")


def history_window(today: date) -> tuple[SchoolTerm, SchoolTerm]:
    """The first and last history term: the ``MAX_HISTORY_TERMS`` complete terms before
    today's. Each series then starts with its first request (``Series.history``)."""
    last = SchoolTerm.of(today) + -1
    return last + (1 - MAX_HISTORY_TERMS), last


def _requests(scope: CallerScope, filters: Filters) -> Any:
    requests = SupportRequest.objects.filter(analytics_schools(scope, "school__"))
    if filters.need:
        requests = requests.filter(primary_need__code=filters.need)
    if filters.la:
        requests = requests.filter(school__local_authority__code=filters.la)
    if filters.region:
        requests = requests.filter(school__region=filters.region)
    return requests


def la_series(scope: CallerScope, filters: Filters, *, today: date) -> list[Series]:
    """Every need × LA with a submitted request in the history window, counts filled in
    (zeros included), exposure and capacity. Five queries."""
    first, last = history_window(today)
    length = last.index - first.index + 1
    submitted = _requests(scope, filters).filter(
        submitted_at__gte=first.start_datetime(), submitted_at__lt=(last + 1).start_datetime()
    )
    # Grouped by ids (narrow keys: the aggregate hashes instead of sorting wide text), the
    # needs' and LAs' names read after, for the few ids the counts name.
    rows = list(
        with_term(submitted, "submitted_at", first, last)
        .values("primary_need_id", "school__local_authority_id", "term")
        .annotate(requests=Count("id"))
        .order_by()
    )
    if not rows:
        return []
    needs = Need.objects.in_bulk({row["primary_need_id"] for row in rows})
    las = {
        la["pk"]: la
        for la in LocalAuthority.objects.filter(
            pk__in={row["school__local_authority_id"] for row in rows}
        )
        .annotate(
            region=Subquery(
                School.objects.filter(local_authority=OuterRef("pk"))
                .exclude(region="")
                .order_by("urn")
                .values("region")[:1]
            )
        )
        .values("pk", "code", "name", "region")
    }
    series: dict[tuple[str, str], Series] = {}
    for row in rows:
        need, la = needs[row["primary_need_id"]], las[row["school__local_authority_id"]]
        key = (need.code, la["code"])
        if key not in series:
            series[key] = Series(
                need_code=need.code,
                need_name=need.name,
                need_position=need.position,
                region=la["region"] or "",
                la_code=la["code"],
                la_name=la["name"],
                counts=[0] * length,
            )
        series[key].counts[row["term"] - first.index] += row["requests"]
    pupils = exposure(series.keys())
    terms = [first + step for step in range(length)]
    capacity = capacity_by_la(scope, filters)
    for key, one in series.items():
        by_year = pupils.get(key)
        one.exposure = _per_term(by_year, terms) if by_year else None
        one.sessions_per_month = capacity.get(key, 0)
        one.suppressed = not publishable(one.history)
    return sorted(series.values(), key=lambda one: one.sort_key)


def region_series(las: Iterable[Series]) -> list[Series]:
    """The LA series added up by region: counts, exposure (when every LA has it) and
    capacity. A region is suppressed when its own history has a term under the threshold,
    or when its suppressed LAs' history together does: published LAs subtracted from the
    region would give that remainder away."""
    regions: dict[tuple[str, str], Series] = {}
    remainders: dict[tuple[str, str], list[int]] = {}
    for one in las:
        key = (one.need_code, one.region)
        total = regions.get(key)
        if total is None:
            total = regions[key] = replace(
                one, la_code=None, la_name=None, counts=[0] * len(one.counts), sessions_per_month=0
            )
            total.exposure = [0.0] * len(one.counts)
            remainders[key] = [0] * len(one.counts)
        total.counts = [a + b for a, b in zip(total.counts, one.counts, strict=True)]
        total.exposure = (
            [a + b for a, b in zip(total.exposure, one.exposure, strict=True)]
            if total.exposure is not None and one.exposure is not None
            else None
        )
        total.sessions_per_month += one.sessions_per_month
        if one.suppressed:
            remainders[key] = [a + b for a, b in zip(remainders[key], one.counts, strict=True)]
    for key, total in regions.items():
        remainder = remainders[key]
        total.suppressed = not publishable(total.history) or (
            any(remainder) and not publishable(remainder[leading_zeros(remainder) :])
        )
    return sorted(regions.values(), key=lambda one: one.sort_key)


def leading_zeros(counts: Sequence[int]) -> int:
    return next((index for index, count in enumerate(counts) if count), len(counts))


def publishable(counts: Sequence[int]) -> bool:
    """A history every term of which could be published: none under the suppression
    threshold (zeros included, as ``insights.suppression`` hides them)."""
    return all(count >= DEFAULT_THRESHOLD for count in counts)


def exposure(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[int, float]]:
    """Pupils with each need in each LA by school year (DfE's ``time_period`` 202526 is
    2025): LA-level cells added over phases and provisions, their "Total" rows left out so
    nothing counts twice, cells DfE withheld (symbols) counting as none. One query."""
    keys = list(keys)
    rows = (
        SenStatistic.objects.filter(
            geographic_level="Local authority",
            pupil_count__isnull=False,
            need_id__in={need for need, _ in keys},
            old_la_code__in={la for _, la in keys},
        )
        .exclude(phase="Total")
        .exclude(provision="Total")
        .values("need_id", "old_la_code", "time_period")
        .annotate(pupils=Sum("pupil_count"))
        .order_by()
    )
    pupils: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for row in rows:
        year = int(row["time_period"][:4])
        pupils[(str(row["need_id"]), row["old_la_code"])][year] = float(row["pupils"])
    return pupils


def _per_term(by_year: dict[int, float], terms: Sequence[SchoolTerm]) -> list[float] | None:
    """One exposure per term: its school year's figure, else the nearest year's."""
    years = sorted(by_year)
    values = [by_year[min(years, key=lambda y: (abs(y - t.school_year), -y))] for t in terms]
    return values if all(value > 0 for value in values) else None


def capacity_by_la(scope: CallerScope, filters: Filters) -> dict[tuple[str, str], int]:
    """Sessions per month of the experts accepting work whose specialisms include the need,
    by the LA of their home school, in the caller's scope. One query."""
    specialisms = Specialism.objects.filter(
        _across(ACCEPTING_WORK, "expert__"),
        analytics_schools(scope, "expert__school__"),
        need__isnull=False,
    )
    if filters.need:
        specialisms = specialisms.filter(need__code=filters.need)
    if filters.la:
        specialisms = specialisms.filter(expert__school__local_authority__code=filters.la)
    if filters.region:
        specialisms = specialisms.filter(expert__school__region=filters.region)
    rows = (
        specialisms.values("need__code", "expert__school__local_authority__code")
        .annotate(sessions=Sum("expert__sessions_per_month"))
        .order_by()
    )
    return {
        (row["need__code"], row["expert__school__local_authority__code"]): row["sessions"]
        for row in rows
    }


def _across(condition: Q, prefix: str) -> Q:
    """A flat AND of lookups (``ACCEPTING_WORK``) applied across a relation."""
    return Q(**{f"{prefix}{name}": value for name, value in condition.children})  # type: ignore[misc]


# --- projecting a page of series ----------------------------------------------------------


def projected(series: Series, *, today: date, with_backtest: bool = True) -> dict[str, Any]:
    """The series' projection for the two terms after today's, with capacity and gap, and
    the backtest where history allows (and is asked for); suppressed series get capacity
    only."""
    last = SchoolTerm.of(today) + -1
    history = series.history
    first = last + (1 - len(history))
    terms = [SchoolTerm.of(today) + step for step in range(1, PROJECTED_TERMS + 1)]
    model = None if series.suppressed else _model(series, first.term, with_backtest)
    result: dict[str, Any] = {
        "method": model["method"] if model else None,
        "history_terms": len(history),
        "trend_per_year": model["trend_per_year"] if model else None,
        "backtest": model["backtest"] if model else None,
        "history": None
        if series.suppressed
        else [{"term": (first + step), "requests": count} for step, count in enumerate(history)],
        "exposure_pupils": series.exposure[-1] if series.exposure else None,
        "terms": [],
    }
    for step, term in enumerate(terms, start=1):
        capacity = series.sessions_per_month * TEACHING_MONTHS[term.term]
        forecast = model["forecasts"][step] if model else None
        result["terms"].append(
            {
                "term": term,
                "requests_expected": forecast["mean"] if forecast else None,
                "interval_80": forecast["interval_80"] if forecast else None,
                "interval_95": forecast["interval_95"] if forecast else None,
                "capacity_sessions": capacity,
                "gap": forecast["mean"] - capacity if forecast else None,
            }
        )
    return result


def _model(series: Series, first_term: Term, with_backtest: bool) -> dict[str, Any]:
    """The projection and backtest of one history, cached by its content (deterministic:
    the simulation is seeded). Horizon 3 from the last complete term: the current term,
    then the two reported."""
    key_material = json.dumps(
        [CACHE_VERSION, series.history, series.history_exposure, int(first_term), with_backtest]
    )
    key = "insights:projection:" + hashlib.sha256(key_material.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    history = series.history
    projection = project(
        history, first_term=first_term, exposure=series.history_exposure, horizon=3
    )
    score = None
    if with_backtest and len(history) > MIN_MODEL_TERMS:
        result = backtest(history, first_term=first_term)
        score = {
            "forecasts": result.forecasts,
            "mase": result.mase,
            "mase_seasonal_naive": result.mase_seasonal_naive,
        }
    model = {
        "method": projection.method,
        "trend_per_year": projection.trend_per_year,
        "backtest": score,
        "forecasts": [
            {
                "mean": forecast.mean,
                "interval_80": list(forecast.interval_80),
                "interval_95": list(forecast.interval_95),
            }
            for forecast in projection.forecasts
        ],
    }
    cache.set(key, model, CACHE_SECONDS)
    return model


# --- totals by region, for the admin dashboard ------------------------------------------------


def region_totals(scope: CallerScope, *, today: date) -> dict[str, list[int]]:
    """Submitted requests (every need) per history term, by region of the school. One
    grouped query (and one for the window)."""
    first, last = history_window(today)
    length = last.index - first.index + 1
    submitted = SupportRequest.objects.filter(
        analytics_schools(scope, "school__"),
        submitted_at__gte=first.start_datetime(),
        submitted_at__lt=(last + 1).start_datetime(),
    )
    rows = (
        with_term(submitted, "submitted_at", first, last)
        .values("school__region", "term")
        .annotate(requests=Count("id"))
        .order_by()
    )
    totals: dict[str, list[int]] = {}
    for row in rows:
        counts = totals.setdefault(row["school__region"], [0] * length)
        counts[row["term"] - first.index] += row["requests"]
    return totals


def capacity_by_region(scope: CallerScope) -> dict[str, int]:
    """Sessions per month of the experts accepting work, by region of their home school,
    each expert once whatever their needs. One query."""
    rows = (
        ExpertProfile.objects.accepting_work()
        .filter(analytics_schools(scope, "school__"))
        .values("school__region")
        .annotate(monthly=Sum("sessions_per_month"))
        .order_by()
    )
    return {row["school__region"]: row["monthly"] for row in rows}


def total_projection(counts: Sequence[int], *, today: date) -> dict[str, Any]:
    """``projected`` for a plain history (no need, no LA), unsuppressed: the admin
    dashboard's, whose readers see every row anyway."""
    series = Series(need_code="", need_name="", need_position=0, region="", counts=list(counts))
    return projected(series, today=today, with_backtest=False)

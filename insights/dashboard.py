"""The admin dashboard's figures and charts (Django admin's landing page; docs/analytics.md,
*The admin dashboard*). Every figure is one query or one grouped query, whatever the data
size, and links to the admin list it counts, filtered the same way.

The dashboard is for platform admins, who read every row in the admin anyway: its figures
are not suppressed (the API's are).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from accounts.access import CallerScope
from exchange.enums import RequestStatus
from exchange.models import ExpertProfile, SupportRequest
from insights import charts, forecasts
from insights.access import analytics_schools
from insights.terms import TEACHING_MONTHS, SchoolTerm
from matching.enums import RunStatus
from matching.models import MatchingRun, UnmatchedRequest
from matching.selectors import WAITING_STATUSES
from scheduling.enums import SessionStatus
from scheduling.models import Session

SAFEGUARDING_SOON = timedelta(days=30)  # as the experts list's "Expires within 30 days"
WAITING_SHOWN = 5
HELD_STATUSES = (SessionStatus.CONFIRMED, SessionStatus.COMPLETED, SessionStatus.NO_SHOW)
NO_REGION = "(no region)"


@dataclass(frozen=True)
class Figure:
    label: str
    value: int | str
    href: str


def changelist(model: str, **filters: object) -> str:
    """The admin list of ``app_model`` (e.g. ``exchange_supportrequest``), filtered."""
    url = reverse(f"admin:{model}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def change_page(model: str, pk: int) -> str:
    return reverse(f"admin:{model}_change", args=[pk])


def dashboard(scope: CallerScope, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    last_run = _last_run()
    totals = forecasts.region_totals(scope, today=today)
    return {
        "requests_by_status": requests_by_status(scope),
        "waiting_longest": waiting_longest(scope, now=now),
        "unmatched_why": unmatched_why(last_run),
        "experts": expert_figures(scope, today=today),
        "sessions_this_week": sessions_this_week(scope, today=today),
        "last_run": last_run,
        "last_run_href": change_page("matching_matchingrun", last_run.pk) if last_run else None,
        "demand_capacity_chart": demand_capacity_chart(scope, totals, today=today),
        "unmet_chart": unmet_chart(scope),
        "projection_chart": projection_chart(totals, today=today),
        "projection_api": reverse("projection") + "?by=region",
    }


def requests_by_status(scope: CallerScope) -> list[Figure]:
    counts = dict(
        SupportRequest.objects.filter(analytics_schools(scope, "school__"))
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        Figure(
            status.label,
            counts.get(status.value, 0),
            changelist("exchange_supportrequest", status__exact=status.value),
        )
        for status in RequestStatus
    ]


def waiting_longest(scope: CallerScope, *, now: datetime) -> list[dict[str, Any]]:
    """The requests waiting for an expert (submitted, matching, unmatched) the longest,
    since submission."""
    rows = (
        SupportRequest.objects.filter(
            analytics_schools(scope, "school__"),
            status__in=WAITING_STATUSES,
            submitted_at__isnull=False,
        )
        .order_by("submitted_at", "pk")
        .values("pk", "title", "status", "submitted_at", "school__name")[:WAITING_SHOWN]
    )
    return [
        {
            **row,
            "status_label": RequestStatus(row["status"]).label,
            "days": (now - row["submitted_at"]).days if row["submitted_at"] else 0,
            "href": change_page("exchange_supportrequest", row["pk"]),
        }
        for row in rows
    ]


def unmatched_why(last_run: MatchingRun | None) -> list[Figure]:
    """The last finished round's unserved requests, by reason (each links to the round,
    whose page lists them)."""
    if last_run is None:
        return []
    counts = dict(
        UnmatchedRequest.objects.filter(run=last_run)
        .values_list("reason")
        .annotate(n=Count("id"))
        .order_by()
    )
    href = change_page("matching_matchingrun", last_run.pk)
    return [
        Figure(reason.label, counts[reason.value], href)
        for reason in UnmatchedRequest.Reason
        if reason.value in counts
    ]


def expert_figures(scope: CallerScope, *, today: date) -> list[Figure]:
    counts = ExpertProfile.objects.filter(analytics_schools(scope, "school__")).aggregate(
        awaiting=Count("pk", filter=Q(is_verified=False)),
        expiring=Count(
            "pk", filter=Q(safeguarding_expires_on__range=(today, today + SAFEGUARDING_SOON))
        ),
    )
    return [
        Figure(
            "Experts awaiting verification",
            counts["awaiting"],
            changelist("exchange_expertprofile", is_verified__exact=0),
        ),
        Figure(
            "Safeguarding confirmations expiring within 30 days",
            counts["expiring"],
            changelist("exchange_expertprofile", safeguarding="expiring"),
        ),
    ]


def sessions_this_week(scope: CallerScope, *, today: date) -> Figure:
    """Sessions confirmed or held from Monday to Sunday of this week (Europe/London)."""
    monday = today - timedelta(days=today.weekday())
    next_monday = monday + timedelta(days=7)
    start, end = (
        datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone())
        for day in (monday, next_monday)
    )
    count = Session.objects.filter(
        analytics_schools(scope, "request__school__"),
        starts_at__gte=start,
        starts_at__lt=end,
        status__in=HELD_STATUSES,
    ).count()
    href = changelist(
        "scheduling_session",
        # Aware times, as the admin's own date filter writes them.
        starts_at__gte=str(start),
        starts_at__lt=str(end),
        status__in=",".join(HELD_STATUSES),
    )
    return Figure("Sessions this week", count, href)


def _last_run() -> MatchingRun | None:
    return (
        MatchingRun.objects.exclude(status=RunStatus.RUNNING)
        .select_related("policy")
        .order_by("-started_at", "-id")
        .first()
    )


# --- charts -----------------------------------------------------------------------------------


def demand_capacity_chart(
    scope: CallerScope, totals: dict[str, list[int]], *, today: date
) -> SafeString:
    """Per region: the requests projected for next term (every need; ``totals`` are
    ``forecasts.region_totals``) beside the expert sessions available in it."""
    term = SchoolTerm.of(today) + 1
    capacity = forecasts.capacity_by_region(scope)
    groups = []
    for region in sorted(set(totals) | set(capacity)):
        counts = totals.get(region)
        projection = forecasts.total_projection(counts, today=today) if counts else None
        next_term = projection["terms"][0] if projection else None
        demand = next_term["requests_expected"] if next_term else 0.0
        sessions = capacity.get(region, 0) * TEACHING_MONTHS[term.term]
        groups.append(
            charts.Group(
                label=region or NO_REGION,
                values=(round(demand, 1), sessions),
                hrefs=(
                    changelist("exchange_supportrequest", school__region=region),
                    changelist(
                        "exchange_expertprofile", school__region=region, is_verified__exact=1
                    ),
                ),
            )
        )
    return mark_safe(  # noqa: S308 - charts escapes every label
        charts.grouped_bars(
            "demand-capacity",
            f"Demand and capacity by region, {term.label}",
            groups,
            series=("Requests projected", "Expert sessions available"),
        )
    )


def unmet_demand_by_need(scope: CallerScope) -> list[tuple[int, str, int]]:
    """(need id, need code, requests) of the requests no expert could take, by primary need.

    Those waiting now, each bar a link to that admin list: the work in hand. The analytics'
    unmet demand (``insights.selectors.unmet``) also counts requests closed while unmatched,
    which no admin list can show, so it is not read here."""
    return list(
        SupportRequest.objects.filter(
            analytics_schools(scope, "school__"), status=RequestStatus.UNMATCHED
        )
        .values_list("primary_need_id", "primary_need__code")
        .annotate(n=Count("id"))
        .order_by("-n", "primary_need__code")
    )


def unmet_chart(scope: CallerScope) -> SafeString:
    bars = [
        charts.Bar(
            code,
            count,
            changelist(
                "exchange_supportrequest",
                status__exact=RequestStatus.UNMATCHED,
                primary_need__id__exact=need_id,
            ),
        )
        for need_id, code, count in unmet_demand_by_need(scope)
    ]
    return mark_safe(  # noqa: S308 - charts escapes every label
        charts.bar_chart("unmet", "Requests no expert could take, by primary need", bars)
    )


def projection_chart(totals: dict[str, list[int]], *, today: date) -> SafeString:
    """Every request per term (the regions' ``totals`` added up), and the two terms after
    this one projected, with their bands."""
    counts = [sum(column) for column in zip(*totals.values(), strict=True)] if totals else []
    counts = counts[forecasts.leading_zeros(counts) :]
    history: list[tuple[str, float]] = []
    projected: list[charts.Projected] = []
    method = ""
    if counts:
        first = SchoolTerm.of(today) + -len(counts)
        history = [((first + step).label, count) for step, count in enumerate(counts)]
        result = forecasts.total_projection(counts, today=today)
        projected = [
            charts.Projected(
                term["term"].label,
                term["requests_expected"],
                tuple(term["interval_80"]),  # type: ignore[arg-type]
                tuple(term["interval_95"]),  # type: ignore[arg-type]
            )
            for term in result["terms"]
        ]
        method = result["method"].replace("_", " ")
    title = "Requests per term, projected" + (f" ({method})" if method else "")
    return mark_safe(  # noqa: S308 - charts escapes every label
        charts.line_with_band("projection", title, history, projected)
    )

"""The analytics API (``/api/v1/analytics/…``): read-only figures over the caller's schools
(``insights.access``), as JSON or, one table at a time, CSV (``?format=csv`` or
``Accept: text/csv``)."""

from collections.abc import Callable
from typing import Any, ClassVar

from drf_orjson_renderer.renderers import ORJSONRenderer
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import CallerScope, caller_scope
from insights import selectors
from insights.access import reads_analytics
from insights.filters import AnalyticsFilters
from insights.renderers import CSVRenderer
from insights.serializers import (
    AnalyticsQuerySerializer,
    DemandQuerySerializer,
    FiguresSerializer,
    PrevalenceFiguresSerializer,
    SupplyQuerySerializer,
    UnmetQuerySerializer,
)
from insights.suppression import DEFAULT_THRESHOLD

CSV_DESCRIPTION = (
    "CSV (`?format=csv` or `Accept: text/csv`): the table named by `?table=` (the first by "
    "default) or a figure, as an attachment: a header row (the row dimension, the column "
    "keys, `total`), a line per row key and a `total` line; `c` where a count is suppressed "
    "or a figure withheld, `z` where a figure is undefined."
)


class AnalyticsView(APIView):
    """One analytics endpoint: validate the query, check the caller reads analytics, call
    one selector, render JSON or one table as CSV."""

    query_serializer: ClassVar[type[AnalyticsQuerySerializer]] = AnalyticsQuerySerializer
    selector: ClassVar[Callable[..., selectors.Figures]]
    filename: ClassVar[str]

    renderer_classes: ClassVar[list[type[BaseRenderer]]] = [ORJSONRenderer, CSVRenderer]

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[BaseRenderer, str]:
        # ``?format=csv`` is this API's own switch (URL_FORMAT_OVERRIDE is off everywhere).
        if request.query_params.get("format") == "csv":
            return CSVRenderer(), CSVRenderer.media_type
        return super().perform_content_negotiation(request, force)

    def get(self, request: Request) -> Response:
        scope = caller_scope(user=request.user)
        if not reads_analytics(scope):
            raise PermissionDenied("Analytics are for trust coordinators, LA officers and admins.")
        query = self.query_serializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        figures = self.compute(scope, query.validated_data["filters"], query.layout())
        if isinstance(request.accepted_renderer, CSVRenderer):
            name = query.validated_data.get("table") or figures.names()[0]
            if name not in figures.names():
                raise ValidationError({"table": f"One of: {', '.join(figures.names())}."})
            disposition = f'attachment; filename="{self.filename}-{name}.csv"'
            return Response(figures.csv_rows(name), headers={"Content-Disposition": disposition})
        return Response({"threshold": DEFAULT_THRESHOLD, **figures.as_json()})

    def compute(
        self, scope: CallerScope, filters: AnalyticsFilters, layout: dict[str, str]
    ) -> selectors.Figures:
        return type(self).selector(scope, filters, **layout)


def analytics_schema(
    summary: str, description: str, query: type, body: Any = FiguresSerializer
) -> Any:
    return extend_schema(
        summary=summary,
        description=f"{description}\n\nTrust coordinators (their trusts' schools), LA "
        f"officers (their LA's schools) and admins (all); others 403. Counts under "
        f"{DEFAULT_THRESHOLD} are suppressed, with secondary suppression "
        "(docs/analytics.md).\n\n" + CSV_DESCRIPTION,
        parameters=[query],
        responses={
            (200, "application/json"): body,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=CSV_DESCRIPTION),
        },
    )


class DemandView(AnalyticsView):
    query_serializer = DemandQuerySerializer
    selector = staticmethod(selectors.demand)
    filename = "demand"

    @analytics_schema(
        "Demand: requests submitted, by two dimensions",
        "Table `requests`: requests submitted in the period (by `submitted_at`, "
        "Europe/London) by `rows` × `columns` (need, broad area, topic, phase, LA, region, "
        "month). By topic a request counts under each topic it names.",
        DemandQuerySerializer,
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class PrevalenceView(AnalyticsView):
    selector = staticmethod(selectors.demand_per_pupils)
    filename = "demand-per-pupils"

    def compute(
        self, scope: CallerScope, filters: AnalyticsFilters, layout: dict[str, str]
    ) -> selectors.Figures:
        return selectors.demand_per_pupils(scope, filters)

    @analytics_schema(
        "Demand relative to prevalence: requests per 1,000 pupils with the need",
        "Table `requests` by LA × need, and `per_1000_pupils`: for each cell, the pupils "
        "with that primary need in the LA in DfE's latest period (all phases, all "
        "provision) and the rate; null with a `reason` when the count is suppressed or DfE "
        "has no number. `rows` is ignored (always LA × need).",
        AnalyticsQuerySerializer,
        PrevalenceFiguresSerializer,
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class SupplyView(AnalyticsView):
    query_serializer = SupplyQuerySerializer
    selector = staticmethod(selectors.supply)
    filename = "supply"

    @analytics_schema(
        "Supply: expert capacity and its use, by month",
        "Tables `capacity` (sessions a month offered by experts accepting work), `booked` "
        "and `held` (their sessions) by `rows` (the expert's needs, topics, phases, LA, "
        "region) × month; figure `utilisation` (booked ÷ capacity).",
        SupplyQuerySerializer,
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class FlowView(AnalyticsView):
    selector = staticmethod(selectors.flow)
    filename = "flow"

    @analytics_schema(
        "Flow: matching, acceptance, sessions and the time they take",
        "For the requests submitted in the period, by `rows`: tables `requests` (by "
        "outcome), `proposals` (by status), `sessions` (by outcome, lapsed offers apart), "
        "`days_to_first_proposal` and `days_to_first_session` (how many requests have one); "
        "figures `match_rate`, `acceptance_rate`, `decline_rate`, `no_show_rate` and the "
        "median and 90th percentile of both waits in days.",
        AnalyticsQuerySerializer,
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class UnmetView(AnalyticsView):
    query_serializer = UnmetQuerySerializer
    selector = staticmethod(selectors.unmet_demand)
    filename = "unmet"

    @analytics_schema(
        "Unmet demand: requests no expert could take, by need × area, and why",
        "Tables `unmet` (requests unmatched now, or closed while unmatched, by `rows` × "
        "`columns`; need × LA by default) and `reasons` (the same requests by `rows` × the "
        "latest matching round's reason).",
        UnmetQuerySerializer,
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class OutcomesView(AnalyticsView):
    selector = staticmethod(selectors.outcomes)
    filename = "outcomes"

    @analytics_schema(
        "Outcomes: GAS T-scores, staff confidence and feedback ratings",
        "For the requests submitted in the period, by `rows` × session format: tables "
        "`reviews` (completed outcome reviews), `goals` (met or not, by `rows`), `feedback` "
        "(answers); figures `mean_t_score`, `mean_confidence_change`, `share_goals_met`, "
        "`mean_rating`.",
        AnalyticsQuerySerializer,
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

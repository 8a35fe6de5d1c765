from datetime import date
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import caller_scope
from config.pagination import StandardPagination
from exchange.models import Need
from insights import forecasts
from insights.access import reads_analytics
from insights.projection import OVERDISPERSED_POISSON, SEASONAL_NAIVE
from insights.terms import SchoolTerm


class ProjectionQuerySerializer(serializers.Serializer):
    by = serializers.ChoiceField(choices=["la", "region"], default="la")
    need = serializers.SlugRelatedField(
        slug_field="code", queryset=Need.objects.all(), required=False
    )
    la = serializers.RegexField(r"^[0-9]{3}$", required=False, help_text="DfE LA code.")
    region = serializers.CharField(max_length=60, required=False)


class SchoolTermSerializer(serializers.Serializer):
    term = serializers.SerializerMethodField()
    school_year = serializers.CharField(source="school_year_label")
    label = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()

    def get_term(self, term: SchoolTerm) -> str:
        return term.term.name.lower()


class HistoryTermSerializer(serializers.Serializer):
    term = SchoolTermSerializer()
    requests = serializers.IntegerField()


class BacktestSerializer(serializers.Serializer):
    forecasts = serializers.IntegerField(help_text="Terms projected and scored.")
    mase = serializers.FloatField(help_text="The projection's MASE (below 1 beats naive).")
    mase_seasonal_naive = serializers.FloatField()


class ProjectedTermSerializer(serializers.Serializer):
    term = SchoolTermSerializer()
    requests_expected = serializers.FloatField(allow_null=True)
    interval_80 = serializers.ListField(
        child=serializers.IntegerField(), min_length=2, max_length=2, allow_null=True
    )
    interval_95 = serializers.ListField(
        child=serializers.IntegerField(), min_length=2, max_length=2, allow_null=True
    )
    capacity_sessions = serializers.IntegerField(
        help_text="Sessions per month of experts accepting work with the need × the term's "
        "teaching months."
    )
    gap = serializers.FloatField(
        allow_null=True, help_text="requests_expected − capacity_sessions; above 0: short."
    )


class CodeNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ProjectionSerializer(serializers.Serializer):
    need = CodeNameSerializer()
    local_authority = CodeNameSerializer(allow_null=True, help_text="Null with `by=region`.")
    region = serializers.CharField()
    suppressed = serializers.BooleanField(
        help_text="A history term under 5 requests (or a region whose suppressed LAs' history "
        "would follow by subtraction): no projection, capacity only."
    )
    method = serializers.ChoiceField(
        choices=[OVERDISPERSED_POISSON, SEASONAL_NAIVE], allow_null=True
    )
    history_terms = serializers.IntegerField()
    trend_per_year = serializers.FloatField(
        allow_null=True, help_text="Yearly growth factor of the model; null for seasonal naive."
    )
    backtest = BacktestSerializer(allow_null=True)
    history = HistoryTermSerializer(many=True, allow_null=True)
    exposure_pupils = serializers.FloatField(
        allow_null=True, help_text="Pupils with the need in the area (DfE), latest year."
    )
    terms = ProjectedTermSerializer(many=True)


class ProjectionPagination(StandardPagination):
    """Ten series a page (at most 25): each uncached series costs a model fit and a
    rolling-origin backtest (about a quarter of a second)."""

    @property
    def page_size(self) -> int:  # type: ignore[override]
        return 10

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return 25


class ProjectionView(APIView):
    pagination_class = ProjectionPagination

    @extend_schema(
        summary="Requests projected for the next two terms, with capacity and the gap",
        description="For each need × LA (`by=la`) or need × region (`by=region`) in the "
        "caller's scope with a submitted request in the last five school years: the requests "
        "expected in each of the next two terms with 80 % and 95 % intervals, the method "
        "(`overdispersed_poisson`, or `seasonal_naive` on under nine terms of history), the "
        "backtest's MASE, expert capacity and the gap. Terms: autumn Sep–Dec, spring Jan–Mar, "
        "summer Apr–Aug. Series with a history term under 5 are `suppressed`. "
        "Admins, trust coordinators (their trusts) and LA officers (their LA); others 403. "
        "docs/analytics.md.",
        parameters=[ProjectionQuerySerializer, OpenApiParameter("page", int)],
        responses=ProjectionSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        scope = caller_scope(user=request.user)  # type: ignore[arg-type]
        if not reads_analytics(scope):
            raise PermissionDenied(
                "Only admins, trust coordinators and LA officers read analytics."
            )
        query = ProjectionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        filters = forecasts.Filters(
            need=params["need"].code if "need" in params else None,
            la=params.get("la"),
            region=params.get("region"),
        )
        today: date = timezone.localdate()
        series = forecasts.la_series(scope, filters, today=today)
        if params["by"] == "region":
            series = forecasts.region_series(series)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(series, request, view=self) or []  # type: ignore[arg-type]
        items = [_item(one, today) for one in page]
        return paginator.get_paginated_response(ProjectionSerializer(items, many=True).data)


def _item(series: forecasts.Series, today: date) -> dict[str, Any]:
    return {
        "need": {"code": series.need_code, "name": series.need_name},
        "local_authority": {"code": series.la_code, "name": series.la_name}
        if series.la_code
        else None,
        "region": series.region,
        "suppressed": series.suppressed,
        **forecasts.projected(series, today=today),
    }

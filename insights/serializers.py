"""The analytics API's query parameters (validated into ``AnalyticsFilters``) and the
shape of its answers (for the schema: the views render ``Figures.as_json()``)."""

from datetime import date
from typing import Any, ClassVar

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exchange.enums import BroadArea, EducationPhase
from insights.filters import AnalyticsFilters, Period
from insights.selectors.dimensions import REQUEST_DIMENSIONS
from insights.suppression import CSV_SUPPRESSED, DEFAULT_THRESHOLD

DAY_OR_MONTH = r"^(19|2\d)\d\d-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$"
EXPERT_DIMENSIONS = ("need", "broad_area", "topic", "phase", "la", "region", "all")


def _day(value: str | None, *, last: bool) -> date | None:
    """``YYYY-MM-DD`` as that day; ``YYYY-MM`` as its first day (``last``: its last)."""
    if not value:
        return None
    if len(value) == 10:
        return date.fromisoformat(value)
    first = date.fromisoformat(f"{value}-01")
    if not last:
        return first
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def _list(child: serializers.Field, help_text: str) -> serializers.ListField:
    return serializers.ListField(child=child, required=False, help_text=help_text)


class AnalyticsQuerySerializer(serializers.Serializer):
    """The filters every analytics endpoint takes. Repeat a parameter for several values
    (``?need=ASD&need=SLCN``); values are ANDed across parameters, ORed within one."""

    row_dimensions: ClassVar[tuple[str, ...]] = REQUEST_DIMENSIONS
    default_rows: ClassVar[str] = "need"
    column_dimensions: ClassVar[tuple[str, ...] | None] = None
    default_columns: ClassVar[str] = ""

    def get_fields(self) -> dict[str, serializers.Field]:
        period = {"validators": [RegexValidator(DAY_OR_MONTH)], "required": False}
        fields: dict[str, serializers.Field] = {
            "from": serializers.CharField(
                **period,
                help_text="First day (`YYYY-MM-DD`) or month (`YYYY-MM`) of the period, "
                "Europe/London, included.",
            ),
            "to": serializers.CharField(
                **period, help_text="Last day or month of the period, included."
            ),
            "need": _list(serializers.CharField(max_length=8), "Primary need code(s)."),
            "broad_area": _list(serializers.ChoiceField(BroadArea.choices), "Broad area(s)."),
            "topic": _list(serializers.CharField(max_length=60), "Topic slug(s)."),
            "phase": _list(serializers.ChoiceField(EducationPhase.choices), "Phase(s)."),
            "la": _list(serializers.CharField(max_length=3), "Local authority code(s)."),
            "region": _list(serializers.CharField(max_length=60), "Region name(s) (GIAS GOR)."),
            "rows": serializers.ChoiceField(
                self.row_dimensions,
                required=False,
                default=self.default_rows,
                help_text="The dimension of the tables' rows.",
            ),
            "format": serializers.ChoiceField(
                ["json", "csv"],
                required=False,
                help_text="`csv`: one table as CSV (also `Accept: text/csv`).",
            ),
            "table": serializers.CharField(
                required=False,
                max_length=40,
                help_text="Which table or figure the CSV holds (its `name`); the first table "
                "by default.",
            ),
        }
        if self.column_dimensions:
            fields["columns"] = serializers.ChoiceField(
                self.column_dimensions,
                required=False,
                default=self.default_columns,
                help_text="The dimension of the tables' columns (not the rows').",
            )
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            first = _day(attrs.get("from"), last=False)
        except ValueError:
            raise serializers.ValidationError({"from": "Not a date."}) from None
        try:
            last = _day(attrs.get("to"), last=True)
        except ValueError:
            raise serializers.ValidationError({"to": "Not a date."}) from None
        if first and last and first > last:
            raise serializers.ValidationError({"to": "The period ends before it starts."})
        if self.column_dimensions and attrs.get("columns") == attrs.get("rows"):
            raise serializers.ValidationError({"columns": "Choose a dimension other than rows."})
        attrs["filters"] = AnalyticsFilters(
            period=Period.from_dates(first, last),
            needs=tuple(attrs.get("need", ())),
            broad_areas=tuple(attrs.get("broad_area", ())),
            topics=tuple(attrs.get("topic", ())),
            phases=tuple(attrs.get("phase", ())),
            las=tuple(attrs.get("la", ())),
            regions=tuple(attrs.get("region", ())),
        )
        return attrs

    def layout(self) -> dict[str, str]:
        """The selector's ``rows`` (and ``columns``) arguments."""
        data = self.validated_data
        return {
            "rows": data["rows"],
            **({"columns": data["columns"]} if self.column_dimensions else {}),
        }


class DemandQuerySerializer(AnalyticsQuerySerializer):
    column_dimensions = REQUEST_DIMENSIONS
    default_columns = "month"


class UnmetQuerySerializer(AnalyticsQuerySerializer):
    column_dimensions = REQUEST_DIMENSIONS
    default_columns = "la"


class SupplyQuerySerializer(AnalyticsQuerySerializer):
    row_dimensions = EXPERT_DIMENSIONS


# --- answers ---------------------------------------------------------------------------------

CELL_SCHEMA = {
    "oneOf": [
        {"type": "integer", "minimum": DEFAULT_THRESHOLD, "description": "A published count."},
        {
            "type": "string",
            "enum": [f"<{DEFAULT_THRESHOLD}"],
            "description": f"Primary suppression: a count from 0 to {DEFAULT_THRESHOLD - 1}.",
        },
        {
            "type": "string",
            "enum": [CSV_SUPPRESSED],
            "description": "Secondary suppression: hidden so that a small count cannot be "
            "worked out from the totals; it may be any size.",
        },
    ]
}


@extend_schema_field(CELL_SCHEMA)
class CellField(serializers.Field):
    pass


class KeySerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The code: a need code, `YYYY-MM`, an LA code, …")
    label = serializers.CharField()


class TableSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The table's name (`?table=` for its CSV).")
    rows = serializers.CharField(help_text="The rows' dimension.")
    columns = serializers.CharField(help_text="The columns' dimension.")
    row_keys = KeySerializer(many=True)
    column_keys = KeySerializer(many=True)
    cells = serializers.ListField(
        child=serializers.ListField(child=CellField()),
        help_text="One list per row key, then the column totals; in each, one cell per "
        "column key, then the row total. Small counts suppressed (docs/analytics.md).",
    )


class FigureSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The figure (`?table=` for its CSV).")
    of = serializers.CharField(help_text="The table whose counts it is computed from.")
    columns = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="null: one figure per cell of the table `of` (totals included); else "
        "these columns per row of it, then for its total row.",
    )
    cells = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text="null where withheld (a count it comes from is suppressed) or undefined.",
    )


class FiguresSerializer(serializers.Serializer):
    threshold = serializers.IntegerField(help_text="Counts under this are suppressed.")
    tables = TableSerializer(many=True)
    figures = FigureSerializer(many=True)


class PrevalenceSerializer(serializers.Serializer):
    la = serializers.CharField()
    need = serializers.CharField()
    requests = CellField()
    pupils = serializers.IntegerField(allow_null=True, help_text="DfE: pupils with the need.")
    time_period = serializers.CharField(allow_null=True, help_text="DfE's period, e.g. 202526.")
    symbol = serializers.CharField(allow_null=True, help_text="DfE's symbol when no number.")
    per_1000_pupils = serializers.FloatField(allow_null=True)
    reason = serializers.ChoiceField(
        ["requests_suppressed", "no_statistic", "statistic_not_published", "no_pupils"],
        allow_null=True,
        help_text="Why `per_1000_pupils` is null.",
    )


class PrevalenceFiguresSerializer(FiguresSerializer):
    per_1000_pupils = PrevalenceSerializer(many=True)

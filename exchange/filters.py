import django_filters
from django.db.models import F, FloatField, QuerySet
from django.db.models.functions import Cast, Sqrt
from rest_framework.exceptions import ValidationError

from accounts.constants import NEED_CODES
from accounts.models import School
from config.filtering import IdFilter, StrictBooleanFilter
from exchange.enums import LEVEL_RANK, EducationPhase, Format, Level, Urgency
from exchange.models import (
    ACCEPTING_WORK,
    FORMAT_FLAGS,
    PHASE_FLAGS,
    ExpertProfile,
    Notification,
    SupportRequest,
)

NEED_CHOICES = [(code, code) for code in NEED_CODES]


class ExpertFilter(django_filters.FilterSet):
    need = django_filters.ChoiceFilter(
        choices=NEED_CHOICES, method="filter_specialism", help_text="Has this need code."
    )
    topic = django_filters.CharFilter(method="filter_specialism", help_text="Has this topic slug.")
    level = django_filters.ChoiceFilter(
        choices=Level.choices,
        method="filter_noop",
        help_text="With `need` or `topic`: at least this level.",
    )
    phase = django_filters.ChoiceFilter(choices=EducationPhase.choices, method="filter_flag")
    format = django_filters.ChoiceFilter(choices=Format.choices, method="filter_flag")
    la = django_filters.CharFilter(field_name="school__local_authority__code")
    region = django_filters.CharFilter(field_name="school__region", lookup_expr="iexact")
    school = IdFilter(field_name="school_id", help_text="Home school URN.")
    verified = StrictBooleanFilter(field_name="is_verified")
    accepting_work = StrictBooleanFilter(method="filter_accepting_work")
    near = IdFilter(
        method="filter_noop", help_text="URN of a school: annotate and sort by distance from it."
    )
    within_km = django_filters.NumberFilter(
        method="filter_noop", min_value=0, help_text="With `near`: at most this far (km)."
    )

    class Meta:
        model = ExpertProfile
        fields: list[str] = []

    def filter_noop(self, queryset: QuerySet, name: str, value: object) -> QuerySet:
        return queryset  # applied together in filter_queryset

    def filter_flag(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        flags = PHASE_FLAGS if name == "phase" else FORMAT_FLAGS
        return queryset.filter(**{flags[value]: True})

    def filter_specialism(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        lookup = "need__code" if name == "need" else "topic__slug"
        level = self.form.cleaned_data.get("level")
        levels = [lv for lv, rank in LEVEL_RANK.items() if not level or rank >= LEVEL_RANK[level]]
        return queryset.filter(
            pk__in=ExpertProfile.objects.filter(
                **{f"specialisms__{lookup}": value, "specialisms__level__in": levels}
            ).values("pk")
        )

    def filter_accepting_work(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(ACCEPTING_WORK) if value else queryset.exclude(ACCEPTING_WORK)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        near, within_km = (
            self.form.cleaned_data.get("near"),
            self.form.cleaned_data.get("within_km"),
        )
        if near is None:
            if within_km is not None:
                raise ValidationError({"within_km": ["Needs `near` (a school URN)."]})
            return queryset
        origin = School.objects.filter(urn=near).first()
        if origin is None or origin.easting is None or origin.northing is None:
            raise ValidationError({"near": ["No school with this URN and a known location."]})
        return experts_by_distance(queryset, (origin.easting, origin.northing), within_km)


def experts_by_distance(
    queryset: QuerySet[ExpertProfile], origin: tuple[int, int], within_km: float | None
) -> QuerySet[ExpertProfile]:
    """British National Grid metres (easting, northing): plain Euclidean distance between
    home schools."""
    easting, northing = origin
    if within_km is not None:
        # A bounding box first, so an index on (easting, northing) can narrow the rows.
        radius = within_km * 1000
        queryset = queryset.filter(
            school__easting__range=(easting - radius, easting + radius),
            school__northing__range=(northing - radius, northing + radius),
        )
    dx = Cast(F("school__easting"), FloatField()) - float(easting)
    dy = Cast(F("school__northing"), FloatField()) - float(northing)
    queryset = queryset.annotate(distance_m=Sqrt(dx * dx + dy * dy))
    if within_km is not None:
        queryset = queryset.filter(distance_m__lte=within_km * 1000)
    # Experts whose home school has no grid reference go last on every database.
    return queryset.order_by(F("distance_m").asc(nulls_last=True), "id")


class SupportRequestFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=SupportRequest._meta.get_field("status").choices,
        help_text="Repeat to match several.",
    )
    need = django_filters.ChoiceFilter(
        field_name="needs__code",
        choices=NEED_CHOICES,
        method="filter_many",
        help_text="Has this need (any position).",
    )
    topic = django_filters.CharFilter(
        field_name="topics__slug", method="filter_many", help_text="Has this topic slug."
    )
    school = IdFilter(field_name="school_id", help_text="School URN.")
    la = django_filters.CharFilter(field_name="school__local_authority__code")
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = SupportRequest
        fields: list[str] = []

    def filter_many(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # A subquery, not a join: a request with several matching rows is listed once.
        matching = SupportRequest.objects.filter(**{name: value}).values("pk")
        return queryset.filter(pk__in=matching)


class NotificationFilter(django_filters.FilterSet):
    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = Notification
        fields = ["kind"]

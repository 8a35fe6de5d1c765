import django_filters
from django.db.models import QuerySet
from rest_framework.filters import SearchFilter

from accounts.constants import NEED_CODES
from accounts.enums import Phase, SchoolKind
from accounts.models import School
from config.filtering import StrictBooleanFilter


class SchoolFilter(django_filters.FilterSet):
    la = django_filters.CharFilter(
        field_name="local_authority__code", help_text="Local authority code, e.g. 873."
    )
    region = django_filters.CharFilter(lookup_expr="iexact", help_text="GIAS region (GOR).")
    phase = django_filters.ChoiceFilter(choices=Phase.choices)
    kind = django_filters.ChoiceFilter(choices=SchoolKind.choices)
    need = django_filters.ChoiceFilter(
        field_name="sen_provisions__need_code",
        choices=[(code, code) for code in NEED_CODES],
        help_text="Schools that declare SEN provision for this need code.",
    )
    trust = django_filters.CharFilter(field_name="trust__code", help_text="Trust code.")
    is_active = StrictBooleanFilter()
    mine = StrictBooleanFilter(
        method="filter_mine", help_text="Only schools where the caller has a membership."
    )

    class Meta:
        model = School
        fields = ["la", "region", "phase", "kind", "need", "trust", "is_active", "mine"]

    def filter_mine(self, queryset: QuerySet[School], name: str, value: bool) -> QuerySet[School]:
        urns = self.request.user.memberships.filter(school__isnull=False).values("school_id")
        return queryset.filter(urn__in=urns) if value else queryset.exclude(urn__in=urns)


class SchoolSearchFilter(SearchFilter):
    """Searches name and postcode; a number also matches the URN exactly."""

    def get_search_fields(self, view, request):  # type: ignore[no-untyped-def]
        terms = self.get_search_terms(request)
        if terms and all(term.isdigit() for term in terms):
            return ["name", "postcode", "=urn"]
        return ["name", "postcode"]

import django_filters
from django.db import connection
from django.db.models import QuerySet

from config.filtering import IdFilter, StrictBooleanFilter
from exchange.enums import EducationPhase
from exchange.filters import NEED_CHOICES
from library import search
from library.enums import EvidenceLevel, ResourceStatus, Visibility
from library.models import PHASE_FLAGS, ProblemReport, Resource
from library.selectors import needs_review_condition
from matching.selectors import local_today


class ResourceFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text="Words to find in the title, summary and body; best matches first (on "
        "PostgreSQL ranked full-text search, title > summary > body).",
    )
    need = django_filters.ChoiceFilter(
        choices=NEED_CHOICES, method="filter_many", help_text="Tagged with this need code."
    )
    topic = django_filters.CharFilter(
        method="filter_many", max_length=60, help_text="Tagged with this topic slug."
    )
    phase = django_filters.ChoiceFilter(choices=EducationPhase.choices, method="filter_phase")
    evidence_level = django_filters.ChoiceFilter(choices=EvidenceLevel.choices)
    visibility = django_filters.ChoiceFilter(choices=Visibility.choices)
    status = django_filters.MultipleChoiceFilter(
        choices=ResourceStatus.choices, help_text="Repeat to match several."
    )
    needs_review = StrictBooleanFilter(
        method="filter_needs_review", help_text="Approved and past its review-by date."
    )
    mine = StrictBooleanFilter(method="filter_mine", help_text="Written by me.")
    session = IdFilter(field_name="session_id")

    class Meta:
        model = Resource
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return search.search(queryset, value, connection.vendor) if value else queryset

    def filter_many(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # A subquery, not a join: a resource with several matching tags is listed once.
        lookup = "needs__code" if name == "need" else "topics__slug"
        return queryset.filter(pk__in=Resource.objects.filter(**{lookup: value}).values("pk"))

    def filter_phase(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**{PHASE_FLAGS[value]: True})

    def filter_needs_review(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        condition = needs_review_condition(local_today())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_mine(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        user_id = self.request.user.pk if self.request else None
        return queryset.filter(author_id=user_id) if value else queryset.exclude(author_id=user_id)


class ProblemReportFilter(django_filters.FilterSet):
    open = StrictBooleanFilter(field_name="resolved_at", lookup_expr="isnull")
    resource = IdFilter(field_name="resource_id")

    class Meta:
        model = ProblemReport
        fields: list[str] = []

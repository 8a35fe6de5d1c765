"""Filter types shared by every app's FilterSets."""

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.request import Request
from rest_framework.views import APIView

# Ids and URNs are stored as (at most) signed 64-bit integers.
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


def _is_true(value: str) -> bool:
    return value == "true"


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """``true`` or ``false``; anything else is a 400 naming the parameter.

    django-filter's BooleanFilter quietly ignores values it cannot read (``?verified=perhaps``
    returns everything), which hides a client's mistake.
    """

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", _is_true)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "format": "int64"})
class IdFilter(django_filters.NumberFilter):
    """An id or URN: a whole number in the signed 64-bit range; anything else is a 400 naming
    the parameter.

    django-filter's NumberFilter takes decimals and numbers of any size, and hands them to the
    database: SQLite cannot bind an integer past 64 bits and fails (a 500), PostgreSQL
    compares it as a numeric.
    """

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("min_value", BIGINT_MIN)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)

    def get_max_validator(self) -> None:
        return None  # ``max_value`` is the bound


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, skipping the FilterSet when the query string names none of
    its filters.

    Each request builds a FilterSet (a deep copy of its filters), its form class and form,
    and validates it: about 1 ms, on a list or a detail that has nothing to filter. With no
    value to read every filter leaves the queryset as it is (django-filter skips empty
    values), so the answer is the same; a FilterSet with a required filter is always built,
    so its 400 stays. A parameter counts as naming a filter when it starts with the filter's
    name (widgets such as ranges add suffixes)."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: APIView) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        names = tuple(filterset_class.base_filters)
        required = any(f.extra.get("required") for f in filterset_class.base_filters.values())
        if not required and not any(param.startswith(names) for param in request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)

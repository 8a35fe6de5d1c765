"""The needs taxonomy and topics: public reference lists."""

from django.db.models import QuerySet
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets

from exchange import selectors
from exchange.models import (
    Need,
    Topic,
)
from exchange.serializers import (
    NeedSerializer,
    TopicSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="List SEN need codes", tags=["taxonomy"]),
    retrieve=extend_schema(summary="Retrieve a need by code", tags=["taxonomy"]),
)
class NeedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = NeedSerializer
    lookup_field = "code"
    pagination_class = None  # a fixed list of twelve
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Need]:
        return selectors.needs_list()


@extend_schema_view(
    list=extend_schema(summary="List topics", tags=["taxonomy"]),
    retrieve=extend_schema(summary="Retrieve a topic by slug", tags=["taxonomy"]),
)
class TopicViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TopicSerializer
    lookup_field = "slug"
    search_fields = ["name", "description"]
    ordering_fields = ["name"]

    def get_queryset(self) -> QuerySet[Topic]:
        return selectors.topics_list()

"""Support requests: raising, editing and moving them, and their history."""

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import CallerScope, caller_scope
from accounts.models import School
from config.pagination import RowsListMixin, only_paging
from config.schema import CONFLICT
from exchange import access, pages, selectors, services
from exchange.filters import SupportRequestFilter
from exchange.models import SupportRequest
from exchange.serializers import (
    StatusChangeSerializer,
    SupportRequestInputSerializer,
    SupportRequestSerializer,
    TransitionInputSerializer,
)


@extend_schema_view(
    list=extend_schema(
        summary="List support requests",
        description=(
            "Your schools' requests (staff and SENCOs), your trust's schools' requests "
            "(trust coordinators, read-only), your local authority's schools' requests "
            "(local-authority officers, read-only, the pupil free text `null` unless the "
            "school shares it), or all (admins)."
        ),
    ),
    retrieve=extend_schema(summary="Retrieve a support request"),
    destroy=extend_schema(summary="Delete a draft request", responses={204: None, **CONFLICT}),
)
class SupportRequestViewSet(
    RowsListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SupportRequestSerializer
    filterset_class = SupportRequestFilter
    search_fields = ["title"]
    ordering_fields = ["created_at", "urgency", "status_changed_at"]
    ordering = list(pages.REQUEST_ORDERING)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @cached_property
    def scope(self) -> CallerScope:
        """The caller's memberships, read once per request for the queryset and the page."""
        return caller_scope(user=self.request.user)

    def get_queryset(self) -> QuerySet[SupportRequest]:
        return selectors.support_requests_visible_to(user=self.request.user, scope=self.scope)

    # The list's JSON from plain rows (exchange/pages.py).
    list_rows = staticmethod(pages.support_request_rows)

    def render_rows(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        return pages.support_requests(rows, self.scope)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not only_paging(request):
            return super().list(request, *args, **kwargs)
        # No filter, search or ordering: the same rows, from SQL compiled once a shape.
        page = self.paginator.paginate_queryset(pages.request_page(self.scope), request, self)
        return self.get_paginated_response(self.render_rows(page))  # type: ignore[arg-type]

    def retrieve(self, request: Request, pk: str) -> Response:
        # As get_object (the filters apply, a bad id is a 404), read as one plain row; with
        # no query parameter (nothing to filter) from SQL compiled once a shape.
        if not request.query_params:
            row = pages.request_row(self.scope, int(pk))
            if row is None:
                raise NotFound()
            return Response(self.render_rows([row])[0])
        rows = pages.support_request_rows(self.filter_queryset(self.get_queryset()))
        return Response(self.render_rows([get_object_or_404(rows, pk=pk)])[0])

    def _render(self, support_request: SupportRequest, **kwargs: object) -> Response:
        # A request the caller has just raised or moved (so sees), read back as one row.
        rows = pages.support_request_rows(SupportRequest.objects.filter(pk=support_request.pk))
        return Response(self.render_rows(list(rows))[0], **kwargs)  # type: ignore[arg-type]

    def _editable(self) -> SupportRequest:
        support_request = self.get_object()
        if not access.can_edit_request(caller_scope(user=self.request.user), support_request):
            raise PermissionDenied("Only the school's staff can change this request.")
        return support_request

    def _move(self, service: Callable[..., SupportRequest]) -> Response:
        """A SENCO's transition: check the role, validate the reason, call the service."""
        support_request = self.get_object()
        if not access.can_move_request(caller_scope(user=self.request.user), support_request):
            raise PermissionDenied("Only the school's SENCO can do this.")
        serializer = TransitionInputSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        service(support_request=support_request, by=self.request.user, **serializer.validated_data)
        return self._render(support_request)

    @extend_schema(
        summary="Raise a support request (as a draft)",
        request=SupportRequestInputSerializer(school_queryset=School.objects.none()),
        responses={201: SupportRequestSerializer},
        examples=[
            OpenApiExample(
                "Year 4 class with autistic pupils",
                request_only=True,
                value={
                    "title": "Sensory regulation for a Year 4 class",
                    "scope": "class",
                    "needs": ["ASD", "SLCN"],
                    "primary_need": "ASD",
                    "topics": ["sensory-regulation", "visual-timetables"],
                    "phase": "primary",
                    "year_groups": [4],
                    "sen_status": "sen_support",
                    "context": "Two pupils leave the classroom when it gets loud; one covers "
                    "their ears during transitions and stops speaking.",
                    "tried_so_far": "Ear defenders and a quiet corner; two APDR cycles.",
                    "desired_outcome": "Staff can plan sensory breaks and calmer transitions.",
                    "format": "observation_visit",
                    "staff_attending": 3,
                    "urgency": "soon",
                    "video_acceptable": True,
                    "preferred_windows": [
                        {"date": "2027-01-12", "start_time": "09:00", "end_time": "12:00"}
                    ],
                },
            )
        ],
    )
    def create(self, request: Request) -> Response:
        schools = selectors.schools_for_requests(user=request.user)
        serializer = SupportRequestInputSerializer(data=request.data, school_queryset=schools)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        school = data.pop("school", None)
        if school is None:
            candidates = list(schools[:2])
            if len(candidates) != 1:
                raise ValidationError(
                    {"school": ["Say which of your schools raises the request."]}
                    if candidates
                    else {"school": ["You are not staff at a school that can raise requests."]}
                )
            school = candidates[0]
        support_request = services.support_request_create(
            school=school, created_by=request.user, **data
        )
        item = pages.new_support_request(
            support_request,
            needs=data["needs"],
            topics=data.get("topics", ()),
            windows=data.get("preferred_windows", ()),
        )
        return Response(item, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a draft request",
        description="Any field of a draft. At any status, `shares_details_with_local_authority` "
        "alone: share the pupil free text with your local authority, or stop sharing it.",
        request=SupportRequestInputSerializer,
        responses={200: SupportRequestSerializer, **CONFLICT},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        support_request = self._editable()
        serializer = SupportRequestInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.support_request_update(
            support_request=support_request, **serializer.validated_data
        )
        return self._render(support_request)

    def destroy(self, request: Request, pk: str) -> Response:
        services.support_request_delete(support_request=self._editable())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Submit a draft for matching (SENCO)",
        request=TransitionInputSerializer,
        responses={200: SupportRequestSerializer, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._move(services.support_request_submit)

    @extend_schema(
        summary="Close a completed or unmatched request (SENCO)",
        request=TransitionInputSerializer,
        responses={200: SupportRequestSerializer, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        return self._move(services.support_request_close)

    @extend_schema(
        summary="A request's status history",
        responses=StatusChangeSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: str) -> Response:
        support_request = self.get_object()
        changes = selectors.status_history_of(support_request=support_request)
        scope = caller_scope(user=request.user)
        context = {
            "show_people": access.sees_school_people(scope, support_request),
            "hides_pupil_details": access.request_hides_pupil_details(scope, support_request),
        }
        return Response(StatusChangeSerializer(changes, many=True, context=context).data)

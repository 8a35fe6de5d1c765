import json
from collections.abc import Sequence
from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import caller_scope
from config.filtering import IdFilter
from config.pagination import RowsListMixin
from config.schema import CONFLICT, error_response
from exchange import selectors as exchange_selectors
from exchange.apis import SupportRequestViewSet as ExchangeSupportRequestViewSet
from exchange.serializers import SupportRequestSerializer, TransitionInputSerializer
from scheduling import access, ics, pages, selectors, services
from scheduling.enums import SessionStatus
from scheduling.models import Session, SessionChange
from scheduling.serializers import (
    BookInputSerializer,
    CalendarFeedSerializer,
    ReasonInputSerializer,
    RescheduleInputSerializer,
    SessionSerializer,
)

ICS = {(200, "text/calendar"): OpenApiResponse(OpenApiTypes.BINARY, description="iCalendar")}


class ICalendarRenderer(renderers.BaseRenderer):
    """Lets calendar clients ask for ``text/calendar``. Successful answers are built as
    ``HttpResponse`` already; this renders only errors, as the usual JSON body."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context=None):
        return json.dumps(data).encode()


def _calendar_response(content: bytes, filename: str, method: str) -> HttpResponse:
    response = HttpResponse(content, content_type=f"text/calendar; charset=utf-8; method={method}")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class CallerScopeContextMixin:
    """Puts the caller's scope (one query) in the serializer context: the session
    serializer shows people's names only to the session's two sides."""

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        return {**context, "scope": caller_scope(user=self.request.user)}  # type: ignore[attr-defined]


class SessionFilter(django_filters.FilterSet):
    starts_after = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    status = django_filters.MultipleChoiceFilter(choices=SessionStatus.choices)
    expert = IdFilter(field_name="expert_id")
    school = IdFilter(field_name="request__school_id", help_text="URN.")
    request = IdFilter(field_name="request_id")

    class Meta:
        model = Session
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(
        summary="List sessions",
        description="The caller's school's sessions, or their own as an expert (trust "
        "coordinators: their trust's; admins: all). Offered sessions are the slots a school "
        "can confirm.",
    ),
    retrieve=extend_schema(summary="Retrieve a session with its history"),
)
class SessionViewSet(
    RowsListMixin,
    CallerScopeContextMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    ordering_fields = ["starts_at", "created_at"]
    ordering = ["starts_at", "id"]

    def get_queryset(self) -> QuerySet[Session]:
        return selectors.sessions_visible_to(user=self.request.user).prefetch_related(
            Prefetch("changes", queryset=SessionChange.objects.order_by("changed_at", "id"))
        )

    # The list's JSON from plain rows (scheduling/pages.py).
    list_rows = staticmethod(pages.session_rows)

    def render_rows(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        return pages.sessions(rows, caller_scope(user=self.request.user))

    def _render(self, session: Session, code: int = status.HTTP_200_OK) -> Response:
        session = self.get_queryset().get(pk=session.pk)
        return Response(self.get_serializer(session).data, status=code)

    def _for_school(self) -> Session:
        session = self.get_object()
        if not access.is_school_side(caller_scope(user=self.request.user), session):
            raise PermissionDenied("Only the requesting school can do this.")
        return session

    def _for_party(self) -> Session:
        session = self.get_object()
        if not access.is_party(caller_scope(user=self.request.user), session):
            raise PermissionDenied("Only the school or the expert can change a session.")
        return session

    @extend_schema(
        summary="Book a session at a chosen time (the requesting school)",
        description="For an accepted request: a time agreed with the expert, checked like an "
        "offered slot (school days of both schools, the expert's availability, notice, "
        "buffers, travel, limits). 409 when the expert is taken then, or the time breaks a "
        "rule. Offered slots of the request are released.",
        request=BookInputSerializer,
        responses={201: SessionSerializer, 404: error_response(404), **CONFLICT},
    )
    def create(self, request: Request) -> Response:
        serializer = BookInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scope = caller_scope(user=request.user)
        visible = exchange_selectors.support_requests_visible_to(user=request.user, scope=scope)
        # Its school only: the booking reads (and locks) the request itself.
        support_request = get_object_or_404(
            visible.select_related(None).prefetch_related(None).only("pk", "school_id"),
            pk=serializer.validated_data["request"],
        )
        if not access.can_schedule_request(scope, support_request):
            raise PermissionDenied("Only the requesting school can book its sessions.")
        starts_at = serializer.validated_data["starts_at"]
        services.validate_start(starts_at)
        session = services.session_book(
            support_request=support_request, starts_at=starts_at, by=request.user
        )
        return self._render(session, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Confirm an offered slot (the requesting school)",
        description="The session is booked, the request becomes `scheduled`, the other "
        "offered slots are released, reminders are set and both sides get the invitation.",
        request=None,
        responses={200: SessionSerializer, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        return self._render(services.session_confirm(session=self._for_school(), by=request.user))

    @extend_schema(
        summary="Move a confirmed session (either side)",
        description="Same expert, new time, checked like a new booking. Within the late-change "
        "cut-off the change is recorded as late. The other side is told and gets the updated "
        "invitation (same UID, higher SEQUENCE).",
        request=RescheduleInputSerializer,
        responses={200: SessionSerializer, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str) -> Response:
        session = self._for_party()
        serializer = RescheduleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.validate_start(serializer.validated_data["starts_at"])
        session = services.session_reschedule(
            session=session, by=request.user, **serializer.validated_data
        )
        return self._render(session)

    @extend_schema(
        summary="Cancel a session, with a reason (either side)",
        description="Frees the expert's time; the request goes back to `accepted` so a new "
        "time can be offered or booked. The other side is told.",
        request=ReasonInputSerializer,
        responses={200: SessionSerializer, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        session = self._for_party()
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.session_cancel(
            session=session, by=request.user, reason=serializer.validated_data["reason"]
        )
        return self._render(session)

    @extend_schema(
        summary="Mark a session as held (either side)",
        description="Once it has started: the session is `completed`, the request too.",
        request=None,
        responses={200: SessionSerializer, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        return self._render(services.session_complete(session=self._for_party(), by=request.user))

    @extend_schema(
        summary="Mark a session as a no-show (either side)",
        description="Once it has started; the request goes back to `accepted` to rebook.",
        request=None,
        responses={200: SessionSerializer, **CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request: Request, pk: str) -> Response:
        session = services.session_complete(
            session=self._for_party(), by=request.user, no_show=True
        )
        return self._render(session)

    @extend_schema(
        summary="The session's calendar invitation (.ics)",
        description="METHOD REQUEST, or CANCEL for a cancelled session; the UID never changes "
        "and SEQUENCE rises with each change.",
        responses=ICS,
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, ICalendarRenderer],
        filter_backends=[],
    )
    def ics(self, request: Request, pk: str) -> HttpResponse:
        # The invitation names the attendees: for the two sides only.
        event = selectors.calendar_event(self._for_party())
        method = "CANCEL" if event.cancelled else "REQUEST"
        return _calendar_response(ics.event_ics(event), f"session-{pk}.ics", method)


@extend_schema_view(
    list=extend_schema(
        summary="The slots offered for a request", description="Offered sessions, earliest first."
    ),
)
class SlotOfferViewSet(CallerScopeContextMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = SessionSerializer
    pagination_class = None  # a handful
    filter_backends: list = []

    def _request(self):
        return get_object_or_404(
            exchange_selectors.support_requests_visible_to(user=self.request.user),
            pk=self.kwargs["request_pk"],
        )

    def get_queryset(self) -> QuerySet[Session]:
        return (
            selectors.sessions_visible_to(user=self.request.user)
            .filter(request=self._request(), status=SessionStatus.OFFERED)
            .prefetch_related("changes")
            .order_by("starts_at", "id")
        )

    @extend_schema(
        summary="Ask for other times (the requesting school)",
        description="Releases the slots on offer and offers new ones that suit both sides, "
        "never the same times again. 409 unless the request is `accepted`.",
        request=None,
        responses={201: SessionSerializer(many=True), **CONFLICT},
    )
    def create(self, request: Request, request_pk: str) -> Response:
        support_request = self._request()
        if not access.can_schedule_request(caller_scope(user=request.user), support_request):
            raise PermissionDenied("Only the requesting school can ask for other times.")
        services.slots_offer(support_request_id=support_request.pk, by=request.user, replace=True)
        data = self.get_serializer(self.get_queryset(), many=True).data
        return Response(data, status=status.HTTP_201_CREATED)


class CalendarFeedView(APIView):
    @extend_schema(
        summary="Create my private calendar feed URL",
        description="Subscribe to it from Outlook or Google Calendar. The URL is shown once; "
        "creating a new one revokes the old.",
        request=None,
        responses={201: CalendarFeedSerializer},
    )
    def post(self, request: Request) -> Response:
        token = services.calendar_feed_create(user=request.user)
        url = request.build_absolute_uri(f"/api/v1/calendar/{token}.ics")
        return Response({"url": url}, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke my calendar feed URL",
        request=None,
        responses={204: OpenApiResponse(description="Revoked.")},
    )
    def delete(self, request: Request) -> Response:
        services.calendar_feed_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CalendarFeedIcsView(APIView):
    """The subscription itself: the secret token in the URL is the only credential, as
    calendar clients send no headers."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [renderers.JSONRenderer, ICalendarRenderer]

    @extend_schema(summary="A calendar feed (secret URL)", responses=ICS)
    def get(self, request: Request, token: str) -> HttpResponse:
        user = services.calendar_feed_user(token=token)
        if user is None:
            raise NotFound()
        sessions = selectors.calendar_sessions_of(user=user).select_related(
            "expert__user", "expert__school", "request__school"
        )
        content = ics.feed_ics(
            [selectors.calendar_event(s) for s in sessions], name="Expertise Exchange sessions"
        )
        return _calendar_response(content, "exchange.ics", "PUBLISH")


# The exchange's support requests, with the one transition that reaches every layer below:
# cancelling withdraws the request's proposals and cancels its sessions, in one transaction
# (``services.support_request_cancel``). A comment, not a docstring: drf-spectacular would
# publish a docstring as every operation's description.
class SupportRequestViewSet(ExchangeSupportRequestViewSet):
    @extend_schema(
        summary="Cancel a request (SENCO)",
        request=TransitionInputSerializer,
        responses={200: SupportRequestSerializer, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return self._move(services.support_request_cancel)

"""The library's API: resources, their files, moderation, helpful marks and problem
reports, and the resources a request's experts shared. The URL configuration imports the
viewsets from here."""

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import caller_scope
from config.schema import CONFLICT, error_response
from exchange import selectors as exchange_selectors
from library import access, selectors, services
from library.filters import ProblemReportFilter, ResourceFilter
from library.models import ProblemReport, Resource, ResourceFile
from library.serializers import (
    ApproveInputSerializer,
    FileUploadSerializer,
    FromSessionInputSerializer,
    HelpfulSerializer,
    ProblemReportInputSerializer,
    ProblemReportSerializer,
    RejectInputSerializer,
    ResolveInputSerializer,
    ResourceFileSerializer,
    ResourceInputSerializer,
    ResourceListSerializer,
    ResourceSerializer,
)
from scheduling import selectors as scheduling_selectors

RESOURCE_EXAMPLE = OpenApiExample(
    "A strategy that worked in a class",
    value={
        "title": "Visual timetables for a Year 4 class",
        "summary": "How a class of 30 moved to a shared visual timetable in two weeks.",
        "body": "## Why\n\nPupils with ASD asked *what next?* many times a lesson.\n\n"
        "## How\n\n1. Photograph each activity.\n2. Pin the day on the wall.",
        "links": [{"title": "Templates", "url": "https://example.org/timetables"}],
        "needs": ["ASD", "SLCN"],
        "topics": ["visual-timetables"],
        "phases": ["primary"],
        "evidence_level": "evaluated_in_school",
        "outcome_reference": "Staff confidence 2 → 4 (5-point scale), spring term review.",
        "visibility": "everyone",
    },
    request_only=True,
)
RESEARCH_EXAMPLE = OpenApiExample(
    "Research-backed",
    value={
        "title": "Pre-teaching vocabulary",
        "summary": "Introducing key words before a lesson for pupils with DLD.",
        "evidence_level": "research_backed",
        "citation": "Ebbels, S. et al. (2019). Effectiveness of 1:1 speech and language "
        "therapy for older children with DLD. IJLCD 54(1).",
        "visibility": "trust",
    },
    request_only=True,
)

# What a list does not show: the bodies stay in the database.
LIST_DEFERS = ("body", "body_html", "links")

FILE_DOWNLOAD = {
    (200, "application/octet-stream"): OpenApiResponse(
        OpenApiTypes.BINARY,
        description="The file, as an attachment (`Content-Disposition: attachment`, "
        "`X-Content-Type-Options: nosniff`), with the type read from its content.",
    )
}


def _tags(data: dict) -> services.Tags:
    return services.Tags(
        needs=data.pop("needs", None),
        topics=data.pop("topics", None),
        phases=data.pop("phases", None),
    )


@extend_schema_view(
    list=extend_schema(
        summary="Search and list resources",
        description="Approved resources the caller may see (by their visibility), plus any "
        "they take part in (as author, or a side of the session it came from) whatever its "
        "status; admins see all. `search` ranks by relevance; the filters combine.",
    ),
    retrieve=extend_schema(summary="Retrieve a resource, with its body and files"),
    destroy=extend_schema(
        summary="Delete a resource that is not approved (its author)",
        responses={204: None, **CONFLICT},
    ),
)
class ResourceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    filterset_class = ResourceFilter
    ordering_fields = ["created_at", "approved_at", "title", "review_by"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self) -> type:
        return ResourceListSerializer if self.action == "list" else ResourceSerializer

    def get_queryset(self) -> QuerySet[Resource]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Resource.objects.none()
        resources = selectors.resources_visible_to(user=self.request.user)
        return resources.defer(*LIST_DEFERS) if self.action == "list" else resources

    def _input(self, data: Any, instance: Resource | None = None) -> ResourceInputSerializer:
        """The input, validated; its foreign keys are checked against the caller's scope."""
        user = self.request.user
        own_sessions = scheduling_selectors.sessions_visible_to(user=user).filter(
            access.linkable_sessions(caller_scope(user=user))
        )
        serializer = ResourceInputSerializer(
            instance,
            data=data,
            partial=instance is not None,
            requests=exchange_selectors.support_requests_visible_to(user=user),
            sessions=own_sessions,
        )
        serializer.is_valid(raise_exception=True)
        return serializer

    def _render(self, resource: Resource, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=resource.pk)
        return Response(ResourceSerializer(fresh, context=self.get_serializer_context()).data, code)

    def _for_author(self) -> Resource:
        resource = self.get_object()
        if not access.can_edit(caller_scope(user=self.request.user), resource):
            raise PermissionDenied("Only the author can change a resource.")
        return resource

    def _for_admin(self) -> Resource:
        resource = self.get_object()
        if not access.can_moderate(caller_scope(user=self.request.user)):
            raise PermissionDenied("Only admins moderate the library.")
        return resource

    @extend_schema(
        summary="Write a resource (experts, admins)",
        description="Created as a `draft`, visible only to its participants; submit it for "
        "review when ready. Evaluated in a school needs `outcome_request` or "
        "`outcome_reference`; research-backed needs `citation`. `trust` visibility needs the "
        "author's school to be in a trust.",
        request=ResourceInputSerializer,
        responses={201: ResourceSerializer},
        examples=[RESOURCE_EXAMPLE, RESEARCH_EXAMPLE],
    )
    def create(self, request: Request) -> Response:
        if not access.can_author(caller_scope(user=request.user)):
            raise PermissionDenied("Only experts and admins write resources.")
        data = dict(self._input(request.data).validated_data)
        tags = _tags(data)
        resource = services.resource_create(by=request.user, tags=tags, **data)
        return self._render(resource, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a resource (its author, before approval)",
        request=ResourceInputSerializer,
        responses={200: ResourceSerializer, **CONFLICT},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        resource = self._for_author()
        data = dict(self._input(request.data, instance=resource).validated_data)
        tags = _tags(data)
        resource = services.resource_update(resource=resource, by=request.user, tags=tags, **data)
        return self._render(resource)

    def destroy(self, request: Request, pk: str) -> Response:
        services.resource_delete(resource=self._for_author(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Turn a held session's notes into a draft resource (the session's expert)",
        description="One call: the draft's body is filled from the session's notes, its tags "
        "from the request (needs, topics, phase), its visibility is the session's "
        "participants. 404 for a session that is not yours; 409 `session_not_completed` "
        "before it was held.",
        request=FromSessionInputSerializer,
        responses={201: ResourceSerializer, 404: error_response(404), **CONFLICT},
        examples=[
            OpenApiExample(
                "From a session",
                value={
                    "session": 42,
                    "title": "Calm transitions after lunch",
                    "summary": "What the observation visit suggested for the Year 4 class.",
                },
                request_only=True,
            )
        ],
    )
    @action(detail=False, methods=["post"], url_path="from-session", filter_backends=[])
    def from_session(self, request: Request) -> Response:
        serializer = FromSessionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        scope = caller_scope(user=request.user)
        session = get_object_or_404(
            scheduling_selectors.sessions_visible_to(user=request.user), pk=data["session"]
        )
        if not access.can_draft_from_session(scope, session):
            raise PermissionDenied("Only the session's expert can turn it into a resource.")
        resource = services.resource_draft_from_session(
            session=session, by=request.user, title=data["title"], summary=data["summary"]
        )
        return self._render(resource, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Submit a resource for an admin's review (its author)",
        description="`draft` or `rejected` → `pending`. It needs a body, a link or a file.",
        request=None,
        responses={200: ResourceSerializer, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._render(services.resource_submit(resource=self._for_author(), by=request.user))

    @extend_schema(
        summary="Approve a resource (admins)",
        description="`pending` → `approved`, or `approved` again to renew the review-by "
        "date. It becomes visible as its visibility says; the author is notified. After "
        "`review_by` it is flagged `needs_review`.",
        request=ApproveInputSerializer,
        responses={200: ResourceSerializer, **CONFLICT},
        examples=[
            OpenApiExample("Review in a year", value={"review_by": "2027-12-01"}, request_only=True)
        ],
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        resource = self._for_admin()
        serializer = ApproveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        resource = services.resource_approve(
            resource=resource, by=request.user, review_by=serializer.validated_data.get("review_by")
        )
        return self._render(resource)

    @extend_schema(
        summary="Reject a resource, with a reason (admins)",
        description="`pending` or `approved` → `rejected`: only its participants see it; the "
        "author is notified with the reason and may edit and resubmit it.",
        request=RejectInputSerializer,
        responses={200: ResourceSerializer, **CONFLICT},
        examples=[
            OpenApiExample(
                "Needs outcome data",
                value={"reason": "Please link the review that shows the outcome."},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        resource = self._for_admin()
        serializer = RejectInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        resource = services.resource_reject(
            resource=resource, by=request.user, reason=serializer.validated_data["reason"]
        )
        return self._render(resource)

    @extend_schema(
        summary="Mark a resource helpful (readers, once each)",
        description="201 the first time, 200 when the caller had already marked it. The "
        "author cannot mark their own (403).",
        request=None,
        responses={200: HelpfulSerializer, 201: HelpfulSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def helpful(self, request: Request, pk: str) -> Response:
        resource = self.get_object()
        if not access.can_mark_helpful(caller_scope(user=request.user), resource):
            raise PermissionDenied("Authors cannot mark their own resource helpful.")
        added = services.helpful_mark(resource=resource, user=request.user)
        return self._helpful(resource, status.HTTP_201_CREATED if added else status.HTTP_200_OK)

    @extend_schema(
        summary="Take back my helpful mark",
        request=None,
        responses={200: HelpfulSerializer},
    )
    @helpful.mapping.delete
    def unhelpful(self, request: Request, pk: str) -> Response:
        resource = self.get_object()
        services.helpful_unmark(resource=resource, user=request.user)
        return self._helpful(resource, status.HTTP_200_OK)

    def _helpful(self, resource: Resource, code: int) -> Response:
        fresh = self.get_queryset().get(pk=resource.pk)
        data = {"helpful_count": fresh.helpful_count, "marked_helpful": fresh.marked_helpful}  # type: ignore[attr-defined]
        return Response(data, status=code)

    @extend_schema(
        summary="Report a problem with a resource (readers)",
        description="Out of date, wrong, or identifying a pupil: admins see the reports.",
        request=ProblemReportInputSerializer,
        responses={201: ProblemReportSerializer},
        examples=[
            OpenApiExample(
                "Broken link",
                value={"reason": "The template link no longer works."},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reports(self, request: Request, pk: str) -> Response:
        resource = self.get_object()
        serializer = ProblemReportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.problem_report(
            resource=resource, by=request.user, reason=serializer.validated_data["reason"]
        )
        report = selectors.problem_reports().get(pk=report.pk)
        return Response(ProblemReportSerializer(report).data, status=status.HTTP_201_CREATED)


class ResourceFileViewSet(viewsets.GenericViewSet):
    serializer_class = ResourceFileSerializer
    filter_backends: list = []
    pagination_class = None
    # Uploads only; the other operations take no body.
    parser_classes = [parsers.MultiPartParser]

    def _resource(self) -> Resource:
        return get_object_or_404(
            selectors.resources_visible_to(user=self.request.user), pk=self.kwargs["resource_pk"]
        )

    def get_queryset(self) -> QuerySet[ResourceFile]:
        if getattr(self, "swagger_fake_view", False):
            return ResourceFile.objects.none()
        return ResourceFile.objects.filter(resource=self._resource())

    def _check_author(self, resource: Resource) -> None:
        if not access.can_edit(caller_scope(user=self.request.user), resource):
            raise PermissionDenied("Only the author can change a resource's files.")

    @extend_schema(
        summary="Attach a file to a resource (its author, before approval)",
        description="`multipart/form-data` with `file`. Refused with 400: larger than the "
        "limit (`file_too_large`, `LIBRARY_MAX_FILE_MB`), a type not accepted "
        "(`file_type_not_allowed`), or content that is not what the extension says "
        "(`file_content_mismatch`: a PDF renamed .docx, a program renamed .pdf).",
        request={"multipart/form-data": FileUploadSerializer},
        responses={201: ResourceFileSerializer, **CONFLICT},
    )
    def create(self, request: Request, resource_pk: str) -> Response:
        resource = self._resource()
        self._check_author(resource)
        serializer = FileUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = services.resource_file_add(
            resource=resource, by=request.user, upload=serializer.validated_data["file"]
        )
        return Response(ResourceFileSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a file from a resource (its author, before approval)",
        responses={204: None, **CONFLICT},
    )
    def destroy(self, request: Request, resource_pk: str, pk: str) -> Response:
        file = self.get_object()
        self._check_author(file.resource)
        services.resource_file_delete(file=file, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Download a resource's file", responses=FILE_DOWNLOAD)
    @action(detail=True, methods=["get"])
    def download(self, request: Request, resource_pk: str, pk: str) -> FileResponse:
        file = self.get_object()
        response = FileResponse(
            file.file.open("rb"),
            as_attachment=True,
            filename=file.name,
            content_type=file.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response


@extend_schema_view(
    list=extend_schema(
        summary="The resources a request's experts shared",
        description="Resources written from the request's sessions, as far as the caller "
        "may see them (404 when the request is outside the caller's scope).",
    ),
)
class RequestResourceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ResourceListSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Resource]:
        if getattr(self, "swagger_fake_view", False):
            return Resource.objects.none()
        request_id = self.kwargs["request_pk"]
        visible = exchange_selectors.support_requests_visible_to(user=self.request.user)
        # Only whether the caller sees the request: none of what its own page shows.
        if not visible.prefetch_related(None).filter(pk=request_id).exists():
            raise NotFound()
        resources = selectors.resources_shared_for_request(
            user=self.request.user, request_id=request_id
        )
        return resources.defer(*LIST_DEFERS)


@extend_schema_view(
    list=extend_schema(summary="Problem reports on resources (admins)"),
    retrieve=extend_schema(summary="Retrieve a problem report (admins)"),
)
class ProblemReportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = ProblemReportSerializer
    filterset_class = ProblemReportFilter
    ordering = ["-created_at", "-id"]
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet[ProblemReport]:
        if getattr(self, "swagger_fake_view", False):
            return ProblemReport.objects.none()
        if not access.can_moderate(caller_scope(user=self.request.user)):
            raise PermissionDenied("Only admins see problem reports.")
        return selectors.problem_reports()

    @extend_schema(
        summary="Resolve a problem report (admins)",
        request=ResolveInputSerializer,
        responses={200: ProblemReportSerializer, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        report = self.get_object()
        serializer = ResolveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.problem_report_resolve(
            report=report,
            by=request.user,
            resolution=serializer.validated_data.get("resolution", ""),
        )
        return Response(ProblemReportSerializer(report).data)

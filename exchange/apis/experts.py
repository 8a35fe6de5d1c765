"""Expert profiles, the directory, and an expert's availability and credentials."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import caller_scope
from accounts.models import School
from config.pagination import RowsListMixin
from config.schema import CONFLICT, error_response
from exchange import access, pages, selectors, services
from exchange.filters import ExpertFilter
from exchange.models import (
    AvailabilityException,
    AvailabilityWindow,
    Credential,
    ExpertProfile,
)
from exchange.serializers import (
    AvailabilityExceptionInputSerializer,
    AvailabilityExceptionSerializer,
    AvailabilityWindowInputSerializer,
    AvailabilityWindowSerializer,
    CredentialInputSerializer,
    CredentialSerializer,
    ExpertPrivateSerializer,
    ExpertProfileInputSerializer,
    ExpertSerializer,
    SafeguardingInputSerializer,
)


def _render_expert(request: Request, expert: ExpertProfile, **kwargs: object) -> Response:
    private = access.sees_expert_personal_details(caller_scope(user=request.user), expert)
    serializer_class = ExpertPrivateSerializer if private else ExpertSerializer
    return Response(serializer_class(expert).data, **kwargs)  # type: ignore[arg-type]


@extend_schema_view(
    list=extend_schema(
        summary="List experts",
        description=(
            "The expert directory: verified, unsuspended experts (plus your own profile, and "
            "your school's experts if you are its SENCO). No personal contact details. "
            "`near` (a school URN) adds `distance_km` and sorts by it; `within_km` limits it."
        ),
    ),
    retrieve=extend_schema(
        summary="Retrieve an expert",
        description=(
            "The directory view. The expert, their employer's SENCO and admins get the "
            "`ExpertPrivate` view instead: the same fields plus personal details (`full_name`, "
            "`email`, suspension and safeguarding dates)."
        ),
        responses=ExpertSerializer,
    ),
)
class ExpertViewSet(
    RowsListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = ExpertSerializer
    filterset_class = ExpertFilter
    search_fields = ["bio", "school__name"]
    ordering_fields = ["id", "max_travel_km", "sessions_per_month"]
    ordering = None  # keeps the distance order of `near`

    def get_queryset(self) -> QuerySet[ExpertProfile]:
        return selectors.experts_visible_to(user=self.request.user)

    # The directory's JSON from plain rows (exchange/pages.py).
    list_rows = staticmethod(pages.expert_rows)
    render_rows = staticmethod(pages.experts)

    def retrieve(self, request: Request, *args: object, **kwargs: object) -> Response:
        return _render_expert(request, self.get_object())

    @extend_schema(
        summary="Register your expert profile",
        request=ExpertProfileInputSerializer(school_queryset=School.objects.none()),
        responses={201: ExpertPrivateSerializer, **CONFLICT},
        examples=[
            OpenApiExample(
                "Autism specialist",
                request_only=True,
                value={
                    "school": 140089,
                    "bio": "Autism lead teacher; 12 years in a special school.",
                    "formats": ["observation_visit", "consultation", "video_call"],
                    "phases": ["primary", "secondary"],
                    "max_travel_km": 25,
                    "sessions_per_week": 1,
                    "sessions_per_month": 4,
                    "specialisms": [
                        {"need": "ASD", "level": "lead"},
                        {"topic": "sensory-regulation", "level": "specialist"},
                    ],
                },
            )
        ],
    )
    def create(self, request: Request) -> Response:
        serializer = ExpertProfileInputSerializer(
            data=request.data,
            school_queryset=selectors.schools_for_expert_profile(user=request.user),
        )
        serializer.is_valid(raise_exception=True)
        expert = services.expert_profile_create(user=request.user, **serializer.validated_data)
        expert = self.get_queryset().get(pk=expert.pk)
        return _render_expert(request, expert, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Update your expert profile",
        description="`specialisms`, when given, replace the whole set.",
        request=ExpertProfileInputSerializer,
        responses=ExpertPrivateSerializer,
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        expert = self._own_expert()
        serializer = ExpertProfileInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.expert_profile_update(expert=expert, **serializer.validated_data)
        return _render_expert(request, self.get_queryset().get(pk=expert.pk))

    @extend_schema(
        summary="Your own expert profile",
        responses={200: ExpertPrivateSerializer, 400: error_response(400)},
    )
    @action(detail=False, methods=["get"])
    def me(self, request: Request) -> Response:
        expert = selectors.expert_of(user=request.user)
        if expert is None:
            raise ValidationError({"non_field_errors": ["You have no expert profile yet."]})
        return _render_expert(request, expert)

    @extend_schema(
        summary="Confirm the expert's safeguarding checks (employer)",
        description=(
            "The SENCO of the expert's home school (the employer) confirms that safeguarding "
            "checks were done, until `expires_on`. No DBS number or certificate is stored."
        ),
        request=SafeguardingInputSerializer,
        responses=ExpertPrivateSerializer,
    )
    @action(detail=True, methods=["post"], url_path="confirm-safeguarding")
    def confirm_safeguarding(self, request: Request, pk: str) -> Response:
        expert = self.get_object()
        if not access.can_confirm_safeguarding(caller_scope(user=request.user), expert):
            raise PermissionDenied("Only the expert's employer (its SENCO) can confirm this.")
        serializer = SafeguardingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.expert_confirm_safeguarding(
            expert=expert, confirmed_by=request.user, **serializer.validated_data
        )
        return _render_expert(request, self.get_queryset().get(pk=expert.pk))

    def _own_expert(self) -> ExpertProfile:
        expert = self.get_object()
        if not access.can_edit_expert(caller_scope(user=self.request.user), expert):
            raise PermissionDenied("Only the expert can change their profile.")
        return expert


class _ExpertChildViewSet(viewsets.GenericViewSet):
    """Resources under /experts/{expert_pk}/: readable by whoever sees the expert, writable
    by the expert (and admins). Subclasses name their input serializer and services."""

    pagination_class = None  # a handful per expert
    filter_backends: list = []
    input_serializer_class: type[serializers.Serializer]

    def get_expert(self) -> ExpertProfile:
        experts = selectors.experts_visible_to(user=self.request.user)
        return get_object_or_404(experts, pk=self.kwargs["expert_pk"])

    def get_writable_expert(self) -> ExpertProfile:
        expert = self.get_expert()
        if not access.can_edit_expert(caller_scope(user=self.request.user), expert):
            raise PermissionDenied("Only the expert can change this.")
        return expert

    def get_writable_object(self):  # type: ignore[no-untyped-def]
        expert = self.get_writable_expert()
        return get_object_or_404(self.child_queryset(expert), pk=self.kwargs["pk"])

    def get_queryset(self) -> QuerySet:
        return self.child_queryset(self.get_expert())

    def validated(self) -> dict:
        serializer = self.input_serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def create(self, request: Request, expert_pk: str) -> Response:
        item = self.create_child(expert=self.get_writable_expert(), **self.validated())
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, expert_pk: str, pk: str) -> Response:
        self.delete_child(self.get_writable_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def child_queryset(self, expert: ExpertProfile) -> QuerySet:
        raise NotImplementedError

    def create_child(self, *, expert: ExpertProfile, **data: object) -> object:
        raise NotImplementedError

    def delete_child(self, item: object) -> None:
        raise NotImplementedError


@extend_schema_view(
    list=extend_schema(summary="List an expert's weekly availability", tags=["experts"]),
    create=extend_schema(
        summary="Add a weekly availability window",
        request=AvailabilityWindowInputSerializer,
        tags=["experts"],
    ),
    update=extend_schema(
        summary="Change a weekly availability window",
        request=AvailabilityWindowInputSerializer,
        tags=["experts"],
    ),
    destroy=extend_schema(summary="Remove a weekly availability window", tags=["experts"]),
)
class AvailabilityWindowViewSet(mixins.ListModelMixin, _ExpertChildViewSet):
    serializer_class = AvailabilityWindowSerializer
    input_serializer_class = AvailabilityWindowInputSerializer
    queryset = AvailabilityWindow.objects.none()  # for the schema only: get_queryset scopes

    def child_queryset(self, expert: ExpertProfile) -> QuerySet[AvailabilityWindow]:
        return selectors.availability_windows_of(expert=expert)

    def create_child(self, **data):  # type: ignore[no-untyped-def]
        return services.availability_window_create(**data)

    def delete_child(self, item: AvailabilityWindow) -> None:  # type: ignore[override]
        services.availability_window_delete(window=item)

    def update(self, request: Request, expert_pk: str, pk: str) -> Response:
        window = services.availability_window_update(
            window=self.get_writable_object(), **self.validated()
        )
        return Response(self.get_serializer(window).data)


@extend_schema_view(
    list=extend_schema(summary="List an expert's dated availability exceptions", tags=["experts"]),
    create=extend_schema(
        summary="Add a day off or one-off extra availability",
        request=AvailabilityExceptionInputSerializer,
        tags=["experts"],
    ),
    destroy=extend_schema(summary="Remove an availability exception", tags=["experts"]),
)
class AvailabilityExceptionViewSet(mixins.ListModelMixin, _ExpertChildViewSet):
    serializer_class = AvailabilityExceptionSerializer
    input_serializer_class = AvailabilityExceptionInputSerializer
    queryset = AvailabilityException.objects.none()  # for the schema only: get_queryset scopes

    def child_queryset(self, expert: ExpertProfile) -> QuerySet[AvailabilityException]:
        return selectors.availability_exceptions_of(expert=expert)

    def create_child(self, **data):  # type: ignore[no-untyped-def]
        return services.availability_exception_create(**data)

    def delete_child(self, item: AvailabilityException) -> None:  # type: ignore[override]
        services.availability_exception_delete(exception=item)


@extend_schema_view(
    list=extend_schema(summary="List an expert's credentials", tags=["experts"]),
    create=extend_schema(
        summary="Add a credential (pending until an admin verifies it)",
        request=CredentialInputSerializer,
        tags=["experts"],
    ),
    destroy=extend_schema(summary="Remove a credential", tags=["experts"]),
)
class CredentialViewSet(mixins.ListModelMixin, _ExpertChildViewSet):
    serializer_class = CredentialSerializer
    input_serializer_class = CredentialInputSerializer
    queryset = Credential.objects.none()  # for the schema only: get_queryset scopes

    def child_queryset(self, expert: ExpertProfile) -> QuerySet[Credential]:
        return selectors.credentials_of(expert=expert)

    def create_child(self, **data):  # type: ignore[no-untyped-def]
        return services.credential_add(**data)

    def delete_child(self, item: Credential) -> None:  # type: ignore[override]
        services.credential_delete(credential=item)

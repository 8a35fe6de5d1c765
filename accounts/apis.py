from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.authentication import TokenAuthentication
from accounts.filters import SchoolFilter, SchoolSearchFilter
from accounts.models import School, Trust
from accounts.serializers import (
    MeSerializer,
    MeUpdateInputSerializer,
    SchoolSerializer,
    TokenObtainInputSerializer,
    TokenSerializer,
    TrustSerializer,
)
from config.filtering import FilterBackend
from config.schema import ErrorSerializer, error_response
from config.throttling import AnonThrottle, AuthThrottle

AUTH_TAG = "auth"


def _token_response(instance, secret: str) -> Response:  # type: ignore[no-untyped-def]
    body = TokenSerializer({"token": secret, "expiry": instance.expiry}).data
    return Response(body, status=status.HTTP_201_CREATED)


class TokenObtainView(APIView):
    # Token auth only: no session, so no CSRF check; it also makes bad credentials a 401
    # with a WWW-Authenticate challenge rather than a 403.
    authentication_classes = [TokenAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [AuthThrottle, AnonThrottle]

    @extend_schema(
        tags=[AUTH_TAG],
        summary="Obtain an API token",
        description=(
            "Exchanges an email address and password for a token that expires "
            "(`expiry`) and can be revoked. Throttled more strictly than other endpoints "
            "(429 `throttled`), and after `LOGIN_FAILURE_LIMIT` failed attempts for one email "
            "address from one client IP, that pair is locked out for `LOGIN_COOLOFF_MINUTES` "
            "(429 `locked_out`, even with the right password). The response is never cached."
        ),
        request=TokenObtainInputSerializer,
        responses={
            201: TokenSerializer,
            401: error_response(401),
            429: OpenApiResponse(
                ErrorSerializer,
                description="`throttled` or `locked_out`: see `details.retry_after` and the "
                "Retry-After header.",
            ),
        },
        examples=[
            OpenApiExample(
                "Sign in",
                value={"email": "senco@example.org", "password": "correct horse"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenObtainInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        return _token_response(*services.token_create(user=user, sign_in=request))


class _TokenView(APIView):
    # Token management needs the token itself, not a browser session.
    authentication_classes = [TokenAuthentication]


class TokenRefreshView(_TokenView):
    @extend_schema(
        tags=[AUTH_TAG],
        summary="Refresh (rotate) the current token",
        description="Revokes the token used for this call and returns a new one with a new expiry.",
        request=None,
        responses={201: TokenSerializer},
    )
    def post(self, request: Request) -> Response:
        return _token_response(*services.token_refresh(token=request.auth))


class TokenRevokeView(_TokenView):
    @extend_schema(
        tags=[AUTH_TAG],
        summary="Revoke the current token (sign out)",
        request=None,
        responses={204: None},
    )
    def post(self, request: Request) -> Response:
        services.token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRevokeAllView(_TokenView):
    @extend_schema(
        tags=[AUTH_TAG],
        summary="Revoke every token of the current user (sign out everywhere)",
        request=None,
        responses={204: None},
    )
    def post(self, request: Request) -> Response:
        services.token_revoke_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    def _render(self, request: Request) -> Response:
        memberships = list(selectors.memberships_of(user=request.user))
        return Response(MeSerializer(request.user, context={"memberships": memberships}).data)

    @extend_schema(
        tags=["me"],
        summary="The signed-in user, their memberships and roles",
        responses=MeSerializer,
    )
    def get(self, request: Request) -> Response:
        return self._render(request)

    @extend_schema(
        tags=["me"],
        summary="Update the signed-in user's name",
        request=MeUpdateInputSerializer,
        responses=MeSerializer,
    )
    def patch(self, request: Request) -> Response:
        serializer = MeUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_update_profile(user=request.user, **serializer.validated_data)
        return self._render(request)


@extend_schema_view(
    list=extend_schema(
        summary="List schools",
        description=(
            "The GIAS school directory. Open schools are visible to every signed-in user; "
            "closed ones only to platform admins and the school's own members. `search` "
            "matches name and postcode, and a number matches the URN."
        ),
    ),
    retrieve=extend_schema(summary="Retrieve a school by URN"),
)
class SchoolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SchoolSerializer
    filterset_class = SchoolFilter
    filter_backends = [FilterBackend, SchoolSearchFilter, OrderingFilter]
    ordering_fields = ["name", "urn", "town", "postcode"]
    ordering = ["name", "urn"]
    lookup_field = "urn"
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[School]:
        return selectors.schools_visible_to(user=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List trusts"),
    retrieve=extend_schema(summary="Retrieve a trust by its GIAS code"),
)
class TrustViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TrustSerializer
    search_fields = ["name", "=code"]
    ordering_fields = ["name", "code"]
    ordering = ["name"]
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[Trust]:
        return selectors.trusts_visible_to(user=self.request.user)

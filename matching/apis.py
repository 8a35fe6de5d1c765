from django.db.models import QuerySet
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import caller_scope
from config.filtering import IdFilter
from config.pagination import RowsListMixin
from config.schema import CONFLICT
from exchange import pages as exchange_pages
from exchange import selectors as exchange_selectors
from matching import access, pages, selectors, services
from matching.enums import ProposalStatus
from matching.models import MatchingRun, Proposal, UnmatchedRequest
from matching.serializers import (
    DeclineInputSerializer,
    MatchingPolicyInputSerializer,
    MatchingPolicySerializer,
    MatchingRunSerializer,
    ProposalSerializer,
    UnmatchedRequestSerializer,
)


class ProposalFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=ProposalStatus.choices)
    request = IdFilter(field_name="request_id")

    class Meta:
        model = Proposal
        fields = ["status", "request"]


@extend_schema_view(
    list=extend_schema(
        summary="List proposals (an expert's inbox)",
        description="Experts see the proposals made to them; school staff, SENCOs and trust "
        "coordinators the proposals for their schools' requests; admins all.",
    ),
    retrieve=extend_schema(summary="Retrieve a proposal with its explanation"),
)
class ProposalViewSet(
    RowsListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = ProposalSerializer
    filterset_class = ProposalFilter
    ordering_fields = ["created_at", "score", "expires_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Proposal]:
        answering = self.action in {"accept", "decline"}
        return selectors.proposals_visible_to(user=self.request.user, answering=answering)

    # The inbox's JSON from plain rows (matching/pages.py).
    list_rows = staticmethod(pages.proposal_rows)
    render_rows = staticmethod(pages.proposals)

    def _own_proposal(self) -> Proposal:
        proposal = self.get_object()
        if not access.can_answer_proposal(caller_scope(user=self.request.user), proposal):
            raise PermissionDenied("Only the proposed expert can answer a proposal.")
        return proposal

    def _render(self, proposal: Proposal) -> Response:
        return Response(ProposalSerializer(self.get_queryset().get(pk=proposal.pk)).data)

    @extend_schema(
        summary="Accept a proposal (the proposed expert)",
        description="The request becomes `accepted` and its other proposals are withdrawn. "
        "409 when the proposal is no longer open, has expired, another expert accepted "
        "first, or the expert's monthly capacity is used up.",
        request=None,
        responses={200: ProposalSerializer, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        proposal = services.proposal_accept(proposal=self._own_proposal(), by=request.user)
        return self._render(proposal)

    @extend_schema(
        summary="Decline a proposal, with a reason (the proposed expert)",
        description="The request is matched again without this expert.",
        request=DeclineInputSerializer,
        responses={200: ProposalSerializer, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        proposal = self._own_proposal()
        serializer = DeclineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = services.proposal_decline(
            proposal=proposal,
            by=request.user,
            reason=serializer.validated_data["reason"],
            code=serializer.validated_data["reason_code"],
        )
        return self._render(proposal)


@extend_schema_view(
    list=extend_schema(
        summary="The experts proposed for a request, with explanations",
        description="Best first. Visible to whoever can see the request.",
    ),
)
class RequestProposalViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ProposalSerializer
    pagination_class = None  # a handful per request
    filter_backends: list = []

    def list(self, request: Request, request_pk: str) -> Response:
        # The same JSON as ProposalSerializer, from plain rows (matching/pages.py): the
        # request read once, with its visibility (a 404 when the caller cannot see it).
        scope = caller_scope(user=request.user)
        visible = exchange_selectors.support_requests_visible_to(user=request.user, scope=scope)
        rows = list(exchange_pages.support_request_rows(visible.filter(pk=request_pk)))
        if not rows:
            raise Http404
        support_request = exchange_pages.support_requests(rows, scope)[0]
        proposals = selectors.proposals_of_request(
            support_request=support_request["id"], user=request.user, scope=scope
        ).order_by("rank", "id")
        page = pages.proposals(
            list(pages.proposal_rows(proposals)), {support_request["id"]: support_request}
        )
        return Response(page)


@extend_schema_view(
    list=extend_schema(summary="List matching rounds (admins)"),
    retrieve=extend_schema(summary="Retrieve a matching round (admins)"),
)
class MatchingRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = MatchingRunSerializer
    permission_classes = [IsAdminUser]
    filterset_fields = ["status", "trigger"]
    ordering = ["-started_at", "-id"]

    def get_queryset(self) -> QuerySet[MatchingRun]:
        return selectors.matching_runs()

    @extend_schema(
        summary="Start a matching round now (admins)",
        description="Queued for a worker; poll the list for its result.",
        request=None,
        responses={202: OpenApiResponse(description="Queued.")},
    )
    def create(self, request: Request) -> Response:
        services.matching_round_request(by=request.user)
        return Response(status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="The requests a round left unmatched, and why (admins)",
        responses=UnmatchedRequestSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def unmatched(self, request: Request, pk: str) -> Response:
        rows = UnmatchedRequest.objects.filter(run=self.get_object()).order_by("id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(UnmatchedRequestSerializer(page, many=True).data)


class MatchingPolicyView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        summary="The active matching policy (admins)", responses=MatchingPolicySerializer
    )
    def get(self, request: Request) -> Response:
        return Response(MatchingPolicySerializer(selectors.matching_policy_active()).data)

    @extend_schema(
        summary="Change the matching policy (admins): publishes a new version",
        description="Send any subset of the settings; the others carry over. Earlier "
        "versions stay unchanged, and every proposal names the version that made it.",
        request=MatchingPolicyInputSerializer,
        responses={201: MatchingPolicySerializer},
    )
    def patch(self, request: Request) -> Response:
        serializer = MatchingPolicyInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        policy = services.matching_policy_publish(by=request.user, **serializer.validated_data)
        return Response(MatchingPolicySerializer(policy).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(summary="Every matching policy version (admins)"))
class MatchingPolicyVersionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = MatchingPolicySerializer
    permission_classes = [IsAdminUser]
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        return selectors.matching_policies()

"""The knowledge app's API: feedback on sessions, a request's goals and staff confidence,
outcome reviews. Each view validates with an input serializer, calls one service, renders
with an output serializer; access rules are ``knowledge.access``'s."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import caller_scope
from config.filtering import IdFilter
from config.schema import CONFLICT, error_response
from exchange import access as exchange_access
from exchange import selectors as exchange_selectors
from exchange.models import SupportRequest
from knowledge import access, selectors, services
from knowledge.enums import ReviewStatus, Side
from knowledge.models import Feedback, Goal, OutcomeReview, StaffConfidence
from knowledge.serializers import (
    ConfidenceInputSerializer,
    ConfidenceSerializer,
    FeedbackInputSerializer,
    FeedbackSerializer,
    FeedbackUpdateSerializer,
    GoalInputSerializer,
    GoalSerializer,
    ReviewInputSerializer,
    ReviewSerializer,
    ReviewStateSerializer,
    SkipInputSerializer,
)
from scheduling import selectors as scheduling_selectors

FEEDBACK_EXAMPLE = {
    "id": 7,
    "session": 12,
    "request": 31,
    "side": "school",
    "author_name": "Priya Shah",
    "useful": 5,
    "practical": 4,
    "would_recommend": 5,
    "comments": "The visual timetable ideas worked from the next morning.",
    "report": None,
    "created_at": "2027-01-14T16:02:00Z",
    "updated_at": "2027-01-14T16:02:00Z",
    "editable_until": "2027-01-21T16:02:00Z",
}
GOAL_EXAMPLE = {
    "description": "Pupils in the class move between activities without leaving the room.",
    "expected_outcome": "Most transitions in a day happen with a visual prompt only.",
    "baseline": -1,
    "weight": 1,
}
REVIEW_EXAMPLE = {
    "id": 3,
    "request": 31,
    "status": "completed",
    "skip_reason": "",
    "t_score": 63.69,
    "attainments": [
        {
            "goal": 1,
            "position": 1,
            "description": "Calmer transitions",
            "baseline": -1,
            "weight": 1,
            "attainment": 1,
        },
        {
            "goal": 2,
            "position": 2,
            "description": "Sensory breaks planned",
            "baseline": -2,
            "weight": 1,
            "attainment": 2,
        },
        {
            "goal": 3,
            "position": 3,
            "description": "Staff use visual timetables",
            "baseline": -1,
            "weight": 1,
            "attainment": 0,
        },
    ],
    "confidence_before": 2.0,
    "confidence_after": 4,
    "confidence_change": 2.0,
    "practice_changed": True,
    "practice_change": "Every class in Year 4 now starts the day with a visual timetable.",
    "more_support_needed": False,
    "specialist_placement_considered": False,
    "reviewed_at": "2027-03-01T10:00:00Z",
}


class FeedbackFilter(django_filters.FilterSet):
    session = IdFilter(field_name="session_id")
    request = IdFilter(field_name="session__request_id")
    side = django_filters.ChoiceFilter(choices=Side.choices)

    class Meta:
        model = Feedback
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(
        summary="List feedback on sessions",
        description="Feedback the caller's side gave or received: the requesting school's "
        "staff and SENCOs and the session's expert see a session's feedback; admins all. "
        "Trust coordinators and other schools see none.",
        examples=[
            OpenApiExample("A school's feedback", value=FEEDBACK_EXAMPLE, response_only=True)
        ],
    ),
    retrieve=extend_schema(
        summary="Retrieve feedback",
        examples=[
            OpenApiExample("A school's feedback", value=FEEDBACK_EXAMPLE, response_only=True)
        ],
    ),
)
class FeedbackViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = FeedbackSerializer
    filterset_class = FeedbackFilter
    ordering_fields = ["created_at"]
    ordering = ["created_at", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Feedback]:
        return selectors.feedback_visible_to(user=self.request.user)

    def _render(self, feedback: Feedback, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=feedback.pk)).data, code)

    @extend_schema(
        summary="Give feedback on a session (its participants, once each)",
        description="After a session is held (or marked a no-show), each participant rates it "
        "once: the school's staff and SENCOs who attended, and the expert, who also records "
        "what was covered and the next steps agreed (`covered`, `next_steps`). Anyone else "
        "who sees the session gets 403; a second answer 409 `feedback_given`; a session not "
        "held 409 `session_not_held`.",
        request=FeedbackInputSerializer,
        responses={201: FeedbackSerializer, 404: error_response(404), **CONFLICT},
        examples=[
            OpenApiExample(
                "The school's feedback",
                request_only=True,
                value={
                    "session": 12,
                    "useful": 5,
                    "practical": 4,
                    "would_recommend": 5,
                    "comments": "The visual timetable ideas worked from the next morning.",
                },
            ),
            OpenApiExample(
                "The expert's feedback and report",
                request_only=True,
                value={
                    "session": 12,
                    "useful": 4,
                    "practical": 4,
                    "would_recommend": 5,
                    "covered": "Observed two transitions; modelled a now/next board.",
                    "next_steps": "Class teacher trials a visual timetable for two weeks.",
                },
            ),
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = FeedbackInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        session = get_object_or_404(
            scheduling_selectors.sessions_visible_to(user=request.user), pk=data.pop("session")
        )
        scope = caller_scope(user=request.user)
        attended = any(user.pk == request.user.pk for user in session.attendees.all())
        side = access.feedback_side(scope, session, attended=attended)
        if side is None:
            raise PermissionDenied("Only the session's participants give feedback.")
        if side == Side.SCHOOL:
            data.pop("covered", None)
            data.pop("next_steps", None)
        feedback = services.feedback_give(session=session, by=request.user, side=side, **data)
        return self._render(feedback, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change your feedback (its author, within the edit window)",
        description="Within `FEEDBACK_EDIT_DAYS` (7) days of giving it; then 409 "
        "`edit_window_closed`. Others who see it get 403.",
        request=FeedbackUpdateSerializer,
        responses={200: FeedbackSerializer, **CONFLICT},
        examples=[
            OpenApiExample(
                "A second thought", request_only=True, value={"practical": 3, "comments": "…"}
            )
        ],
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        feedback = self.get_object()
        if feedback.author_id != request.user.pk:
            raise PermissionDenied("Only its author can change feedback.")
        serializer = FeedbackUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if feedback.side == Side.SCHOOL:
            changes.pop("covered", None)
            changes.pop("next_steps", None)
        return self._render(services.feedback_update(feedback=feedback, **changes))


class RequestScopedMixin:
    """Views under ``/requests/{id}/``: the request must be visible to the caller (else
    404)."""

    request: Request
    kwargs: dict[str, Any]

    def support_request(self) -> SupportRequest:
        if not hasattr(self, "_support_request"):
            self._support_request = get_object_or_404(
                exchange_selectors.support_requests_visible_to(user=self.request.user),
                pk=self.kwargs["request_pk"],
            )
        return self._support_request


@extend_schema_view(
    list=extend_schema(
        summary="A request's goals (Goal Attainment Scaling)",
        description="Up to three, in order, each with its baseline and, after the review, "
        "the level attained. Whoever sees the request sees them; a local-authority officer "
        "without their wording unless the school shares the request's details.",
        examples=[
            OpenApiExample(
                "A goal",
                response_only=True,
                value={"id": 1, "request": 31, "position": 1, **GOAL_EXAMPLE, "attainment": None},
            )
        ],
    ),
    retrieve=extend_schema(
        summary="Retrieve a goal",
        examples=[
            OpenApiExample(
                "A goal",
                response_only=True,
                value={"id": 1, "request": 31, "position": 1, **GOAL_EXAMPLE, "attainment": 1},
            )
        ],
    ),
    destroy=extend_schema(
        summary="Remove a goal (the school, before the first session)",
        responses={204: None, **CONFLICT},
    ),
)
class RequestGoalViewSet(
    RequestScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = GoalSerializer
    pagination_class = None  # at most three
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Goal]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no request
            return Goal.objects.none()
        return selectors.goals_of(support_request_id=self.support_request().pk)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["hides_pupil_details"] = exchange_access.request_hides_pupil_details(
                caller_scope(user=self.request.user), self.support_request()
            )
        return context

    def _writable(self) -> SupportRequest:
        support_request = self.support_request()
        if not access.can_set_goals(caller_scope(user=self.request.user), support_request):
            raise PermissionDenied("Only the requesting school sets its goals.")
        return support_request

    @extend_schema(
        summary="Add a goal (the school, before the first session; at most three)",
        description="Each goal is scaled −2 … +2 with 0 the expected outcome, worded in "
        "`expected_outcome`; `baseline` is where things stand now. 409 `too_many_goals` past "
        "three, `sessions_held` once a session has been held.",
        request=GoalInputSerializer,
        responses={201: GoalSerializer, **CONFLICT},
        examples=[OpenApiExample("Calmer transitions", request_only=True, value=GOAL_EXAMPLE)],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        support_request = self._writable()
        serializer = GoalInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        goal = services.goal_create(
            support_request=support_request, by=request.user, **serializer.validated_data
        )
        return Response(GoalSerializer(goal).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a goal (the school, before the first session)",
        request=GoalInputSerializer(partial=True),
        responses={200: GoalSerializer, **CONFLICT},
        examples=[OpenApiExample("A lower baseline", request_only=True, value={"baseline": -2})],
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._writable()
        goal = self.get_object()
        serializer = GoalInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        goal = services.goal_update(goal=goal, **serializer.validated_data)
        return Response(GoalSerializer(self.get_queryset().get(pk=goal.pk)).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._writable()
        services.goal_delete(goal=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="Staff confidence before support",
        description="Each rating (1–5) the school's staff gave before the first session; "
        "`is_mine` marks the caller's.",
        examples=[
            OpenApiExample(
                "A rating",
                response_only=True,
                value={"id": 4, "rating": 2, "rated_at": "2027-01-05T09:00:00Z", "is_mine": True},
            )
        ],
    ),
)
class RequestConfidenceViewSet(
    RequestScopedMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = ConfidenceSerializer
    pagination_class = None  # the school's staff on one request
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[StaffConfidence]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no request
            return StaffConfidence.objects.none()
        return StaffConfidence.objects.filter(request=self.support_request()).order_by("pk")

    @extend_schema(
        summary="Rate your confidence in meeting the need (school staff, before the first session)",
        description="One rating each (1–5); rating again replaces yours. 409 `sessions_held` "
        "once a session has been held.",
        request=ConfidenceInputSerializer,
        responses={201: ConfidenceSerializer, **CONFLICT},
        examples=[OpenApiExample("Not yet confident", request_only=True, value={"rating": 2})],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        support_request = self.support_request()
        if not access.can_rate_confidence(caller_scope(user=request.user), support_request):
            raise PermissionDenied("Only the requesting school's staff rate their confidence.")
        serializer = ConfidenceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        confidence = services.confidence_rate(
            support_request=support_request, by=request.user, **serializer.validated_data
        )
        data = self.get_serializer(confidence).data
        return Response(data, status=status.HTTP_201_CREATED)


def review_state(
    support_request: SupportRequest, review: OutcomeReview | None, stored_status: str | None
) -> dict[str, Any]:
    """``stored_status`` is the request's review's status, whether or not the caller may
    read the review itself (``review`` is ``None`` then): the state is the same for every
    reader, the review's answers only for those who see reviews."""
    due_on = selectors.review_due_on(support_request)
    if stored_status is not None:
        state = stored_status
    elif due_on is not None and due_on <= timezone.localdate():
        state = "due"
    else:
        state = "pending"
    return {
        "request": support_request.pk,
        "status": state,
        "due_on": due_on,
        "review": None if review is None else ReviewSerializer(review).data,
    }


class ReviewStateMixin(RequestScopedMixin):
    """A request's review, as ``/requests/{id}/review`` answers it."""

    def _review(self) -> OutcomeReview | None:
        return (
            selectors.reviews_visible_to(user=self.request.user)
            .filter(request=self.support_request())
            .first()
        )

    def _state(self, code: int = status.HTTP_200_OK) -> Response:
        support_request = self.support_request()
        review = self._review()
        if review is not None:
            stored_status: str | None = review.status
        else:
            stored_status = selectors.review_status(support_request)
        return Response(review_state(support_request, review, stored_status), status=code)

    def _reviewer(self) -> SupportRequest:
        support_request = self.support_request()
        if not access.can_review(caller_scope(user=self.request.user), support_request):
            raise PermissionDenied("Only the school's SENCO reviews the outcomes.")
        return support_request


# One object per request, not a collection: plain views, so the schema shows one state.
class RequestReviewView(ReviewStateMixin, APIView):
    @extend_schema(
        summary="A request's outcome review: due date, or the review",
        responses={200: ReviewStateSerializer},
        description="The review falls due `OUTCOME_REVIEW_SCHOOL_WEEKS` (6) school weeks after "
        "the request's last held session.",
        examples=[
            OpenApiExample(
                "Reviewed",
                response_only=True,
                value={
                    "request": 31,
                    "status": "completed",
                    "due_on": "2027-03-01",
                    "review": REVIEW_EXAMPLE,
                },
            )
        ],
    )
    def get(self, request: Request, request_pk: str) -> Response:
        return self._state()

    @extend_schema(
        summary="Record the outcome review (SENCO)",
        description="Every goal's attainment on its −2 … +2 scale, confidence after, whether "
        "practice changed (and how), whether more support is needed and whether a "
        "specialist-placement referral is still considered. The GAS T-score is computed "
        "(Kiresuk–Sherman, ρ = 0.3). Once per request: 409 `already_reviewed`; 409 "
        "`no_session_held` before any session, `no_goals` without goals.",
        request=ReviewInputSerializer,
        responses={201: ReviewStateSerializer, **CONFLICT},
        examples=[
            OpenApiExample(
                "Goals met",
                request_only=True,
                value={
                    "attainments": [
                        {"goal": 1, "attainment": 1},
                        {"goal": 2, "attainment": 2},
                        {"goal": 3, "attainment": 0},
                    ],
                    "confidence_after": 4,
                    "practice_changed": True,
                    "practice_change": "Every Year 4 class starts the day with a visual timetable.",
                    "more_support_needed": False,
                    "specialist_placement_considered": False,
                },
            )
        ],
    )
    def post(self, request: Request, request_pk: str) -> Response:
        support_request = self._reviewer()
        serializer = ReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.review_record(
            support_request=support_request, by=request.user, **serializer.validated_data
        )
        return self._state(status.HTTP_201_CREATED)


class RequestReviewSkipView(ReviewStateMixin, APIView):
    @extend_schema(
        summary="Skip the outcome review, with a reason (SENCO)",
        request=SkipInputSerializer,
        responses={201: ReviewStateSerializer, **CONFLICT},
        examples=[
            OpenApiExample(
                "The pupil moved school", request_only=True, value={"reason": "The pupil left."}
            )
        ],
    )
    def post(self, request: Request, request_pk: str) -> Response:
        support_request = self._reviewer()
        serializer = SkipInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.review_skip(
            support_request=support_request, by=request.user, **serializer.validated_data
        )
        return self._state(status.HTTP_201_CREATED)


class ReviewFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)
    request = IdFilter(field_name="request_id")
    school = IdFilter(field_name="request__school_id", help_text="URN.")

    class Meta:
        model = OutcomeReview
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(
        summary="List outcome reviews",
        description="Reviews of the requests the caller reads (the school's side, the trust's "
        "coordinators, the experts who held their sessions; admins all), newest first, with "
        "GAS T-scores and the change in staff confidence.",
        examples=[OpenApiExample("A review", value=REVIEW_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Retrieve an outcome review",
        examples=[OpenApiExample("A review", value=REVIEW_EXAMPLE, response_only=True)],
    ),
)
class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    ordering_fields = ["reviewed_at", "t_score"]
    ordering = ["-reviewed_at", "-id"]

    def get_queryset(self) -> QuerySet[OutcomeReview]:
        return selectors.reviews_visible_to(user=self.request.user)

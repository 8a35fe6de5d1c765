from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import apis as accounts_apis
from config import health, metrics
from config.routers import Router
from exchange import apis as exchange_apis
from insights import apis as insights_apis
from insights import forecast_apis
from knowledge import apis as knowledge_apis
from library import apis as library_apis
from matching import apis as matching_apis
from scheduling import apis as scheduling_apis

router = Router()
router.register("schools", accounts_apis.SchoolViewSet, basename="school")
router.register("trusts", accounts_apis.TrustViewSet, basename="trust")
router.register("needs", exchange_apis.NeedViewSet, basename="need")
router.register("topics", exchange_apis.TopicViewSet, basename="topic")
router.register("experts", exchange_apis.ExpertViewSet, basename="expert")
router.register(
    r"experts/(?P<expert_pk>\d+)/availability-windows",
    exchange_apis.AvailabilityWindowViewSet,
    basename="expert-availability-window",
)
router.register(
    r"experts/(?P<expert_pk>\d+)/availability-exceptions",
    exchange_apis.AvailabilityExceptionViewSet,
    basename="expert-availability-exception",
)
router.register(
    r"experts/(?P<expert_pk>\d+)/credentials",
    exchange_apis.CredentialViewSet,
    basename="expert-credential",
)
router.register("requests", scheduling_apis.SupportRequestViewSet, basename="support-request")
router.register(
    r"requests/(?P<request_pk>\d+)/proposals",
    matching_apis.RequestProposalViewSet,
    basename="request-proposal",
)
router.register(
    r"requests/(?P<request_pk>\d+)/slot-offers",
    scheduling_apis.SlotOfferViewSet,
    basename="request-slot-offer",
)
router.register(
    r"requests/(?P<request_pk>\d+)/goals",
    knowledge_apis.RequestGoalViewSet,
    basename="request-goal",
)
router.register(
    r"requests/(?P<request_pk>\d+)/confidence",
    knowledge_apis.RequestConfidenceViewSet,
    basename="request-confidence",
)
router.register("proposals", matching_apis.ProposalViewSet, basename="proposal")
router.register("sessions", scheduling_apis.SessionViewSet, basename="session")
router.register(
    r"requests/(?P<request_pk>\d+)/resources",
    library_apis.RequestResourceViewSet,
    basename="request-resource",
)
router.register("resources", library_apis.ResourceViewSet, basename="resource")
router.register(
    r"resources/(?P<resource_pk>\d+)/files",
    library_apis.ResourceFileViewSet,
    basename="resource-file",
)
router.register("resource-reports", library_apis.ProblemReportViewSet, basename="resource-report")
router.register("feedback", knowledge_apis.FeedbackViewSet, basename="feedback")
router.register("reviews", knowledge_apis.ReviewViewSet, basename="review")
router.register("notifications", exchange_apis.NotificationViewSet, basename="notification")
router.register("matching-runs", matching_apis.MatchingRunViewSet, basename="matching-run")
router.register(
    "matching-policy/versions",
    matching_apis.MatchingPolicyVersionViewSet,
    basename="matching-policy-version",
)

api_v1 = [
    path("auth/token", accounts_apis.TokenObtainView.as_view(), name="auth-token"),
    path("auth/token/refresh", accounts_apis.TokenRefreshView.as_view(), name="auth-refresh"),
    path("auth/token/revoke", accounts_apis.TokenRevokeView.as_view(), name="auth-revoke"),
    path(
        "auth/token/revoke-all",
        accounts_apis.TokenRevokeAllView.as_view(),
        name="auth-revoke-all",
    ),
    path("me", accounts_apis.MeView.as_view(), name="me"),
    path("matching-policy", matching_apis.MatchingPolicyView.as_view(), name="matching-policy"),
    path("analytics/projection", forecast_apis.ProjectionView.as_view(), name="projection"),
    path("calendar-feed", scheduling_apis.CalendarFeedView.as_view(), name="calendar-feed"),
    path("analytics/demand", insights_apis.DemandView.as_view(), name="analytics-demand"),
    path(
        "analytics/demand/prevalence",
        insights_apis.PrevalenceView.as_view(),
        name="analytics-prevalence",
    ),
    path("analytics/supply", insights_apis.SupplyView.as_view(), name="analytics-supply"),
    path("analytics/flow", insights_apis.FlowView.as_view(), name="analytics-flow"),
    path("analytics/unmet", insights_apis.UnmetView.as_view(), name="analytics-unmet"),
    path("analytics/outcomes", insights_apis.OutcomesView.as_view(), name="analytics-outcomes"),
    re_path(
        r"^requests/(?P<request_pk>\d+)/review$",
        knowledge_apis.RequestReviewView.as_view(),
        name="request-review",
    ),
    re_path(
        r"^requests/(?P<request_pk>\d+)/review/skip$",
        knowledge_apis.RequestReviewSkipView.as_view(),
        name="request-review-skip",
    ),
    re_path(
        r"^calendar/(?P<token>[A-Za-z0-9_-]{20,100})\.ics$",
        scheduling_apis.CalendarFeedIcsView.as_view(),
        name="calendar-feed-ics",
    ),
    *router.urls,
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script to allow.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("api-auth/", include("rest_framework.urls")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
]

handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"

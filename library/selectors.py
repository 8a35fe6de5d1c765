"""Reads for the library: resources scoped to the caller, with what their lists show
(tags, files, the helpful count, the review flag), in a fixed number of queries."""

from datetime import date

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from accounts.access import caller_scope
from accounts.models import User
from library import access
from library.enums import ResourceStatus
from library.models import HelpfulMark, ProblemReport, Resource
from matching.selectors import local_today


def needs_review_condition(today: date) -> Q:
    """An approved resource whose review-by date has passed needs an admin's review."""
    return Q(status=ResourceStatus.APPROVED, review_by__lt=today)


def with_reader_facts(queryset: QuerySet[Resource], *, user: User) -> QuerySet[Resource]:
    """Adds ``helpful_count``, ``marked_helpful`` (by the caller) and ``needs_review``."""
    helpful = (
        HelpfulMark.objects.filter(resource=OuterRef("pk"))
        .order_by()
        .values("resource")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        helpful_count=Coalesce(Subquery(helpful), Value(0)),
        marked_helpful=Exists(HelpfulMark.objects.filter(resource=OuterRef("pk"), user=user.pk)),
        needs_review=ExpressionWrapper(
            needs_review_condition(local_today()), output_field=BooleanField()
        ),
    )


def resources_visible_to(*, user: User) -> QuerySet[Resource]:
    """The resources the caller sees (``access.resource_visibility``), newest first."""
    resources = (
        Resource.objects.select_related("author", "school", "trust", "outcome_request")
        .prefetch_related("needs", "topics", "files")
        .filter(access.resource_visibility(caller_scope(user=user)))
        # The search document is for the database to match against, not to read back.
        .defer("search_vector")
    )
    return with_reader_facts(resources, user=user)


def resources_shared_for_request(*, user: User, request_id: int) -> QuerySet[Resource]:
    """The resources that came from a request's sessions, as far as the caller sees them."""
    return resources_visible_to(user=user).filter(session__request_id=request_id)


def problem_reports() -> QuerySet[ProblemReport]:
    return ProblemReport.objects.select_related("resource", "reported_by", "resolved_by")

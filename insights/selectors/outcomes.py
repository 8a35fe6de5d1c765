"""Outcomes: Goal Attainment Scaling T-scores and staff confidence from the outcome
reviews, and the ratings of session feedback, by a request dimension × session format.

T-scores are the ones stored with each review (``knowledge.gas`` computed them); whether
goals were met is ``T ≥ knowledge.gas.EXPECTED``, the same rule as everywhere else.
A review's format is the format of its request's first held session.
"""

from django.db.models import Count, F, FloatField, OuterRef, Q, Subquery, Sum

from accounts.access import CallerScope
from insights.filters import AnalyticsFilters
from insights.selectors.common import Figures, scoped_requests
from insights.selectors.dimensions import Path, grouped, keys, request_dimension
from insights.suppression import DEFAULT_THRESHOLD
from insights.tables import WITHHELD, CountTable, FigureGrid, Key, aligned, figure_grid, ratio
from knowledge.enums import ReviewStatus
from knowledge.gas import EXPECTED
from knowledge.models import Feedback, OutcomeReview
from scheduling.enums import SessionStatus
from scheduling.models import Session

GOALS = [Key("met", "Goals met or exceeded (T ≥ 50)"), Key("not_met", "Goals not met")]


def outcomes(
    scope: CallerScope,
    filters: AnalyticsFilters,
    *,
    threshold: int | None = DEFAULT_THRESHOLD,
    rows: str = "need",
) -> Figures:
    """``reviews`` (completed outcome reviews with a T-score) and ``feedback`` (answers) by
    ``rows`` × format, ``goals`` by ``rows`` × met/not met; figures ``mean_t_score``,
    ``mean_confidence_change`` (after − the staff's mean before, over reviews with both),
    ``share_goals_met`` and ``mean_rating`` (the mean of an answer's three 1–5 ratings)."""
    first_format = Subquery(
        Session.objects.filter(request_id=OuterRef("request_id"), status=SessionStatus.COMPLETED)
        .order_by("starts_at", "id")
        .values("format")[:1]
    )
    reviews = OutcomeReview.objects.filter(
        scoped_requests(scope, filters, "request__"),
        status=ReviewStatus.COMPLETED,
        t_score__isnull=False,
    ).annotate(_format=first_format)
    both = Q(confidence_before__isnull=False, confidence_after__isnull=False)
    row = request_dimension(rows, "request__")
    review_groups = grouped(
        reviews,
        row,
        Path(F("_format")),
        Count("pk"),
        Sum("t_score"),
        Count("pk", filter=both),
        Sum(F("confidence_after") - F("confidence_before"), filter=both, output_field=FloatField()),
    )
    met = Q(t_score__gte=EXPECTED)
    goal_groups = grouped(
        reviews, row, Path(F("_format")), Count("pk", filter=met), Count("pk", filter=~met)
    )
    feedback = Feedback.objects.filter(scoped_requests(scope, filters, "session__request__"))
    # Whole numbers, summed exactly (a sum of thirds in floats depends on the order the
    # plan adds them in, which moved a mean across a rounding boundary); divided once below.
    rating = F("useful") + F("practical") + F("would_recommend")
    feedback_groups = grouped(
        feedback,
        request_dimension(rows, "session__request__"),
        Path(F("session__format")),
        Count("pk"),
        Sum(rating),
    )

    found = {g[0] for g in review_groups} | {g[0] for g in feedback_groups}
    row_keys = keys(rows, found, filters)
    formats = keys("format", ())
    review_table = CountTable.from_groups(
        "reviews", rows, "format", row_keys, formats, [(r, c, n) for r, c, n, *_ in review_groups]
    )
    goals = CountTable.from_groups(
        "goals",
        rows,
        "goals",
        row_keys,
        GOALS,
        [(r, "met", m) for r, _, m, _ in goal_groups]
        + [(r, "not_met", n) for r, _, _, n in goal_groups],
    ).published(threshold)
    feedback_table = CountTable.from_groups(
        "feedback", rows, "format", row_keys, formats, [(r, c, n) for r, c, n, _ in feedback_groups]
    )
    reviews_published, feedback_published = (
        review_table.published(threshold),
        feedback_table.published(threshold),
    )

    t_sums = aligned(review_table, [(r, c, s) for r, c, _, s, _, _ in review_groups])
    counts = aligned(review_table, [(r, c, n) for r, c, n, *_ in review_groups])
    with_both = aligned(review_table, [(r, c, n) for r, c, _, _, n, _ in review_groups])
    change_sums = aligned(review_table, [(r, c, s) for r, c, _, _, _, s in review_groups])
    rating_sums = aligned(feedback_table, [(r, c, s) for r, c, _, s in feedback_groups])
    answers = aligned(feedback_table, [(r, c, n) for r, c, n, _ in feedback_groups])

    def mean_change(i: int, j: int) -> float | None:
        if threshold is not None and with_both[i][j] < threshold:
            return WITHHELD  # too few reviews with both ratings to publish their mean
        return ratio(change_sums[i][j], with_both[i][j], 2)

    total = len(GOALS)
    rows_with_total = range(len(row_keys) + 1) if goals.suppressed else range(0)
    share_hidden = [[None in (goals.value(i, 0), goals.value(i, total))] for i in rows_with_total]
    share = [[ratio(goals.value(i, 0), goals.value(i, total))] for i in rows_with_total]
    figures = [
        figure_grid(
            "mean_t_score", [reviews_published], lambda i, j: ratio(t_sums[i][j], counts[i][j], 1)
        ),
        figure_grid("mean_confidence_change", [reviews_published], mean_change),
        FigureGrid(
            "share_goals_met",
            "goals",
            share,
            share_hidden,
            columns=["share_goals_met"],
        ),
        figure_grid(
            "mean_rating",
            [feedback_published],
            lambda i, j: ratio(rating_sums[i][j], 3 * answers[i][j], 2),
        ),
    ]
    return Figures([reviews_published, goals, feedback_published], figures)

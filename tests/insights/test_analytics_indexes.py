"""The indexes the analytics read instead of their tables (migration matching 0004; the
requests' index of exchange 0013 is left to the bench: on a test's empty table the planner
picks any index for it): each query below must stay answerable from its index alone, so a column
added to one of them (which would send PostgreSQL back to the table: 20 MB of requests,
30 MB of proposals at national scale) fails here rather than only in the bench.

PostgreSQL only (SQLite has no index-only scans to speak of). Sequential and bitmap scans
are switched off for the plan, as a test's few rows would otherwise be read from the table;
the planner then reads the index alone exactly when it holds every column the query needs."""

import pytest
from django.db import connection, transaction
from django.db.models import Min

from accounts.access import caller_scope
from exchange.models import SupportRequest
from insights.filters import AnalyticsFilters
from insights.selectors.common import scoped_requests
from insights.selectors.dimensions import each_row
from insights.selectors.unmet import latest_reason
from matching.models import Proposal

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans"),
]


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_each_requests_first_proposal_is_read_from_the_proposals_index(admin_user):
    scope = caller_scope(user=admin_user)
    first = (
        Proposal.objects.filter(scoped_requests(scope, AnalyticsFilters(), "request__"))
        .order_by()
        .values("request_id")
        .annotate(first=Min("created_at"))
    )
    by_status = Proposal.objects.order_by().values("request_id", "status").annotate(n=each_row())

    assert "Index Only Scan using matching_proposal_first_idx" in plan(first)
    assert "Index Only Scan using matching_proposal_first_idx" in plan(by_status)


def test_the_latest_rounds_reason_is_read_from_the_unmatched_index(admin_user):
    reasons = SupportRequest.objects.annotate(_reason=latest_reason()).values("_reason")

    assert "Index Only Scan Backward using matching_unmatched_latest_idx" in plan(reasons)

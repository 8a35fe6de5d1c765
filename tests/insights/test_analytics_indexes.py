"""The indexes the analytics read instead of their tables (migration matching 0005; the
requests' index of exchange 0013 and the proposals' first-proposal index are left to the
bench: on a test's near-empty tables the planner picks another index for them, as a fresh
CI run showed): each query below must stay answerable from its index alone, so a column
added to one of them (which would send PostgreSQL back to the table: 20 MB of requests,
30 MB of proposals at national scale) fails here rather than only in the bench.

PostgreSQL only (SQLite has no index-only scans to speak of). Sequential and bitmap scans
are switched off for the plan, as a test's few rows would otherwise be read from the table;
the planner then reads the index alone exactly when it holds every column the query needs."""

import pytest
from django.db import connection, transaction

from exchange.models import SupportRequest
from insights.selectors.unmet import latest_reason

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


def test_the_latest_rounds_reason_is_read_from_the_unmatched_index(admin_user):
    reasons = SupportRequest.objects.annotate(_reason=latest_reason()).values("_reason")

    assert "Index Only Scan Backward using matching_unmatched_latest_idx" in plan(reasons)

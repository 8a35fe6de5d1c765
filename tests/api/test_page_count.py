"""A list's ``count``: exact, except an unfiltered list of a table bigger than
``API_EXACT_COUNT_LIMIT`` on PostgreSQL, which reports the planner's estimate (docs/api.md)."""

import pytest
from django.db import connection

from tests.factories import SupportRequestFactory
from tests.postgres import postgres_only

pytestmark = pytest.mark.django_db


def analyse() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE exchange_supportrequest")


@postgres_only("pg_class.reltuples is PostgreSQL's")
def test_a_whole_big_table_is_counted_by_estimate(client_for, admin_user, settings):
    settings.API_EXACT_COUNT_LIMIT = 2
    requests = SupportRequestFactory.create_batch(4)
    analyse()
    SupportRequestFactory.create_batch(2)  # not yet in the estimate
    client = client_for(admin_user)

    assert client.get("/api/v1/requests").json()["count"] == 4
    # Filtered, or by a caller whose scope filters it: exact.
    school = requests[0].school.urn
    assert client.get("/api/v1/requests", {"school": school}).json()["count"] == 1
    assert client.get("/api/v1/requests", {"status": "draft"}).json()["count"] == 6


def test_under_the_limit_the_count_is_exact(client_for, admin_user, settings):
    settings.API_EXACT_COUNT_LIMIT = 100
    SupportRequestFactory.create_batch(3)
    if connection.vendor == "postgresql":
        analyse()
    SupportRequestFactory.create_batch(2)

    body = client_for(admin_user).get("/api/v1/requests", {"page_size": 2}).json()

    assert body["count"] == 5
    assert len(body["results"]) == 2

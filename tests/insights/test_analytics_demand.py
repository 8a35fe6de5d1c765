"""Demand through the API: every figure against the hand-computed world below, suppression
as published, scope, filters, CSV, bounded queries."""

import csv
import io
from datetime import date

import pytest

from accounts.access import caller_scope
from insights import selectors
from insights.filters import AnalyticsFilters, Period
from tests import factories
from tests.insights import analytics_world as w

pytestmark = pytest.mark.django_db

DEMAND = "/api/v1/analytics/demand"
THREE = "need=ASD&need=SLCN&need=SEMH&from=2026-09&to=2026-10"


@pytest.fixture
def world():
    world = w.build()
    w.raise_requests(world, "asd-sep", world.a, "ASD", 6, submitted=w.london(2026, 9))
    w.raise_requests(world, "asd-oct", world.a, "ASD", 7, submitted=w.london(2026, 10))
    w.raise_requests(world, "slcn-sep", world.a, "SLCN", 2, submitted=w.london(2026, 9))
    w.raise_requests(world, "slcn-oct", world.a, "SLCN", 5, submitted=w.london(2026, 10))
    w.raise_requests(world, "semh-oct", world.a, "SEMH", 7, submitted=w.london(2026, 10))
    # 00:30 on 1 October in London is 23:30 on 30 September in UTC: an October request.
    w.raise_requests(world, "semh-oct", world.a, "SEMH", 1, submitted=w.london(2026, 10, 1, 0, 30))
    w.raise_requests(world, "c-asd-sep", world.c, "ASD", 9, submitted=w.london(2026, 9))
    # Not demand in the period: a draft, and a request at 23:30 on 31 August (London).
    w.raise_requests(world, "draft", world.a, "ASD", 1, submitted=None, status="draft")
    w.raise_requests(world, "august", world.a, "ASD", 1, submitted=w.london(2026, 8, 31, 23, 30))
    return world


def table(body: dict, name: str) -> dict:
    return next(t for t in body["tables"] if t["name"] == name)


def test_demand_by_need_and_month_for_an_admin(world, client_for, admin_user):
    body = client_for(admin_user).get(f"{DEMAND}?rows=need&columns=month&{THREE}").json()
    requests = table(body, "requests")

    assert body["threshold"] == 5
    assert [k["key"] for k in requests["row_keys"]] == ["ASD", "SLCN", "SEMH"]
    assert [k["key"] for k in requests["column_keys"]] == ["2026-09", "2026-10"]
    # ASD: 6 + 9 in September, 7 in October. SLCN's 2 and SEMH's 0 in September are under
    # 5; each row then has one hidden cell, so its smallest other (5; 8, tied with its
    # total and first in the row) is hidden too. The column totals stay: B1 can be 0–2.
    assert requests["cells"] == [
        [15, 7, 22],
        ["<5", "c", 7],
        ["<5", "c", 8],
        [17, 20, 37],
    ]


def test_a_coordinator_sees_only_their_trusts_figures(world, client_for):
    t = client_for(world.coordinator_t).get(f"{DEMAND}?{THREE}").json()
    u = client_for(world.coordinator_u).get(f"{DEMAND}?{THREE}").json()

    assert table(t, "requests")["cells"] == [
        [6, 7, 13],
        ["<5", "c", 7],
        ["<5", "c", 8],
        [8, 20, 28],
    ]
    # Trust U has school C's nine September ASD requests, and nothing else.
    raw = selectors.demand_table(
        caller_scope(user=world.coordinator_u),
        AnalyticsFilters(period=t_period(), needs=("ASD", "SLCN", "SEMH")),
    )
    assert raw.counts == [[9, 0], [0, 0], [0, 0]]
    cells = table(u, "requests")["cells"]
    assert cells[-1][-1] in (9, "c")  # never 37 or 28


def test_an_la_officer_sees_only_their_las_figures(world, client_for):
    cambs = client_for(world.officer_cambs).get(f"{DEMAND}?{THREE}").json()
    camden = selectors.demand_table(
        caller_scope(user=world.officer_camden),
        AnalyticsFilters(period=t_period(), needs=("ASD", "SLCN", "SEMH")),
    )

    # Cambridgeshire has schools A and B (trust T): the coordinator of T's figures.
    assert table(cambs, "requests")["cells"] == [
        [6, 7, 13],
        ["<5", "c", 7],
        ["<5", "c", 8],
        [8, 20, 28],
    ]
    assert camden.counts == [[9, 0], [0, 0], [0, 0]]  # school C only
    by_la = selectors.demand_table(
        caller_scope(user=world.officer_camden), AnalyticsFilters(period=t_period()), rows="la"
    )
    assert [k.key for k in by_la.row_keys] == ["202"]  # never another LA's row


def t_period() -> Period:
    return Period.from_dates(date(2026, 9, 1), date(2026, 10, 31))


def test_unsuppressed_counts_by_la_and_month(world, admin_user):
    raw = selectors.demand_table(
        caller_scope(user=admin_user), AnalyticsFilters(period=t_period()), rows="la"
    )

    assert [k.key for k in raw.row_keys] == ["873", "202"]  # by name: Cambridgeshire, Camden
    assert raw.counts == [[8, 20], [9, 0]]


def test_without_a_period_the_months_run_from_the_first_to_the_last_request(world, admin_user):
    raw = selectors.demand_table(
        caller_scope(user=admin_user), AnalyticsFilters(needs=("ASD",)), rows="need"
    )

    assert [k.key for k in raw.column_keys] == ["2026-08", "2026-09", "2026-10"]
    assert raw.counts == [[1, 15, 7]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("la=873", [[8, 20]]),
        ("region=London", [[9, 0]]),
        ("phase=secondary", []),
        ("broad_area=communication_interaction", [[17, 12]]),  # ASD and SLCN
        ("need=SEMH", [[0, 8]]),
    ],
)
def test_filters_narrow_the_requests(world, client_for, admin_user, query, expected):
    body = client_for(admin_user).get(
        f"{DEMAND}?rows=all&columns=month&from=2026-09&to=2026-10&{query}"
    )
    assert body.status_code == 200, body.json()
    scope = caller_scope(user=admin_user)
    filters = {
        "la=873": AnalyticsFilters(period=t_period(), las=("873",)),
        "region=London": AnalyticsFilters(period=t_period(), regions=("London",)),
        "phase=secondary": AnalyticsFilters(period=t_period(), phases=("secondary",)),
        "broad_area=communication_interaction": AnalyticsFilters(
            period=t_period(), broad_areas=("communication_interaction",)
        ),
        "need=SEMH": AnalyticsFilters(period=t_period(), needs=("SEMH",)),
    }[query]
    counts = selectors.demand_table(scope, filters, rows="all").counts
    assert [row for row in counts if any(row)] == expected


def test_topics_count_a_request_under_each_topic_it_names(world, admin_user):
    sensory, phonics = factories.topic("sensory-regulation"), factories.topic("visual-timetables")
    first, second = world.requests["asd-sep"][:2]
    first.topics.set([sensory, phonics])
    second.topics.set([sensory])
    scope = caller_scope(user=admin_user)

    raw = selectors.demand_table(
        scope,
        AnalyticsFilters(period=t_period(), topics=(sensory.slug, phonics.slug)),
        rows="topic",
    )
    by_topic = dict(zip([k.key for k in raw.row_keys], raw.counts, strict=True))
    assert by_topic == {sensory.slug: [2, 0], phonics.slug: [1, 0]}
    # Filtered by the two topics, a request naming both is still one request.
    one = selectors.demand_table(
        scope, AnalyticsFilters(period=t_period(), topics=(sensory.slug, phonics.slug)), rows="all"
    )
    assert one.counts == [[2, 0]]


def test_csv_parses_back_to_the_json_table(world, client_for, admin_user):
    client = client_for(admin_user)
    by_param = client.get(f"{DEMAND}?{THREE}&format=csv")
    by_header = client.get(f"{DEMAND}?{THREE}", HTTP_ACCEPT="text/csv")

    assert by_param.status_code == 200
    assert by_param["Content-Type"].startswith("text/csv")
    assert by_param["Content-Disposition"] == 'attachment; filename="demand-requests.csv"'
    assert by_param.content == by_header.content
    lines = list(csv.reader(io.StringIO(by_param.content.decode())))
    assert lines == [
        ["need", "2026-09", "2026-10", "total"],
        ["ASD", "15", "7", "22"],
        ["SLCN", "c", "c", "7"],
        ["SEMH", "c", "c", "8"],
        ["total", "17", "20", "37"],
    ]


def test_errors_stay_json_when_csv_is_asked_for(world, client_for):
    response = client_for(world.senco_a).get(f"{DEMAND}?format=csv")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-02-30", "from"),
        ("to=9999-12-31", "to"),  # years 1900–2999 only
        ("from=2026-9", "from"),
        ("from=2026-10&to=2026-09", "to"),
        ("rows=need&columns=need", "columns"),
        ("rows=pupils", "rows"),
        ("format=xml", "format"),
        ("format=csv&table=nothing", "table"),
        ("phase=reception", "phase"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(world, client_for, admin_user, query, field):
    response = client_for(admin_user).get(f"{DEMAND}?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert field in {name.split(".")[0] for name in response.json()["fields"]}


def test_days_and_months_bound_the_period_in_london_time(world, admin_user):
    scope = caller_scope(user=admin_user)
    one_day = Period.from_dates(date(2026, 10, 1), date(2026, 10, 1))
    raw = selectors.demand_table(scope, AnalyticsFilters(period=one_day), rows="all")
    assert raw.counts == [[1]]  # the SEMH request at 00:30 London time on 1 October

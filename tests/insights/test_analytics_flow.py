"""Flow, unmet demand, supply and outcomes against a world worked out by hand.

Figures are checked unsuppressed (``threshold=None``: the selectors' own arithmetic), then
through the API as published (suppressed, scoped, as CSV).

The world (ASD requests of September at school A: r0–r5; of October: r6–r12; school C's
September ASD requests: c0–c8; school A's SLCN: 2 in September, 5 in October):

- outcomes: matched r0–r4, c0–c2 (8); cancelled r5; unmatched r6–r10 (5); closed while
  unmatched r11; waiting r12, c3–c8 (7). SLCN: all 7 waiting.
- proposals: an accepted one for each matched request after 1, 2, 3, 4, 10 days (r0–r4)
  and 1, 1, 5 (c0–c2); declined ones for r0 and r1 (day 6), expired ones for c0 (day 8) and
  r6 (day 2). First proposals: 1 1 1 2 2 3 4 5 10 days. Both declines: too far.
- sessions (days after submission): r0 completed 14, r1 completed 20 (by video), r2
  no-show 21, r3 confirmed 30, r4 an offer that lapsed then confirmed 40; c0 completed 7,
  c1 cancelled 9, c2 offered 50. First booked sessions: 7 14 20 21 30 40 days.
- experts: e1 (S, ASD + SLCN, 6 a month, verified in August), e2 (S, ASD, 4, October),
  e3 (S2, SEMH, 10, January), e4 (S, ASD, 8, paused). r0–r4's work is e1's, c0–c2's e3's.
- reviews: r0 T 60 (confidence 2.0 → 4), r1 T 45 (3.0 → 3), c0 T 55 (no "before").
- feedback: r0's session from the SENCO (5, 4, 3) and e1 (4, 4, 4); r1's from the SENCO
  (2, 3, 1).
"""

import csv
import io
from datetime import date, timedelta

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.access import caller_scope
from insights import selectors
from insights.filters import AnalyticsFilters, Period
from knowledge.models import Feedback, OutcomeReview
from tests import factories
from tests.insights import analytics_world as w

pytestmark = pytest.mark.django_db

API = "/api/v1/analytics"
PERIOD = Period.from_dates(date(2026, 9, 1), date(2026, 10, 31))
QUERY = "from=2026-09&to=2026-10"
D = timedelta(days=1)


def expert(school, needs, per_month, verified, **fields):
    e = factories.ExpertProfileFactory(
        school=school,
        specialisms=[(n, "specialist") for n in needs],
        sessions_per_month=per_month,
        sessions_per_week=1,
        **fields,
    )
    type(e).objects.filter(pk=e.pk).update(verified_at=verified)
    return e


@pytest.fixture
def world():
    world = w.build()
    r = w.raise_requests(world, "asd-sep", world.a, "ASD", 6, submitted=w.london(2026, 9))
    r += w.raise_requests(world, "asd-oct", world.a, "ASD", 7, submitted=w.london(2026, 10))
    c = w.raise_requests(world, "c-asd", world.c, "ASD", 9, submitted=w.london(2026, 9))
    w.raise_requests(world, "slcn", world.a, "SLCN", 2, submitted=w.london(2026, 9))
    w.raise_requests(world, "slcn", world.a, "SLCN", 5, submitted=w.london(2026, 10))
    e1 = expert(world.s, ["ASD", "SLCN"], 6, w.london(2026, 8, 10))
    e2 = expert(world.s, ["ASD"], 4, w.london(2026, 10, 5))
    e3 = expert(world.s2, ["SEMH"], 10, w.london(2026, 1, 1))
    e4 = expert(world.s, ["ASD"], 8, w.london(2026, 1, 1), is_paused=True)
    world.experts = {"e1": e1, "e2": e2, "e3": e3, "e4": e4}

    def status(requests, value, *moves):
        for request in requests:
            type(request).objects.filter(pk=request.pk).update(status=value)
            w.history(request, *moves)

    matched = ("submitted", "proposed"), ("proposed", "accepted")
    status(r[0:5] + c[0:3], "accepted", *matched)
    status(r[5:6], "cancelled", ("submitted", "cancelled"))
    status(r[6:11], "unmatched", ("submitted", "unmatched"))
    status(r[11:12], "closed", ("submitted", "unmatched"), ("unmatched", "closed"))
    for request, days in zip(r[0:5], (1, 2, 3, 4, 10), strict=True):
        w.propose(request, e1, after=days * D, status="accepted")
    for request, days in zip(c[0:3], (1, 1, 5), strict=True):
        w.propose(request, e3, after=days * D, status="accepted")
    for request in r[0:2]:
        w.propose(
            request,
            e2,
            after=6 * D,
            status="declined",
            decline_reason="Too far.",
            decline_reason_code="too_far",
        )
    w.propose(c[0], e3, after=8 * D, status="expired")  # an earlier round's, for instance
    w.propose(r[6], e1, after=2 * D, status="expired")

    at = lambda request, days: request.submitted_at + days * D  # noqa: E731
    s0 = w.session(r[0], e1, starts=at(r[0], 14), status="completed")
    s1 = w.session(r[1], e1, starts=at(r[1], 20), status="completed", format="video_call")
    w.session(r[2], e1, starts=at(r[2], 21), status="no_show")
    w.session(r[3], e1, starts=at(r[3], 30), status="confirmed")
    w.session(
        r[4],
        e1,
        starts=at(r[4], 35),
        status="cancelled",
        offered_until=at(r[4], 12),
        cancelled_at=at(r[4], 12) + timedelta(hours=1),
    )
    w.session(r[4], e1, starts=at(r[4], 40), status="confirmed")
    w.session(c[0], e3, starts=at(c[0], 7), status="completed")
    w.session(
        c[1],
        e3,
        starts=at(c[1], 9),
        status="cancelled",
        confirmed_at=at(c[1], 2),
        cancelled_at=at(c[1], 3),
    )
    w.session(c[2], e3, starts=at(c[2], 50), status="offered", offered_until=at(c[2], 5))

    # r6 was first unmatched for want of a feasible expert; the latest round says capacity.
    w.unmatched_in_round(r[6], "no_feasible_expert")
    for request, reason in zip(
        r[6:11],
        ["capacity_taken", "capacity_taken", "no_feasible_expert", "no_feasible_expert", "too_far"],
        strict=True,
    ):
        w.unmatched_in_round(request, reason)

    for request, t, before, after in ((r[0], 60, 2.0, 4), (r[1], 45, 3.0, 3), (c[0], 55, None, 4)):
        OutcomeReview.objects.create(
            request=request,
            status="completed",
            t_score=t,
            confidence_before=before,
            confidence_after=after,
            reviewed_by=world.senco_a,
        )
    for session, author, side, ratings in (
        (s0, world.senco_a, "school", (5, 4, 3)),
        (s0, e1.user, "expert", (4, 4, 4)),
        (s1, world.senco_a, "school", (2, 3, 1)),
    ):
        useful, practical, recommend = ratings
        Feedback.objects.create(
            session=session,
            author=author,
            side=side,
            useful=useful,
            practical=practical,
            would_recommend=recommend,
        )
    world.requests["r"], world.requests["c"] = r, c
    return world


def figures(fn, user, rows="need", **kwargs):
    filters = AnalyticsFilters(period=PERIOD, **kwargs)
    return fn(caller_scope(user=user), filters, threshold=None, rows=rows)


def rows_of(published):
    """The table's counts with totals, unsuppressed, keyed by row key (and ``total``)."""
    t = published.table
    grid = published.suppressed.entries
    keys = [k.key for k in t.row_keys] + ["total"]
    return {key: list(line) for key, line in zip(keys, grid, strict=True)}


def grid_of(figure, table):
    keys = [k.key for k in table.table.row_keys] + ["total"]
    return dict(zip(keys, figure.values, strict=True))


def test_flow_figures(world, admin_user):
    f = figures(selectors.flow, admin_user, needs=("ASD", "SLCN"))

    requests = f.table("requests")
    assert [k.key for k in requests.table.column_keys] == [
        "matched",
        "unmatched",
        "cancelled",
        "closed",
        "waiting",
    ]
    assert rows_of(requests) == {
        "ASD": [8, 5, 1, 1, 7, 22],
        "SLCN": [0, 0, 0, 0, 7, 7],
        "total": [8, 5, 1, 1, 14, 29],
    }
    assert grid_of(f.grid("match_rate"), requests) == {
        "ASD": [0.364],
        "SLCN": [0.0],
        "total": [0.276],
    }
    proposals = f.table("proposals")
    assert [k.key for k in proposals.table.column_keys] == [
        "proposed",
        "accepted",
        "declined",
        "expired",
        "withdrawn",
    ]
    assert rows_of(proposals)["ASD"] == [0, 8, 2, 2, 0, 12]
    assert grid_of(f.grid("acceptance_rate"), proposals)["ASD"] == [0.667]  # 8 / 12
    assert grid_of(f.grid("decline_rate"), proposals)["ASD"] == [0.167]  # 2 / 12
    assert grid_of(f.grid("acceptance_rate"), proposals)["SLCN"] == [None]  # 0 / 0

    sessions = f.table("sessions")
    assert [k.key for k in sessions.table.column_keys] == [
        "offered",
        "confirmed",
        "completed",
        "cancelled",
        "no_show",
        "lapsed",
    ]
    assert rows_of(sessions)["ASD"] == [1, 2, 3, 1, 1, 1, 9]
    assert grid_of(f.grid("no_show_rate"), sessions)["ASD"] == [0.25]  # 1 / (1 + 3)

    # 1 1 1 2 2 3 4 5 10: the median is the 5th; p90 at 7.2 of 0–8, 5 + 0.2 × (10 − 5).
    to_proposal = f.table("days_to_first_proposal")
    assert rows_of(to_proposal) == {"ASD": [9, 9], "SLCN": [0, 0], "total": [9, 9]}
    assert grid_of(f.grid("days_to_first_proposal"), to_proposal) == {
        "ASD": [2.0, 6.0],
        "SLCN": [None, None],
        "total": [2.0, 6.0],
    }
    # 7 14 20 21 30 40: the median between 20 and 21; p90 at 4.5 of 0–5, between 30 and 40.
    to_session = f.table("days_to_first_session")
    assert grid_of(f.grid("days_to_first_session"), to_session)["ASD"] == [20.5, 35.0]


def declines_of(published):
    return {key: line[0] for key, line in rows_of(published).items()}


def test_declines_are_counted_by_their_coded_reason(world, admin_user):
    declines = figures(selectors.flow, admin_user, needs=("ASD", "SLCN")).table("declines")

    assert [k.key for k in declines.table.row_keys] == [
        "no_capacity",
        "outside_expertise",
        "too_far",
        "times",
        "format",
        "other",
    ]
    assert declines_of(declines) == {
        "no_capacity": 0,
        "outside_expertise": 0,
        "too_far": 2,
        "times": 0,
        "format": 0,
        "other": 0,
        "total": 2,
    }


def decline_more(world, codes):
    more = w.raise_requests(
        world, "declined", world.a, "ASD", len(codes), submitted=w.london(2026, 10, 3)
    )
    for request, code in zip(more, codes, strict=True):
        w.propose(
            request,
            world.experts["e2"],
            after=D,
            status="declined",
            decline_reason="No.",
            decline_reason_code=code,
        )


def test_published_declines_hide_small_reasons_and_follow_the_proposals_total(
    world, client_for, admin_user
):
    def published():
        body = client_for(admin_user).get(f"{API}/flow?{QUERY}&need=ASD").json()
        tables = {t["name"]: t for t in body["tables"]}
        return tables["proposals"]["cells"][-1][2], tables["declines"]["cells"]

    # Two declines in all: the proposals table hides its total, so every reason is hidden.
    few_total, few = published()
    decline_more(world, ["no_capacity"] * 7 + ["times"] * 5)
    many_total, many = published()

    assert few_total == "<5"
    assert all(isinstance(line[0], str) for line in few)
    assert many_total == 14
    assert [line[0] for line in many] == [7, "<5", "<5", 5, "<5", "<5", 14]


def test_medians_agree_with_numpy_on_a_bigger_sample(world, admin_user):
    r = world.requests["asd-oct"]
    days = [0.5, 3.25, 7.0, 11.0, 2.0, 13.5]
    for request, d in zip(r[1:], days, strict=False):
        w.propose(request, world.experts["e2"], after=d * D, status="withdrawn")
    f = figures(selectors.flow, admin_user, needs=("ASD",))

    every = [1, 1, 1, 2, 2, 3, 4, 5, 10, *days]
    median, p90 = grid_of(f.grid("days_to_first_proposal"), f.table("requests"))["ASD"]
    assert median == round(float(np.percentile(every, 50)), 2)
    assert p90 == round(float(np.percentile(every, 90)), 2)


def test_unmet_demand_by_need_and_la_with_every_reason_in_the_data(world, admin_user):
    f = figures(selectors.unmet_demand, admin_user, needs=("ASD", "SLCN"))

    unmet = f.table("unmet")
    assert [k.key for k in unmet.table.column_keys] == ["873"]
    assert rows_of(unmet) == {"ASD": [6, 6], "SLCN": [0, 0], "total": [6, 6]}
    reasons = f.table("reasons")
    columns = [k.key for k in reasons.table.column_keys]
    # The model's choices in their order, the worker's unrecorded reason, then any value a
    # newer release wrote that these choices do not name (labelled by its value).
    assert columns[-2:] == ["not_recorded", "too_far"] or "too_far" in columns
    counted = dict(zip(columns, rows_of(reasons)["ASD"], strict=False))
    assert counted == {
        "no_feasible_expert": 2,
        "capacity_taken": 2,
        "not_recorded": 1,
        "too_far": 1,
    } | {
        k: 0
        for k in columns
        if k not in {"no_feasible_expert", "capacity_taken", "not_recorded", "too_far"}
    }
    assert rows_of(reasons)["ASD"][-1] == 6


def test_supply_capacity_and_use(world, admin_user):
    f = figures(selectors.supply, admin_user, needs=("ASD", "SLCN", "SEMH"))

    capacity = f.table("capacity")
    assert [k.key for k in capacity.table.column_keys] == ["2026-09", "2026-10"]
    # e2 starts in October; e4 is paused.
    assert rows_of(capacity) == {
        "ASD": [6, 10, 16],
        "SLCN": [6, 6, 12],
        "SEMH": [10, 10, 20],
        "total": [22, 26, 48],
    }
    assert rows_of(f.table("booked")) == {
        "ASD": [1, 4, 5],
        "SLCN": [1, 4, 5],
        "SEMH": [1, 0, 1],
        "total": [3, 8, 11],
    }
    assert rows_of(f.table("held")) == {
        "ASD": [1, 1, 2],
        "SLCN": [1, 1, 2],
        "SEMH": [1, 0, 1],
        "total": [3, 2, 5],
    }
    utilisation = grid_of(f.grid("utilisation"), capacity)
    assert utilisation["ASD"] == [0.167, 0.4, 0.312]
    assert utilisation["SEMH"] == [0.1, 0.0, 0.05]


def test_supply_by_phase_counts_an_expert_under_each_phase(world, admin_user):
    f = figures(selectors.supply, admin_user, rows="phase")

    # Every expert serves primary and secondary (the factory's default): 6 + 10 in
    # September, 6 + 4 + 10 in October, under both.
    capacity = rows_of(f.table("capacity"))
    assert capacity["primary"][:2] == [16, 20]
    assert capacity["secondary"][:2] == [16, 20]
    assert capacity["early_years"][:2] == [0, 0]


def test_outcomes_figures(world, admin_user):
    f = figures(selectors.outcomes, admin_user, needs=("ASD",))

    reviews = f.table("reviews")
    formats = [k.key for k in reviews.table.column_keys]
    assert formats == ["observation_visit", "consultation", "staff_training", "video_call"]
    assert rows_of(reviews)["ASD"] == [2, 0, 0, 1, 3]
    mean_t = grid_of(f.grid("mean_t_score"), reviews)["ASD"]
    assert mean_t == [57.5, None, None, 45.0, 53.3]
    change = grid_of(f.grid("mean_confidence_change"), reviews)["ASD"]
    assert change == [2.0, None, None, 0.0, 1.0]  # c0 had no rating before: left out
    assert rows_of(f.table("goals"))["ASD"] == [2, 1, 3]
    assert grid_of(f.grid("share_goals_met"), f.table("goals"))["ASD"] == [0.667]
    feedback = f.table("feedback")
    assert rows_of(feedback)["ASD"] == [2, 0, 0, 1, 3]
    assert grid_of(f.grid("mean_rating"), feedback)["ASD"] == [4.0, None, None, 2.0, 3.33]


def test_a_coordinator_sees_their_trusts_supply_only(world, client_for):
    f = figures(selectors.supply, world.coordinator_t, needs=("ASD", "SEMH"))
    assert rows_of(f.table("capacity"))["SEMH"] == [0, 0, 0]  # e3 works in trust U
    assert rows_of(f.table("capacity"))["ASD"] == [6, 10, 16]
    u = figures(selectors.flow, world.coordinator_u, needs=("ASD",))
    assert rows_of(u.table("requests"))["ASD"] == [3, 0, 0, 0, 6, 9]  # school C's only


def test_an_la_officer_sees_their_las_supply_unmet_and_outcomes_only(world):
    camden = figures(selectors.supply, world.officer_camden, needs=("ASD", "SEMH"))
    assert rows_of(camden.table("capacity")) == {
        "ASD": [0, 0, 0],
        "SEMH": [10, 10, 20],
        "total": [10, 10, 20],
    }
    cambs = figures(selectors.unmet_demand, world.officer_cambs, needs=("ASD",))
    assert rows_of(cambs.table("unmet")) == {"ASD": [6, 6], "total": [6, 6]}
    # Camden has no unmet demand: no LA column at all, so nothing to publish.
    assert (
        figures(selectors.unmet_demand, world.officer_camden).table("unmet").table.column_keys == []
    )
    reviews = figures(selectors.outcomes, world.officer_camden, needs=("ASD",)).table("reviews")
    assert rows_of(reviews)["ASD"] == [1, 0, 0, 0, 1]  # c0's review, not r0's or r1's


@pytest.mark.parametrize("endpoint", ["supply", "flow", "unmet", "outcomes", "demand/prevalence"])
def test_every_endpoint_is_for_coordinators_and_admins(world, client_for, admin_user, endpoint):
    expert = world.experts["e1"].user
    assert client_for(None).get(f"{API}/{endpoint}").status_code == 401
    assert client_for(world.senco_a).get(f"{API}/{endpoint}").status_code == 403
    assert client_for(expert).get(f"{API}/{endpoint}").status_code == 403
    assert client_for(world.coordinator_t).get(f"{API}/{endpoint}?{QUERY}").status_code == 200
    assert client_for(world.officer_camden).get(f"{API}/{endpoint}?{QUERY}").status_code == 200
    assert client_for(admin_user).get(f"{API}/{endpoint}?{QUERY}").status_code == 200


def test_published_flow_suppresses_and_withholds(world, client_for, admin_user):
    body = client_for(admin_user).get(f"{API}/flow?{QUERY}&need=ASD&need=SLCN").json()
    requests = next(t for t in body["tables"] if t["name"] == "requests")
    match_rate = next(g for g in body["figures"] if g["name"] == "match_rate")

    # Unsuppressed: ASD 8 5 1 1 7 | 22, SLCN 0 0 0 0 7 | 7, total 8 5 1 1 14 | 29. The 1s
    # and 0s are primary; SLCN's matched 0 would follow from the column's 8 and ASD's 8, so
    # ASD's 8 goes; the rest follows from the rows until no cell is pinned.
    assert requests["cells"] == [
        ["c", "c", "<5", "<5", "c", 22],
        ["<5", "<5", "<5", "<5", "c", 7],
        [8, "c", "<5", "<5", 14, 29],
    ]
    # A rate is published only where both its counts are: here only overall, 8 of 29.
    assert match_rate["cells"] == [[None], [None], [0.276]]
    acceptance = next(g for g in body["figures"] if g["name"] == "acceptance_rate")
    assert acceptance["cells"] == [[None], [None], [None]]  # declined and expired are 2s


def test_each_table_and_figure_as_csv(world, client_for, admin_user):
    client = client_for(admin_user)
    answer = client.get(f"{API}/flow?{QUERY}&need=ASD&need=SLCN&format=csv&table=match_rate")
    lines = list(csv.reader(io.StringIO(answer.content.decode())))

    assert answer["Content-Disposition"] == 'attachment; filename="flow-match_rate.csv"'
    assert lines == [["need", "match_rate"], ["ASD", "c"], ["SLCN", "c"], ["total", "0.276"]]
    sessions = client.get(f"{API}/flow?{QUERY}&need=ASD&need=SLCN&format=csv&table=sessions")
    header, *rest = csv.reader(io.StringIO(sessions.content.decode()))
    assert header == [
        "need",
        "offered",
        "confirmed",
        "completed",
        "cancelled",
        "no_show",
        "lapsed",
        "total",
    ]
    assert [line[0] for line in rest] == ["ASD", "SLCN", "total"]
    assert rest[-1][-1] == "9"
    prevalence = client.get(f"{API}/demand/prevalence?{QUERY}&format=csv&table=per_1000_pupils")
    header = next(csv.reader(io.StringIO(prevalence.content.decode())))
    assert header == [
        "la",
        "need",
        "requests",
        "pupils",
        "time_period",
        "symbol",
        "per_1000_pupils",
        "reason",
    ]


def count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("endpoint", "most"),
    [
        ("demand?rows=la&columns=month", 6),
        ("demand/prevalence?", 6),
        ("supply?rows=phase", 6),
        ("supply?rows=need", 6),
        ("flow?rows=need", 10),
        ("unmet?rows=need&columns=region", 6),
        ("outcomes?rows=need", 8),
    ],
)
def test_queries_do_not_grow_with_the_data(world, client_for, endpoint, most):
    client = client_for(world.coordinator_t)
    path = f"{API}/{endpoint}&{QUERY}"
    before = count_queries(client, path)
    # Ten times the requests, with their proposals and sessions.
    r = w.raise_requests(world, "more", world.a, "SEMH", 60, submitted=w.london(2026, 10, 3))
    for request in r:
        w.propose(request, world.experts["e1"], after=D, status="declined", decline_reason="No.")
    after = count_queries(client, path)

    assert before == after <= most

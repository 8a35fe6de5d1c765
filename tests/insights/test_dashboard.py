"""The admin dashboard: Django admin's landing page shows the headline figures and charts,
each linking to an admin list that holds what it counts; bounded queries."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exchange.models import SupportRequest
from insights.terms import SchoolTerm
from matching.models import MatchingPolicy, MatchingRun, UnmatchedRequest
from scheduling.models import Session
from tests.factories import (
    ExpertProfileFactory,
    LocalAuthorityFactory,
    SchoolFactory,
    SpecialSchoolFactory,
    SupportRequestFactory,
    need,
)
from tests.insights.history import insert_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def section(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">(.*?)</(ul|ol|p)>', html, re.S)
    assert match, f"no #{element_id}"
    return match.group(1)


def charts(html: str) -> list[str]:
    return re.findall(r'<svg [^>]*class="insights-chart".*?</svg>', html, re.S)


def figures(html: str, element_id: str) -> dict[str, tuple[int, str]]:
    """{label: (value, href)} of a figure list."""
    items = re.findall(
        r'<a href="([^"]+)"><span class="figure-value">(\d+)</span> ([^<]+)</a>',
        section(html, element_id),
    )
    return {unescape(label.strip()): (int(value), unescape(href)) for href, value, label in items}


def in_list(client: Client, href: str) -> int:
    """How many rows the admin list at ``href`` shows (its "N results" or total count)."""
    response = client.get(href)
    assert response.status_code == 200, href
    page = response.content.decode()
    assert "errornote" not in page, href
    match = re.search(r"(\d+) results?", page) or re.search(r"(\d+) (?:total|\w+ \w+s?)\b", page)
    rows = page.count('class="action-select"')
    return rows if match is None else int(match.group(1))


@pytest.fixture
def fixture_data(admin_user):
    """A hand-counted fixture: requests in several statuses, two unverified experts, one
    safeguarding confirmation expiring in 10 days, two sessions this week, a round."""
    today = timezone.localdate()
    east = SchoolFactory(region="East of England")
    north = SchoolFactory(region="North West", local_authority=LocalAuthorityFactory(code="352"))
    waited = iter(range(10, 30))  # days since submission, each request its own
    for status, count in (("submitted", 3), ("unmatched", 2), ("closed", 1), ("draft", 1)):
        for _ in range(count):
            request = SupportRequestFactory(school=east, status=status)
            if status != "draft":
                SupportRequest.objects.filter(pk=request.pk).update(
                    submitted_at=timezone.now() - timedelta(days=next(waited))
                )
    SupportRequestFactory(school=north, status="unmatched", primary_need=need("SLCN"))
    SupportRequest.objects.filter(status="unmatched", school=north).update(
        submitted_at=timezone.now() - timedelta(days=99)
    )
    special = SpecialSchoolFactory(region="East of England")
    expert = ExpertProfileFactory(school=special, sessions_per_month=5)
    ExpertProfileFactory(school=special, is_verified=False)
    ExpertProfileFactory(school=special, is_verified=False)
    ExpertProfileFactory(school=special, safeguarding_expires_on=today + timedelta(days=10))
    ExpertProfileFactory(school=special, safeguarding_expires_on=today + timedelta(days=45))
    monday = today - timedelta(days=today.weekday())
    east_requests = list(SupportRequest.objects.filter(school=east).order_by("pk"))
    sessions = ((0, "confirmed"), (2, "completed"), (3, "cancelled"), (9, "confirmed"))
    for (offset, status), request in zip(sessions, east_requests, strict=False):
        starts = timezone.make_aware(
            timezone.datetime.combine(monday + timedelta(days=offset), timezone.datetime.min.time())
        ) + timedelta(hours=10)
        Session.objects.create(
            request=request,
            expert=expert,
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            format="video_call",
            status=status,
        )
    run = MatchingRun.objects.create(
        policy=MatchingPolicy.objects.get(is_active=True),
        objective="max_score",
        trigger="beat",
        status="finished",
        requests_considered=6,
        matched_count=3,
        unmatched_count=3,
        duration_ms=42,
    )
    for request in SupportRequest.objects.filter(status="unmatched"):
        UnmatchedRequest.objects.create(run=run, request=request, reason="no_feasible_expert")
    UnmatchedRequest.objects.filter(request__school=north).update(reason="capacity_taken")
    return run


def test_the_admin_index_shows_the_figures_each_linking_to_a_list_that_holds_them(
    admin_client_, fixture_data
):
    response = admin_client_.get("/admin/")

    assert response.status_code == 200
    html = response.content.decode()
    # The app list is still there, below the dashboard.
    assert 'id="content-main"' in html
    assert "Support requests" in html

    statuses = figures(html, "requests-by-status")
    assert statuses["Submitted"][0] == 3
    assert statuses["No expert available"][0] == 3
    assert statuses["Closed"][0] == 1
    assert statuses["Draft"][0] == 1
    assert statuses["Completed"][0] == 0
    experts = figures(html, "experts-and-week")
    assert experts["Experts awaiting verification"][0] == 2
    assert experts["Safeguarding confirmations expiring within 30 days"][0] == 1
    assert experts["Sessions this week"][0] == 2
    why = figures(html, "unmatched-why")
    run_page = f"/admin/matching/matchingrun/{fixture_data.pk}/change/"
    reason = UnmatchedRequest.Reason
    assert why == {
        reason("no_feasible_expert").label: (2, run_page),
        reason("capacity_taken").label: (1, run_page),
    }
    last_run = section(html, "last-run")
    assert f"Run #{fixture_data.pk}" in last_run
    assert "3 matched, 3 unmatched of 6" in last_run

    # Each figure's link opens an admin list holding exactly what it counts.
    for value, href in [*statuses.values(), *experts.values()]:
        assert in_list(admin_client_, href) == value, href


def test_waiting_longest_lists_the_oldest_waiting_requests_first(admin_client_, fixture_data):
    html = admin_client_.get("/admin/").content.decode()

    waiting = section(html, "waiting-longest")
    titles = re.findall(r'<a href="/admin/exchange/supportrequest/(\d+)/change/">', waiting)
    oldest = SupportRequest.objects.filter(
        status__in=["submitted", "matching", "unmatched"]
    ).order_by("submitted_at")
    assert [int(pk) for pk in titles] == [r.pk for r in oldest[:5]]
    assert '<span class="figure-value">99</span> days' in waiting


def test_the_charts_are_accessible_svg_with_links_and_no_script_or_style(
    admin_client_, fixture_data
):
    # Last term, 8 requests in the North West: seasonal naive projects 8 for the same term.
    north = SchoolFactory(region="North West")
    insert_history(north, "ASD", [8, 8, 8], first=SchoolTerm.of(timezone.localdate()) + -3)
    html = admin_client_.get("/admin/").content.decode()

    svgs = charts(html)
    assert len(svgs) == 3
    for svg in svgs:
        assert 'role="img"' in svg
        assert "<title" in svg
        assert "<desc" in svg
        assert "<script" not in svg
        assert "style=" not in svg
    demand, unmet, _projection = svgs
    # Unmet by need: ASD 2 and SLCN 1, each linking to its filtered list.
    assert "ASD: 2" in unmet
    assert "SLCN: 1" in unmet
    asd = need("ASD").pk
    href = (
        f"/admin/exchange/supportrequest/?status__exact=unmatched&amp;primary_need__id__exact={asd}"
    )
    assert href in unmet
    assert in_list(admin_client_, unescape(href)) == 2
    # Demand and capacity by region: the East's experts accepting work give 5 + 6 + 6 per
    # month (the factory's default is 6); both regions listed.
    assert "East of England" in demand
    assert "North West, Requests projected: 8" in unescape(demand)
    term = SchoolTerm.of(timezone.localdate()) + 1
    months = {0: 4, 1: 3, 2: 4}[int(term.term)]
    assert f"Expert sessions available {(5 + 6 + 6) * months}" in unescape(demand)
    assert "school__region=North+West" in demand
    assert "cdn" not in html.lower()


def test_the_projection_chart_draws_the_history_and_the_bands(admin_client_, admin_user):
    school = SchoolFactory()
    first = SchoolTerm.of(timezone.localdate()) + -12
    insert_history(school, "ASD", [20, 14, 10] * 4, first=first)

    html = admin_client_.get("/admin/").content.decode()

    projection = charts(html)[2]
    assert "(overdispersed poisson)" in projection
    assert projection.count("<polygon") == 2  # the 80 % and 95 % bands
    assert (first.label) in projection
    assert "projected:" in projection
    assert "95 %" in projection


def test_the_dashboard_runs_in_the_same_number_of_queries_at_two_data_sizes(
    admin_client_, fixture_data, django_assert_num_queries
):
    admin_client_.get("/admin/")
    with CaptureQueriesContext(connection) as small:
        admin_client_.get("/admin/")

    first = SchoolTerm.of(timezone.localdate()) + -9
    for code in ("353", "354", "355"):
        school = SchoolFactory(local_authority=LocalAuthorityFactory(code=code), region=code)
        insert_history(school, "SEMH", [9] * 9, first=first)
        ExpertProfileFactory(school=SpecialSchoolFactory(region=code), is_verified=False)
        SupportRequestFactory(school=school, status="unmatched", primary_need=need("HI"))

    with django_assert_num_queries(len(small.captured_queries)):
        admin_client_.get("/admin/")


def test_only_staff_see_the_dashboard(client):
    response = client.get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]

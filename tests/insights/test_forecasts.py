"""GET /api/v1/analytics/projection over real rows: requests counted per term in the
database, the model wired to them, capacity, the gap, suppression and scope. The model's
own coverage and trend tests are in test_projection.py."""

import math
from datetime import UTC, date, datetime

import pytest
from django.db.models import F
from django.utils import timezone

from accounts.enums import Role
from exchange.models import SupportRequest
from insights.forecasts import MAX_HISTORY_TERMS
from insights.models import SenStatistic
from insights.projection import Term
from insights.terms import SchoolTerm, with_term
from tests.factories import (
    ExpertProfileFactory,
    LaOfficerMembershipFactory,
    LocalAuthorityFactory,
    MembershipFactory,
    SchoolFactory,
    SpecialSchoolFactory,
    TrustCoordinatorMembershipFactory,
    TrustFactory,
    need,
)
from tests.insights.history import insert_history

pytestmark = pytest.mark.django_db
URL = "/api/v1/analytics/projection"
SEASON = {Term.AUTUMN: 0.25, Term.SPRING: 0.0, Term.SUMMER: -0.3}
GROWTH_PER_TERM = 0.04


def current_term() -> SchoolTerm:
    return SchoolTerm.of(timezone.localdate())


def truth(first: SchoolTerm, step: int, base: float = 30.0) -> float:
    """The expected count ``step`` terms after ``first``: trend and term of the year."""
    return base * math.exp(GROWTH_PER_TERM * step + SEASON[(first + step).term])


def seasonal_history(terms: int, base: float = 30.0) -> tuple[SchoolTerm, list[int]]:
    first = current_term() + -terms
    return first, [round(truth(first, step, base)) for step in range(terms)]


@pytest.fixture
def cambs():
    return LocalAuthorityFactory(code="873", name="Cambridgeshire")


@pytest.fixture
def school(cambs):
    return SchoolFactory(local_authority=cambs, region="East of England")


# --- school terms -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "term", "year"),
    [
        (date(2026, 8, 31), Term.SUMMER, 2025),
        (date(2026, 9, 1), Term.AUTUMN, 2026),
        (date(2026, 12, 31), Term.AUTUMN, 2026),
        (date(2027, 1, 1), Term.SPRING, 2026),
        (date(2027, 3, 31), Term.SPRING, 2026),
        (date(2027, 4, 1), Term.SUMMER, 2026),
    ],
)
def test_school_terms_by_month(day, term, year):
    school_term = SchoolTerm.of(day)

    assert (school_term.term, school_term.school_year) == (term, year)
    assert school_term.starts_on <= day <= school_term.ends_on
    assert (school_term + 1).starts_on == school_term.ends_on.fromordinal(
        school_term.ends_on.toordinal() + 1
    )


def test_school_term_labels():
    spring = SchoolTerm.of(date(2027, 2, 10))

    assert (spring.label, spring.school_year_label) == ("Spring 2027", "2026/27")
    assert (spring.starts_on, spring.ends_on) == (date(2027, 1, 1), date(2027, 3, 31))


def test_the_database_puts_requests_in_the_same_terms_in_london_time(school):
    # 31 August 23:30 UTC is already 1 September in London (BST): autumn, not summer.
    moments = [
        datetime(2026, 8, 31, 22, 30, tzinfo=UTC),  # 23:30 BST: summer
        datetime(2026, 8, 31, 23, 30, tzinfo=UTC),  # 00:30 BST on 1 September: autumn
        datetime(2027, 3, 31, 22, 59, tzinfo=UTC),  # 23:59 BST: spring
        datetime(2027, 1, 1, 0, 0, tzinfo=UTC),
    ]
    insert_history(school, "ASD", [len(moments)], first=SchoolTerm.of(date(2026, 9, 1)))
    for request, moment in zip(SupportRequest.objects.order_by("pk"), moments, strict=True):
        SupportRequest.objects.filter(pk=request.pk).update(submitted_at=moment)

    window = (SchoolTerm.of(date(2025, 9, 1)), SchoolTerm.of(date(2027, 8, 1)))
    terms = list(
        with_term(SupportRequest.objects.order_by("pk"), "submitted_at", *window).values_list(
            "term", flat=True
        )
    )

    expected = [
        SchoolTerm.of(m.astimezone(timezone.get_current_timezone()).date()) for m in moments
    ]
    assert terms == [term.index for term in expected]
    assert [term.term for term in expected] == [Term.SUMMER, Term.AUTUMN, Term.SPRING, Term.SPRING]


# --- the projection over history in the database ----------------------------------------------


def test_the_endpoint_recovers_the_trend_and_the_truth_falls_inside_the_intervals(
    client_for, admin_user, school
):
    first, counts = seasonal_history(MAX_HISTORY_TERMS)
    insert_history(school, "ASD", counts, first=first)
    # Drafts and other needs are not this series' history.
    insert_history(school, "SLCN", [6] * 3, first=first)
    SupportRequest.objects.filter(primary_need=need("SLCN")).update(submitted_at=None)

    response = client_for(admin_user).get(URL)

    assert response.status_code == 200, response.content
    (series,) = response.json()["results"]
    assert series["need"] == {"code": "ASD", "name": need("ASD").name}
    assert series["local_authority"] == {"code": "873", "name": "Cambridgeshire"}
    assert series["region"] == "East of England"
    assert series["method"] == "overdispersed_poisson"
    assert series["history_terms"] == MAX_HISTORY_TERMS
    assert [term["requests"] for term in series["history"]] == counts
    assert series["trend_per_year"] == pytest.approx(math.exp(3 * GROWTH_PER_TERM), abs=0.03)
    assert series["backtest"]["forecasts"] > 0
    assert series["backtest"]["mase"] < series["backtest"]["mase_seasonal_naive"]
    # The two terms after the current one (history ends with the last complete term).
    now = current_term()
    assert [term["term"]["label"] for term in series["terms"]] == [
        (now + 1).label,
        (now + 2).label,
    ]
    for step, term in enumerate(series["terms"], start=MAX_HISTORY_TERMS + 1):
        expected = truth(first, step)
        low, high = term["interval_95"]
        assert low <= expected <= high
        low80, high80 = term["interval_80"]
        assert low <= low80 <= expected <= high80 <= high
        assert term["requests_expected"] == pytest.approx(expected, rel=0.1)


def test_short_history_falls_back_to_seasonal_naive_and_says_so(client_for, admin_user, school):
    first = current_term() + -4
    insert_history(school, "ASD", [11, 7, 9, 13], first=first)

    series = client_for(admin_user).get(URL).json()["results"][0]

    assert series["method"] == "seasonal_naive"
    assert series["history_terms"] == 4
    assert series["trend_per_year"] is None
    assert series["backtest"] is None
    # The next two terms are the same terms of the year as history's third and fourth
    # (current − 2 and current − 1).
    assert [term["requests_expected"] for term in series["terms"]] == [9, 13]


def test_a_series_starts_with_its_first_request_later_zeros_kept(client_for, admin_user, school):
    first = current_term() + -6
    insert_history(SchoolFactory(), "ASD", [9] * 6, first=first)  # another LA, from the start
    # Cambridgeshire's ASD requests start two terms later: its history is four terms.
    insert_history(school, "ASD", [0, 0, 8, 8, 8, 8], first=first)
    # A zero after the first request is history (and under 5: suppressed).
    insert_history(school, "SLCN", [0, 8, 0, 8, 8, 8], first=first)

    results = client_for(admin_user).get(URL, {"la": "873"}).json()["results"]

    assert [(s["need"]["code"], s["history_terms"], s["suppressed"]) for s in results] == [
        ("ASD", 4, False),
        ("SLCN", 5, True),
    ]
    assert results[0]["history"][0]["term"]["label"] == (first + 2).label


def test_history_window_is_bounded(client_for, admin_user, school):
    first = current_term() + -(MAX_HISTORY_TERMS + 6)
    insert_history(school, "ASD", [10] * (MAX_HISTORY_TERMS + 6), first=first)

    series = client_for(admin_user).get(URL).json()["results"][0]

    assert series["history_terms"] == MAX_HISTORY_TERMS
    assert series["history"][0]["term"]["label"] == (first + 6).label


# --- exposure, capacity and the gap -------------------------------------------------------------


def test_capacity_and_gap_against_a_hand_computed_fixture(client_for, admin_user, school, cambs):
    first = current_term() + -4
    insert_history(school, "ASD", [20, 20, 20, 20], first=first)
    special = SpecialSchoolFactory(local_authority=cambs, region="East of England")
    ExpertProfileFactory(school=special, sessions_per_month=6, specialisms=[("ASD", "lead")])
    ExpertProfileFactory(
        school=special, sessions_per_month=4, specialisms=[("ASD", "lead"), ("SLCN", "lead")]
    )
    # Not counted: paused, unverified, suspended, another need, another LA.
    ExpertProfileFactory(school=special, sessions_per_month=9, is_paused=True)
    ExpertProfileFactory(school=special, sessions_per_month=9, is_verified=False)
    ExpertProfileFactory(school=special, sessions_per_month=9, is_suspended=True)
    ExpertProfileFactory(school=special, sessions_per_month=9, specialisms=[("SLCN", "lead")])
    ExpertProfileFactory(sessions_per_month=9)

    series = client_for(admin_user).get(URL, {"la": "873"}).json()["results"][0]

    months = {"autumn": 4, "spring": 3, "summer": 4}
    for term in series["terms"]:
        capacity = (6 + 4) * months[term["term"]["term"]]
        assert term["capacity_sessions"] == capacity
        assert term["requests_expected"] == 20
        assert term["gap"] == 20 - capacity


def test_exposure_is_dfe_pupils_with_the_need_in_the_la(client_for, admin_user, school):
    insert_history(school, "ASD", [10] * 4, first=current_term() + -4)
    cells = [
        ("State-funded primary", "SEN support", 300, ""),
        ("State-funded primary", "EHC plan", 120, ""),
        ("State-funded secondary", "EHC plan", None, "c"),  # withheld: counts as none
        ("Total", "Total", 999, ""),  # a total row: not counted twice
    ]
    for phase, provision, pupils, symbol in cells:
        SenStatistic.objects.create(
            time_period="202526",
            geographic_level="Local authority",
            old_la_code="873",
            la_name="Cambridgeshire",
            phase=phase,
            provision=provision,
            need_label="Autistic Spectrum Disorder",
            need=need("ASD"),
            pupil_count=pupils,
            symbol=symbol,
        )

    series = client_for(admin_user).get(URL).json()["results"][0]

    assert series["exposure_pupils"] == 420


# --- suppression --------------------------------------------------------------------------------


def test_a_history_with_a_small_term_is_suppressed_capacity_still_shown(
    client_for, admin_user, school
):
    insert_history(school, "ASD", [12, 3, 12, 12], first=current_term() + -4)
    ExpertProfileFactory(
        school=SpecialSchoolFactory(local_authority=school.local_authority), sessions_per_month=5
    )

    series = client_for(admin_user).get(URL).json()["results"][0]

    assert series["suppressed"] is True
    assert series["history"] is None
    assert (series["method"], series["trend_per_year"], series["backtest"]) == (None, None, None)
    for term in series["terms"]:
        assert term["requests_expected"] is term["interval_95"] is term["gap"] is None
        assert term["capacity_sessions"] > 0
    assert "3" not in str([term["requests_expected"] for term in series["terms"]])


def test_a_region_is_suppressed_when_its_one_suppressed_la_would_follow_by_subtraction(
    client_for, admin_user, school
):
    first = current_term() + -4
    insert_history(school, "ASD", [20, 20, 20, 20], first=first)
    small = SchoolFactory(local_authority=LocalAuthorityFactory(code="874"), region=school.region)
    insert_history(small, "ASD", [2, 0, 1, 3], first=first)

    las = client_for(admin_user).get(URL).json()["results"]
    (region,) = client_for(admin_user).get(URL, {"by": "region"}).json()["results"]

    assert {s["local_authority"]["code"]: s["suppressed"] for s in las} == {
        "873": False,
        "874": True,
    }
    # The region's history (22, 20, 21, 23) is publishable, but minus Cambridgeshire's it
    # would give the small LA's away.
    assert region["local_authority"] is None
    assert region["suppressed"] is True


def test_a_region_is_published_when_its_suppressed_las_together_are_not_small(
    client_for, admin_user, school
):
    first = current_term() + -4
    insert_history(school, "ASD", [20, 20, 20, 20], first=first)
    for code in ("874", "875"):
        small = SchoolFactory(
            local_authority=LocalAuthorityFactory(code=code), region=school.region
        )
        insert_history(small, "ASD", [3, 3, 4, 4], first=first)

    (region,) = client_for(admin_user).get(URL, {"by": "region"}).json()["results"]

    assert region["suppressed"] is False
    assert [term["requests"] for term in region["history"]] == [26, 26, 28, 28]
    assert region["method"] == "seasonal_naive"


# --- filters, scope and bounded queries -------------------------------------------------------


def test_filters_by_need_la_and_region(client_for, admin_user, school):
    first = current_term() + -4
    insert_history(school, "ASD", [10] * 4, first=first)
    insert_history(school, "SLCN", [10] * 4, first=first)
    north = SchoolFactory(local_authority=LocalAuthorityFactory(code="352"), region="North West")
    insert_history(north, "ASD", [10] * 4, first=first)
    client = client_for(admin_user)

    def keys(**params):
        results = client.get(URL, params).json()["results"]
        return [(s["need"]["code"], (s["local_authority"] or {}).get("code")) for s in results]

    assert keys() == [("ASD", "873"), ("ASD", "352"), ("SLCN", "873")]
    assert keys(need="SLCN") == [("SLCN", "873")]
    assert keys(la="352") == [("ASD", "352")]
    assert keys(region="North West") == [("ASD", "352")]
    assert keys(by="region", need="ASD") == [("ASD", None), ("ASD", None)]


@pytest.mark.parametrize(
    "params", [{"need": "NOPE"}, {"la": "87"}, {"by": "country"}, {"page_size": "0"}]
)
def test_bad_filters_are_a_400(client_for, admin_user, params):
    response = client_for(admin_user).get(URL, params)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_school_staff_and_experts_may_not_read_projections(client_for):
    staff = MembershipFactory(role=Role.SENCO).user
    expert = ExpertProfileFactory().user

    assert client_for(staff).get(URL).status_code == 403
    assert client_for(expert).get(URL).status_code == 403
    assert client_for(None).get(URL).status_code == 401


def test_a_trust_coordinator_sees_only_their_trusts_schools(client_for, school, cambs):
    trust = TrustFactory()
    coordinator = TrustCoordinatorMembershipFactory(trust=trust).user
    first = current_term() + -4
    insert_history(SchoolFactory(local_authority=cambs, trust=trust), "ASD", [7] * 4, first=first)
    insert_history(school, "ASD", [30] * 4, first=first)  # same LA, not the trust's
    ExpertProfileFactory(
        school=SpecialSchoolFactory(local_authority=cambs, trust=trust), sessions_per_month=2
    )
    ExpertProfileFactory(school=SpecialSchoolFactory(local_authority=cambs), sessions_per_month=9)

    (series,) = client_for(coordinator).get(URL).json()["results"]

    assert [term["requests"] for term in series["history"]] == [7] * 4
    assert series["terms"][0]["capacity_sessions"] % 2 == 0
    assert series["terms"][0]["capacity_sessions"] < 9 * 3


def test_an_la_officer_sees_only_their_las_schools(client_for, school, cambs):
    officer = LaOfficerMembershipFactory(local_authority=cambs).user
    other_officer = LaOfficerMembershipFactory(local_authority=LocalAuthorityFactory(code="352"))
    first = current_term() + -4
    insert_history(school, "ASD", [7] * 4, first=first)
    elsewhere = SchoolFactory(local_authority=other_officer.local_authority, region=school.region)
    insert_history(elsewhere, "ASD", [30] * 4, first=first)
    ExpertProfileFactory(school=SpecialSchoolFactory(local_authority=cambs), sessions_per_month=2)
    ExpertProfileFactory(
        school=SpecialSchoolFactory(local_authority=elsewhere.local_authority),
        sessions_per_month=9,
    )

    (series,) = client_for(officer).get(URL).json()["results"]
    (region,) = client_for(officer).get(URL, {"by": "region"}).json()["results"]
    (theirs,) = client_for(other_officer.user).get(URL).json()["results"]

    assert series["local_authority"]["code"] == "873"
    assert [term["requests"] for term in series["history"]] == [7] * 4
    assert {term["capacity_sessions"] % 2 for term in series["terms"]} == {0}
    # Their region is their LA's part of it, not the other LA's.
    assert [term["requests"] for term in region["history"]] == [7] * 4
    assert theirs["local_authority"]["code"] == "352"
    assert client_for(officer).get(URL, {"la": "352"}).json()["results"] == []


def test_query_count_does_not_grow_with_the_data(
    client_for, admin_user, school, django_assert_num_queries
):
    first = current_term() + -4
    insert_history(school, "ASD", [10] * 4, first=first)
    client = client_for(admin_user)
    client.get(URL)  # warm: the Need table's content type and such
    with django_assert_num_queries(5) as small:
        assert len(client.get(URL).json()["results"]) == 1

    for code in ("352", "353", "354"):
        other = SchoolFactory(local_authority=LocalAuthorityFactory(code=code))
        for need_code in ("ASD", "SLCN", "SEMH"):
            insert_history(other, need_code, [10] * 12, first=current_term() + -12)
            ExpertProfileFactory(school=SpecialSchoolFactory(local_authority=other.local_authority))
    SupportRequest.objects.update(created_at=F("submitted_at"))

    with django_assert_num_queries(len(small.captured_queries)):
        assert len(client.get(URL, {"page_size": 25}).json()["results"]) == 10

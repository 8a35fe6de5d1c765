"""The exchange's list endpoints: a fixed query count whatever the page holds, the filters of
the expert directory and of support requests, and the page-size cap."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.enums import Role
from exchange.enums import CredentialKind, ExceptionKind
from exchange.models import (
    AvailabilityException,
    AvailabilityWindow,
    Credential,
    ExpertProfile,
    Need,
    PreferredWindow,
    StatusChange,
    SupportRequest,
    Topic,
)
from tests.factories import (
    ExpertProfileFactory,
    LocalAuthorityFactory,
    MembershipFactory,
    SchoolFactory,
    SpecialSchoolFactory,
    SupportRequestFactory,
    TrustFactory,
    UserFactory,
    topic,
)

pytestmark = pytest.mark.django_db


def count_queries(client, path: str, params: dict | None = None) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def ids(response) -> list[int]:
    return [row["id"] for row in results(response)]


@pytest.fixture
def user(db):
    return UserFactory()


# --- N+1 guards ------------------------------------------------------------------------------


def make_expert(index: int) -> ExpertProfile:
    """An expert at their own school (own LA and trust) with needs, a topic and credentials."""
    school = SpecialSchoolFactory(
        trust=TrustFactory(), local_authority=LocalAuthorityFactory(code=f"{100 + index}")
    )
    expert = ExpertProfileFactory(
        school=school,
        specialisms=[("ASD", "lead"), ("SEMH", "practitioner"), ("aac", "specialist")],
    )
    Credential.objects.create(expert=expert, kind=CredentialKind.QTS, status="verified")
    Credential.objects.create(expert=expert, kind=CredentialKind.NPQ_SENCO)
    return expert


def make_request(index: int, senco_user) -> SupportRequest:
    """A request at its own school (the caller its SENCO) with needs, topics and windows."""
    school = SchoolFactory(
        trust=TrustFactory(), local_authority=LocalAuthorityFactory(code=f"{100 + index}")
    )
    MembershipFactory(user=senco_user, school=school, role=Role.SENCO)
    support_request = SupportRequestFactory(school=school, needs=["SLCN", "SEMH"])
    support_request.topics.set([topic("sensory-regulation"), topic("visual-timetables")])
    start = date(2027, 1, 11)
    PreferredWindow.objects.bulk_create(
        PreferredWindow(
            request=support_request,
            date=start + timedelta(days=day),
            start_time=time(9),
            end_time=time(12),
        )
        for day in range(3)
    )
    return support_request


def test_needs_list_runs_a_fixed_number_of_queries(client_for, user):
    Need.objects.all().delete()  # the migrated twelve; no test data refers to them
    Need.objects.create(code="N0", name="Need 0", broad_area="uncategorised")
    client = client_for(user)

    one, body = count_queries(client, "/api/v1/needs")
    assert len(body) == 1
    Need.objects.bulk_create(
        Need(code=f"N{i}", name=f"Need {i}", broad_area="uncategorised") for i in range(1, 10)
    )
    ten, body = count_queries(client, "/api/v1/needs")

    assert len(body) == 10
    assert ten == one


def test_topics_list_runs_a_fixed_number_of_queries(client_for, user):
    Topic.objects.all().delete()  # the migrated ones; no test data refers to them
    Topic.objects.create(slug="t0", name="Topic 0")
    client = client_for(user)

    one, body = count_queries(client, "/api/v1/topics")
    assert body["count"] == 1
    Topic.objects.bulk_create(Topic(slug=f"t{i}", name=f"Topic {i}") for i in range(1, 10))
    ten, body = count_queries(client, "/api/v1/topics")

    assert body["count"] == 10
    assert ten == one


@pytest.mark.parametrize("caller", ["user", "admin"])
@pytest.mark.parametrize("params", [{}, {"need": "ASD", "level": "specialist"}, "near"])
def test_experts_list_runs_a_fixed_number_of_queries(client_for, user, admin_user, caller, params):
    client = client_for(user if caller == "user" else admin_user)
    if params == "near":
        params = {"near": SchoolFactory(easting=550000, northing=280000).urn, "within_km": 50}
    make_expert(0)

    one, body = count_queries(client, "/api/v1/experts", params)
    assert body["count"] == 1
    for index in range(1, 10):
        make_expert(index)
    ten, body = count_queries(client, "/api/v1/experts", params)

    assert body["count"] == 10
    assert all(len(row["specialisms"]) == 3 for row in body["results"])
    assert all(len(row["credentials"]) == 2 for row in body["results"])
    assert ten == one


def test_requests_list_runs_a_fixed_number_of_queries(client_for):
    senco_user = UserFactory()
    client = client_for(senco_user)
    make_request(0, senco_user)

    one, body = count_queries(client, "/api/v1/requests")
    assert body["count"] == 1
    for index in range(1, 10):
        make_request(index, senco_user)
    ten, body = count_queries(client, "/api/v1/requests")

    assert body["count"] == 10
    for row in body["results"]:
        assert row["needs"] == ["ASD", "SLCN", "SEMH"]
        assert row["topics"] == ["sensory-regulation", "visual-timetables"]
        assert len(row["preferred_windows"]) == 3
    assert ten == one


def test_request_history_runs_a_fixed_number_of_queries(client_for):
    senco = MembershipFactory(role=Role.SENCO)
    support_request = make_request(0, senco.user)
    client = client_for(senco.user)
    path = f"/api/v1/requests/{support_request.pk}/history"
    # Each change by a different person, so their names cannot come from one cached row.
    StatusChange.objects.create(
        request=support_request,
        from_status="draft",
        to_status="submitted",
        changed_by=UserFactory(),
    )

    one, body = count_queries(client, path)
    assert len(body) == 1
    assert body[0]["changed_by"]
    for _ in range(9):
        StatusChange.objects.create(
            request=support_request,
            from_status="matching",
            to_status="proposed",
            changed_by=UserFactory(),
        )
    ten, body = count_queries(client, path)

    assert len(body) == 10
    assert all(row["changed_by"] for row in body)
    assert ten == one


def add_window(expert: ExpertProfile, index: int) -> None:
    AvailabilityWindow.objects.create(
        expert=expert,
        weekday=index % 5,
        start_time=time(8 + index // 5),
        end_time=time(9 + index // 5),
    )


def add_exception(expert: ExpertProfile, index: int) -> None:
    AvailabilityException.objects.create(
        expert=expert, date=date(2027, 2, 1) + timedelta(days=index), kind=ExceptionKind.UNAVAILABLE
    )


def add_credential(expert: ExpertProfile, index: int) -> None:
    Credential.objects.create(expert=expert, kind=CredentialKind.OTHER, title=f"Award {index}")


@pytest.mark.parametrize(
    ("path", "add"),
    [
        ("availability-windows", add_window),
        ("availability-exceptions", add_exception),
        ("credentials", add_credential),
    ],
)
@pytest.mark.parametrize("caller", ["user", "expert"])
def test_expert_child_lists_run_a_fixed_number_of_queries(client_for, user, path, add, caller):
    expert = ExpertProfileFactory()
    client = client_for(user if caller == "user" else expert.user)
    url = f"/api/v1/experts/{expert.pk}/{path}"
    add(expert, 0)

    one, body = count_queries(client, url)
    assert len(body) == 1
    for index in range(1, 10):
        add(expert, index)
    ten, body = count_queries(client, url)

    assert len(body) == 10
    assert ten == one


# --- expert filters --------------------------------------------------------------------------


def test_experts_filter_by_need_and_topic(client_for, user):
    autism = ExpertProfileFactory(specialisms=[("ASD", "lead")])
    sensory = ExpertProfileFactory(specialisms=[("sensory-regulation", "specialist")])
    both = ExpertProfileFactory(
        specialisms=[("ASD", "practitioner"), ("sensory-regulation", "aware")]
    )
    ExpertProfileFactory(specialisms=[("HI", "lead")])
    client = client_for(user)

    assert ids(client.get("/api/v1/experts", {"need": "ASD"})) == [autism.pk, both.pk]
    assert ids(client.get("/api/v1/experts", {"topic": "sensory-regulation"})) == [
        sensory.pk,
        both.pk,
    ]
    assert ids(client.get("/api/v1/experts", {"need": "ASD", "topic": "sensory-regulation"})) == [
        both.pk
    ]
    assert ids(client.get("/api/v1/experts", {"need": "SLD"})) == []
    assert ids(client.get("/api/v1/experts", {"topic": "no-such-topic"})) == []


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("aware", ["aware", "practitioner", "specialist", "lead"]),
        ("practitioner", ["practitioner", "specialist", "lead"]),
        ("specialist", ["specialist", "lead"]),
        ("lead", ["lead"]),
    ],
)
def test_experts_level_means_at_least_this_level_of_the_need(client_for, user, level, expected):
    by_level = {
        name: ExpertProfileFactory(specialisms=[("ASD", name), ("SEMH", "lead")])
        for name in ["aware", "practitioner", "specialist", "lead"]
    }
    client = client_for(user)

    found = ids(client.get("/api/v1/experts", {"need": "ASD", "level": level}))

    assert found == [by_level[name].pk for name in expected]


def test_experts_level_applies_to_topics_and_to_the_same_specialism(client_for, user):
    # A lead in SEMH but only a practitioner in ASD is not an ASD specialist.
    mixed = ExpertProfileFactory(specialisms=[("ASD", "practitioner"), ("SEMH", "lead")])
    topic_lead = ExpertProfileFactory(specialisms=[("aac", "lead")])
    ExpertProfileFactory(specialisms=[("aac", "practitioner")])
    client = client_for(user)

    assert ids(client.get("/api/v1/experts", {"need": "ASD", "level": "specialist"})) == []
    assert ids(client.get("/api/v1/experts", {"need": "SEMH", "level": "specialist"})) == [mixed.pk]
    assert ids(client.get("/api/v1/experts", {"topic": "aac", "level": "specialist"})) == [
        topic_lead.pk
    ]


@pytest.fixture
def primary_visits_and_post_16_training():
    primary_visits = ExpertProfileFactory(serves_secondary=False, offers_video_call=False)
    post_16_training = ExpertProfileFactory(
        serves_primary=False,
        serves_secondary=False,
        serves_post_16=True,
        offers_observation_visit=False,
        offers_staff_training=True,
    )
    return primary_visits, post_16_training


def test_experts_filter_by_phase(client_for, user, primary_visits_and_post_16_training):
    primary_visits, post_16_training = primary_visits_and_post_16_training
    client = client_for(user)

    assert ids(client.get("/api/v1/experts", {"phase": "primary"})) == [primary_visits.pk]
    assert ids(client.get("/api/v1/experts", {"phase": "post_16"})) == [post_16_training.pk]
    assert ids(client.get("/api/v1/experts", {"phase": "early_years"})) == []
    response = client.get("/api/v1/experts", {"phase": "sixth_form"})
    assert response.status_code == 400
    assert "phase" in response.json()["fields"]


def test_experts_filter_by_format(client_for, user, primary_visits_and_post_16_training):
    primary_visits, post_16_training = primary_visits_and_post_16_training
    client = client_for(user)

    assert ids(client.get("/api/v1/experts", {"format": "staff_training"})) == [post_16_training.pk]
    assert ids(client.get("/api/v1/experts", {"format": "observation_visit"})) == [
        primary_visits.pk
    ]
    assert ids(client.get("/api/v1/experts", {"format": "consultation"})) == [
        primary_visits.pk,
        post_16_training.pk,
    ]


def test_experts_filter_by_la_region_and_school(client_for, user):
    # LA codes outside the factory's 800–998 range, so no other school shares them.
    camden = SpecialSchoolFactory(
        local_authority=LocalAuthorityFactory(code="202", name="Camden"), region="London"
    )
    bolton = SpecialSchoolFactory(
        local_authority=LocalAuthorityFactory(code="350", name="Bolton"), region="North West"
    )
    in_camden = ExpertProfileFactory(school=camden)
    also_in_camden = ExpertProfileFactory(school=camden)
    in_bolton = ExpertProfileFactory(school=bolton)
    client = client_for(user)

    assert ids(client.get("/api/v1/experts", {"la": "202"})) == [in_camden.pk, also_in_camden.pk]
    assert ids(client.get("/api/v1/experts", {"region": "north west"})) == [in_bolton.pk]
    assert ids(client.get("/api/v1/experts", {"school": bolton.urn})) == [in_bolton.pk]
    assert ids(client.get("/api/v1/experts", {"school": camden.urn, "la": "350"})) == []


def test_experts_filter_by_verified_as_admin(client_for, user, admin_user):
    verified = ExpertProfileFactory()
    unverified = ExpertProfileFactory(is_verified=False)
    admin = client_for(admin_user)

    assert ids(admin.get("/api/v1/experts")) == [verified.pk, unverified.pk]
    assert ids(admin.get("/api/v1/experts", {"verified": "true"})) == [verified.pk]
    assert ids(admin.get("/api/v1/experts", {"verified": "false"})) == [unverified.pk]
    # Everyone else sees only verified experts, whatever they ask for.
    assert ids(client_for(user).get("/api/v1/experts", {"verified": "false"})) == []


def test_experts_filter_by_accepting_work(client_for, admin_user):
    accepting = ExpertProfileFactory()
    paused = ExpertProfileFactory(is_paused=True)
    suspended = ExpertProfileFactory(is_suspended=True, suspended_reason="Under review")
    unverified = ExpertProfileFactory(is_verified=False)
    client = client_for(admin_user)

    response = client.get("/api/v1/experts", {"accepting_work": "true"})
    assert ids(response) == [accepting.pk]
    assert results(response)[0]["accepting_work"] is True
    response = client.get("/api/v1/experts", {"accepting_work": "false"})
    assert ids(response) == [paused.pk, suspended.pk, unverified.pk]
    assert {row["accepting_work"] for row in results(response)} == {False}


@pytest.fixture
def grid():
    """A school at a known point and experts 5, 10 and 50 km away (3-4-5 triangles on the
    British National Grid, whose coordinates are metres)."""
    origin = SchoolFactory(urn=140008, easting=500000, northing=200000)
    near = ExpertProfileFactory(school=SpecialSchoolFactory(easting=503000, northing=204000))
    far = ExpertProfileFactory(school=SpecialSchoolFactory(easting=530000, northing=240000))
    middle = ExpertProfileFactory(school=SpecialSchoolFactory(easting=494000, northing=192000))
    return origin, near, middle, far


def test_experts_near_a_school_are_sorted_by_distance(client_for, user, grid):
    origin, near, middle, far = grid

    response = client_for(user).get("/api/v1/experts", {"near": origin.urn})

    assert [(row["id"], row["distance_km"]) for row in results(response)] == [
        (near.pk, 5.0),
        (middle.pk, 10.0),
        (far.pk, 50.0),
    ]


def test_experts_within_km_excludes_the_far_ones(client_for, user, grid):
    origin, near, middle, _far = grid
    client = client_for(user)

    within_12 = client.get("/api/v1/experts", {"near": origin.urn, "within_km": 12})
    within_10 = client.get("/api/v1/experts", {"near": origin.urn, "within_km": "10"})
    within_4 = client.get("/api/v1/experts", {"near": origin.urn, "within_km": 4.9})

    assert [(row["id"], row["distance_km"]) for row in results(within_12)] == [
        (near.pk, 5.0),
        (middle.pk, 10.0),
    ]
    assert ids(within_10) == [near.pk, middle.pk]  # the bound is inclusive
    assert ids(within_4) == []


def test_experts_distance_combines_with_other_filters(client_for, user, grid):
    origin, near, _middle, far = grid
    ExpertProfile.objects.filter(pk=near.pk).update(is_paused=True)

    response = client_for(user).get(
        "/api/v1/experts", {"near": origin.urn, "accepting_work": "true"}
    )

    assert [row["id"] for row in results(response)][-1] == far.pk
    assert near.pk not in ids(response)


def test_experts_without_near_have_no_distance(client_for, user, grid):
    assert {row["distance_km"] for row in results(client_for(user).get("/api/v1/experts"))} == {
        None
    }


def test_experts_with_an_unknown_location_come_last_when_sorting_by_distance(
    client_for, user, grid
):
    origin, near, middle, far = grid
    nowhere = ExpertProfileFactory(school=SpecialSchoolFactory(easting=None, northing=None))

    response = client_for(user).get("/api/v1/experts", {"near": origin.urn})

    assert [(row["id"], row["distance_km"]) for row in results(response)] == [
        (near.pk, 5.0),
        (middle.pk, 10.0),
        (far.pk, 50.0),
        (nowhere.pk, None),
    ]
    within = client_for(user).get("/api/v1/experts", {"near": origin.urn, "within_km": 100})
    assert nowhere.pk not in ids(within)


def test_within_km_without_near_is_400(client_for, user):
    response = client_for(user).get("/api/v1/experts", {"within_km": 10})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == ["within_km"]


@pytest.mark.parametrize("params", [{"near": 999999}, {"near": 999999, "within_km": 10}])
def test_near_an_unknown_school_is_400(client_for, user, params):
    ExpertProfileFactory()

    response = client_for(user).get("/api/v1/experts", params)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == ["near"]


def test_near_a_school_without_a_location_is_400(client_for, user):
    unplaced = SchoolFactory(easting=None, northing=None)

    response = client_for(user).get("/api/v1/experts", {"near": unplaced.urn})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["near"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"near": "abc"}, "near"),
        ({"near": 140008, "within_km": -1}, "within_km"),
        ({"need": "XYZ"}, "need"),
        ({"level": "guru", "need": "ASD"}, "level"),
        ({"format": "carrier_pigeon"}, "format"),
        *(
            pytest.param({name: value}, name, id=f"{name}={value}")
            for name in ["verified", "accepting_work"]
            for value in ["perhaps", "1"]
        ),
    ],
)
def test_invalid_expert_filter_values_are_400_naming_the_parameter(client_for, user, params, field):
    SchoolFactory(urn=140008)

    response = client_for(user).get("/api/v1/experts", params)

    assert response.status_code == 400
    assert field in response.json()["fields"]


# --- request filters -------------------------------------------------------------------------


def request_with(status: str = "draft", **kwargs) -> SupportRequest:
    support_request = SupportRequestFactory(**kwargs)
    SupportRequest.objects.filter(pk=support_request.pk).update(status=status)
    return support_request


def test_requests_filter_by_status_is_repeatable(client_for, admin_user):
    draft = request_with("draft")
    submitted = request_with("submitted")
    request_with("cancelled")
    client = client_for(admin_user)

    assert ids(client.get("/api/v1/requests", {"status": "draft"})) == [draft.pk]
    assert ids(client.get("/api/v1/requests", {"status": ["draft", "submitted"]})) == [
        submitted.pk,
        draft.pk,
    ]
    response = client.get("/api/v1/requests", {"status": "finished"})
    assert response.status_code == 400
    assert "status" in response.json()["fields"]


def test_requests_filter_by_any_of_their_needs_and_by_topic(client_for, admin_user):
    autism_and_language = SupportRequestFactory(needs=["SLCN"])
    autism = SupportRequestFactory()
    hearing = SupportRequestFactory(primary_need=Need.objects.get(code="HI"), needs=["SLCN"])
    hearing.topics.set([topic("deaf-awareness"), topic("sensory-regulation")])
    autism.topics.set([topic("sensory-regulation")])
    client = client_for(admin_user)

    assert ids(client.get("/api/v1/requests", {"need": "ASD"})) == [
        autism.pk,
        autism_and_language.pk,
    ]
    # A secondary need matches, and a request with several matches is listed once.
    assert ids(client.get("/api/v1/requests", {"need": "SLCN"})) == [
        hearing.pk,
        autism_and_language.pk,
    ]
    assert ids(client.get("/api/v1/requests", {"need": "VI"})) == []
    assert ids(client.get("/api/v1/requests", {"topic": "sensory-regulation"})) == [
        hearing.pk,
        autism.pk,
    ]
    assert ids(client.get("/api/v1/requests", {"topic": "deaf-awareness", "need": "HI"})) == [
        hearing.pk
    ]
    assert client.get("/api/v1/requests", {"need": "ASD"}).json()["count"] == 2


def test_requests_filter_by_school_la_and_urgency(client_for, admin_user):
    camden = SchoolFactory(local_authority=LocalAuthorityFactory(code="202", name="Camden"))
    bolton = SchoolFactory(local_authority=LocalAuthorityFactory(code="350", name="Bolton"))
    urgent_in_camden = SupportRequestFactory(school=camden, urgency="urgent")
    routine_in_camden = SupportRequestFactory(school=camden)
    soon_in_bolton = SupportRequestFactory(school=bolton, urgency="soon")
    client = client_for(admin_user)

    assert ids(client.get("/api/v1/requests", {"school": camden.urn})) == [
        routine_in_camden.pk,
        urgent_in_camden.pk,
    ]
    assert ids(client.get("/api/v1/requests", {"la": "350"})) == [soon_in_bolton.pk]
    assert ids(client.get("/api/v1/requests", {"urgency": "urgent"})) == [urgent_in_camden.pk]
    assert ids(client.get("/api/v1/requests", {"urgency": "soon", "la": "202"})) == []
    assert client.get("/api/v1/requests", {"urgency": "yesterday"}).status_code == 400


def test_requests_filters_stay_within_the_callers_scope(client_for):
    senco = MembershipFactory(role=Role.SENCO)
    own = SupportRequestFactory(school=senco.school)
    other = SupportRequestFactory()
    client = client_for(senco.user)

    assert ids(client.get("/api/v1/requests", {"status": "draft"})) == [own.pk]
    assert ids(client.get("/api/v1/requests", {"school": other.school_id})) == []


@pytest.fixture
def dated_requests():
    """Three requests created at known instants; the second late on 30 June in UTC, which
    is already 1 July in London (BST)."""
    instants = [
        datetime(2026, 3, 10, 12, 0, tzinfo=UTC),
        datetime(2026, 6, 30, 23, 30, tzinfo=UTC),
        datetime(2026, 7, 1, 12, 0, tzinfo=UTC),
    ]
    created = []
    for index, instant in enumerate(instants):
        support_request = SupportRequestFactory(
            title=f"Request {'ABC'[index]}", urgency=["soon", "urgent", "routine"][index]
        )
        SupportRequest.objects.filter(pk=support_request.pk).update(
            created_at=instant, status_changed_at=instant + timedelta(days=10 - 3 * index)
        )
        created.append(support_request)
    return created


def test_requests_filter_by_creation_date_in_london_time(client_for, admin_user, dated_requests):
    march, midnight, july = dated_requests
    client = client_for(admin_user)

    assert ids(client.get("/api/v1/requests", {"created_after": "2026-07-01"})) == [
        july.pk,
        midnight.pk,
    ]
    assert ids(client.get("/api/v1/requests", {"created_before": "2026-06-30"})) == [march.pk]
    assert ids(
        client.get(
            "/api/v1/requests", {"created_after": "2026-03-10", "created_before": "2026-03-10"}
        )
    ) == [march.pk]
    assert ids(client.get("/api/v1/requests", {"created_after": "2026-07-02"})) == []
    response = client.get("/api/v1/requests", {"created_after": "1 July"})
    assert response.status_code == 400
    assert "created_after" in response.json()["fields"]


def test_requests_search_by_title(client_for, admin_user):
    sensory = SupportRequestFactory(title="Sensory regulation for Year 4")
    SupportRequestFactory(title="Reading interventions")
    client = client_for(admin_user)

    assert ids(client.get("/api/v1/requests", {"search": "SENSORY"})) == [sensory.pk]
    assert ids(client.get("/api/v1/requests", {"search": "regulation year"})) == [sensory.pk]
    assert ids(client.get("/api/v1/requests", {"search": "maths"})) == []


def test_requests_ordering(client_for, admin_user, dated_requests):
    march, midnight, july = dated_requests
    client = client_for(admin_user)

    assert ids(client.get("/api/v1/requests")) == [july.pk, midnight.pk, march.pk]
    assert ids(client.get("/api/v1/requests", {"ordering": "created_at"})) == [
        march.pk,
        midnight.pk,
        july.pk,
    ]
    # routine < soon < urgent
    assert ids(client.get("/api/v1/requests", {"ordering": "urgency"})) == [
        july.pk,
        march.pk,
        midnight.pk,
    ]
    assert ids(client.get("/api/v1/requests", {"ordering": "-urgency"})) == [
        midnight.pk,
        march.pk,
        july.pk,
    ]
    # status_changed_at: march + 10 days, midnight + 7 days, july + 4 days
    assert ids(client.get("/api/v1/requests", {"ordering": "status_changed_at"})) == [
        march.pk,
        july.pk,
        midnight.pk,
    ]
    # An ordering outside the allowed fields is ignored.
    assert ids(client.get("/api/v1/requests", {"ordering": "title"})) == [
        july.pk,
        midnight.pk,
        march.pk,
    ]


# --- page-size cap ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/experts", "/api/v1/requests", "/api/v1/topics"])
def test_page_size_is_clamped_to_the_maximum(client_for, admin_user, settings, path):
    settings.API_MAX_PAGE_SIZE = 3
    ExpertProfileFactory.create_batch(5)
    SupportRequestFactory.create_batch(5)
    client = client_for(admin_user)

    body = client.get(path, {"page_size": 1000}).json()

    assert len(body["results"]) == 3
    assert body["count"] >= 5
    assert body["next"] is not None
    assert len(client.get(path, {"page_size": 2}).json()["results"]) == 2

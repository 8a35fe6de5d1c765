"""Bad input to the exchange API: always a 400 in the one error format, naming the field, and
nothing written. Never a 500."""

from copy import deepcopy
from datetime import date, timedelta

import pytest
from django.utils import timezone

from exchange.models import (
    AvailabilityException,
    AvailabilityWindow,
    Credential,
    ExpertProfile,
    PreferredWindow,
    Specialism,
    StatusChange,
    SupportRequest,
)
from tests.factories import (
    ExpertProfileFactory,
    MembershipFactory,
    SchoolFactory,
    SpecialSchoolFactory,
    SupportRequestFactory,
    need,
    topic,
)

pytestmark = pytest.mark.django_db

KEYS = {"status", "code", "message", "fields", "details"}
MISSING = object()

VALID_REQUEST = {
    "title": "Help",
    "scope": "class",
    "needs": ["ASD"],
    "primary_need": "ASD",
    "phase": "primary",
    "sen_status": "sen_support",
    "context": "Two pupils struggle with noise.",
    "desired_outcome": "Calmer transitions.",
    "format": "any",
}


def today() -> date:
    return timezone.localdate()


def years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, month=3, day=1)


def with_changes(base: dict, changes: dict) -> dict:
    body = deepcopy(base)
    for key, value in changes.items():
        if value is MISSING:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def rows() -> dict[str, int]:
    """Row counts of every table the exchange API writes to."""
    return {
        model.__name__: model.objects.count()
        for model in (
            SupportRequest,
            SupportRequest.needs.through,
            SupportRequest.topics.through,
            PreferredWindow,
            StatusChange,
            ExpertProfile,
            Specialism,
            AvailabilityWindow,
            AvailabilityException,
            Credential,
        )
    }


def assert_rejected(response, field: str | None, code: str = "invalid") -> dict:
    """400 in the documented format, with ``field`` among ``fields``."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == KEYS
    assert body["status"] == 400
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    if field is not None:
        assert field in body["fields"], body["fields"]
        assert all({"code", "message"} == set(error) for error in body["fields"][field])
    return body


# --- support requests: create ------------------------------------------------------------------


@pytest.fixture
def senco(db):
    return MembershipFactory(role="senco")


@pytest.fixture
def senco_client(client_for, senco):
    return client_for(senco.user)


def post_request(client, **changes):
    return client.post("/api/v1/requests", with_changes(VALID_REQUEST, changes))


def test_the_valid_request_body_is_accepted(senco_client, senco):
    response = post_request(senco_client)

    assert response.status_code == 201, response.content
    stored = SupportRequest.objects.get()
    assert stored.school == senco.school
    assert stored.status == "draft"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"needs": ["XYZ"]}, "needs", id="unknown-need"),
        pytest.param({"needs": ["ASD", "XYZ"]}, "needs", id="one-unknown-need"),
        pytest.param({"needs": []}, "needs", id="no-needs"),
        pytest.param({"primary_need": "XYZ"}, "primary_need", id="unknown-primary-need"),
        pytest.param({"primary_need": "SEMH"}, "primary_need", id="primary-need-not-in-needs"),
        pytest.param({"topics": ["no-such-topic"]}, "topics", id="unknown-topic"),
        pytest.param({"scope": "everyone"}, "scope", id="bad-scope"),
        pytest.param({"phase": "sixth_form"}, "phase", id="bad-phase"),
        pytest.param({"format": "carrier_pigeon"}, "format", id="bad-format"),
        pytest.param({"urgency": "yesterday"}, "urgency", id="bad-urgency"),
        pytest.param({"urgency": ""}, "urgency", id="blank-urgency"),
        pytest.param({"sen_status": "none"}, "sen_status", id="bad-sen-status"),
        pytest.param({"year_groups": [4, 15]}, "year_groups.1", id="year-group-above-14"),
        pytest.param({"year_groups": [-1]}, "year_groups.0", id="year-group-negative"),
        pytest.param({"staff_attending": 0}, "staff_attending", id="no-staff-attending"),
        pytest.param({"staff_attending": 201}, "staff_attending", id="too-many-staff"),
        pytest.param({"title": "x" * 151}, "title", id="title-too-long"),
        pytest.param({"title": "   "}, "title", id="blank-title"),
        pytest.param({"context": ""}, "context", id="blank-context"),
    ],
)
def test_a_request_with_an_invalid_value_is_rejected(senco_client, changes, field):
    before = rows()

    response = post_request(senco_client, **changes)

    assert_rejected(response, field)
    assert rows() == before


@pytest.mark.parametrize(
    "field",
    [
        "title",
        "scope",
        "needs",
        "primary_need",
        "phase",
        "sen_status",
        "context",
        "desired_outcome",
        "format",
    ],
)
def test_a_request_missing_a_required_field_is_rejected(senco_client, field):
    response = post_request(senco_client, **{field: MISSING})

    body = assert_rejected(response, field)
    assert body["fields"][field][0]["code"] == "required"
    assert not SupportRequest.objects.exists()


def test_an_empty_request_body_names_every_required_field(senco_client):
    response = senco_client.post("/api/v1/requests", {})

    body = assert_rejected(response, "title")
    assert set(body["fields"]) == {
        "title",
        "scope",
        "needs",
        "primary_need",
        "phase",
        "sen_status",
        "context",
        "desired_outcome",
        "format",
    }
    assert not SupportRequest.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"needs": "ASD"}, "needs", id="needs-as-a-string"),
        pytest.param({"needs": {"code": "ASD"}}, "needs", id="needs-as-an-object"),
        pytest.param({"needs": [None]}, "needs", id="null-need"),
        pytest.param({"primary_need": None}, "primary_need", id="null-primary-need"),
        pytest.param({"primary_need": ["ASD"]}, "primary_need", id="primary-need-as-a-list"),
        pytest.param({"topics": "sensory-regulation"}, "topics", id="topics-as-a-string"),
        pytest.param({"year_groups": "4"}, "year_groups", id="year-groups-as-a-string"),
        pytest.param({"year_groups": [4.5]}, "year_groups.0", id="fractional-year-group"),
        pytest.param({"staff_attending": "three"}, "staff_attending", id="staff-as-text"),
        pytest.param({"title": ["Help"]}, "title", id="title-as-a-list"),
        pytest.param({"context": {"text": "Noise."}}, "context", id="context-as-an-object"),
        pytest.param({"tried_so_far": None}, "tried_so_far", id="null-tried-so-far"),
        pytest.param({"title": "Help\x00"}, "title", id="nul-character"),
        pytest.param({"needs": ["A" * 1000]}, "needs", id="very-long-need-code"),
        pytest.param({"primary_need": 7}, "primary_need", id="primary-need-as-a-number"),
        pytest.param({"staff_attending": 10**20}, "staff_attending", id="huge-staff-count"),
        pytest.param({"year_groups": [10**20]}, "year_groups.0", id="huge-year-group"),
        pytest.param({"year_groups": list(range(14)) * 2}, "year_groups", id="too-many-years"),
        pytest.param(
            {"parental_consent_obtained": "perhaps"},
            "parental_consent_obtained",
            id="consent-not-a-boolean",
        ),
        pytest.param(
            {"parental_consent_date": "yesterday"}, "parental_consent_date", id="consent-not-a-date"
        ),
        pytest.param({"video_acceptable": "maybe"}, "video_acceptable", id="video-not-a-boolean"),
        pytest.param(
            {"preferred_windows": {"date": "2030-01-01"}},
            "preferred_windows.non_field_errors",
            id="windows-as-an-object",
        ),
        pytest.param(
            {"preferred_windows": ["tomorrow"]},
            "preferred_windows.0.non_field_errors",
            id="window-as-a-string",
        ),
    ],
)
def test_a_request_with_a_value_of_the_wrong_type_is_rejected(senco_client, changes, field):
    before = rows()

    response = post_request(senco_client, **changes)

    assert_rejected(response, field)
    assert rows() == before


@pytest.mark.parametrize("raw", ["{not json", '{"title": "Help",}', '{"needs": ["ASD"'])
def test_malformed_json_is_a_parse_error(senco_client, raw):
    response = senco_client.post("/api/v1/requests", raw, content_type="application/json")

    body = assert_rejected(response, None, code="parse_error")
    assert body["fields"] == {}
    assert not SupportRequest.objects.exists()


@pytest.mark.parametrize("raw", ["[]", '"Help"', "42", "null"])
def test_a_json_body_that_is_not_an_object_is_rejected(senco_client, raw):
    response = senco_client.post("/api/v1/requests", raw, content_type="application/json")

    assert_rejected(response, "non_field_errors")
    assert not SupportRequest.objects.exists()


def test_a_one_pupil_request_without_consent_is_rejected(senco_client):
    response = post_request(senco_client, scope="one_pupil")

    body = assert_rejected(response, "parental_consent_date", code="consent_required")
    assert "consent" in body["message"]
    assert not SupportRequest.objects.exists()


def test_a_one_pupil_request_with_consent_but_no_date_is_rejected(senco_client):
    response = post_request(senco_client, scope="one_pupil", parental_consent_obtained=True)

    assert_rejected(response, "parental_consent_date", code="consent_required")
    assert not SupportRequest.objects.exists()


def test_a_one_pupil_request_with_a_consent_date_but_no_consent_is_rejected(senco_client):
    response = post_request(
        senco_client,
        scope="one_pupil",
        parental_consent_obtained=False,
        parental_consent_date=str(today()),
    )

    assert_rejected(response, "parental_consent_date", code="consent_required")
    assert not SupportRequest.objects.exists()


def test_a_consent_date_in_the_future_is_rejected(senco_client):
    response = post_request(
        senco_client,
        scope="one_pupil",
        parental_consent_obtained=True,
        parental_consent_date=str(today() + timedelta(days=1)),
    )

    assert_rejected(response, "parental_consent_date")
    assert not SupportRequest.objects.exists()


def test_a_one_pupil_request_with_dated_consent_is_accepted(senco_client):
    response = post_request(
        senco_client,
        scope="one_pupil",
        parental_consent_obtained=True,
        parental_consent_date=str(today()),
    )

    assert response.status_code == 201, response.content
    assert SupportRequest.objects.get().parental_consent_date == today()


@pytest.mark.parametrize("field", ["title", "context", "tried_so_far", "desired_outcome"])
def test_a_pupils_full_name_in_free_text_is_rejected(senco_client, field):
    response = post_request(senco_client, **{field: "Help for Oliver Smith in Year 4."})

    body = assert_rejected(response, field, code="pupil_identifying_data")
    assert "remove it" in body["message"]
    [error] = body["fields"][field]
    assert error["message"].startswith('"Oliver Smith" looks like a pupil\'s full name. Remove it')
    assert not SupportRequest.objects.exists()


def test_a_date_of_birth_in_free_text_is_rejected_naming_each_finding(senco_client):
    birthday = f"3/4/{today().year - 8}"

    response = post_request(senco_client, context=f"The pupil (DOB {birthday}) hides.")

    body = assert_rejected(response, "context", code="pupil_identifying_data")
    messages = [error["message"] for error in body["fields"]["context"]]
    assert len(messages) == 2
    assert any(message.startswith('"DOB" looks like a date of birth') for message in messages)
    assert any(message.startswith(f'"{birthday}" looks like a date') for message in messages)
    assert all("age or year group" in message for message in messages)
    assert not SupportRequest.objects.exists()


def test_pupil_identifying_data_in_several_fields_names_each_field(senco_client):
    response = post_request(
        senco_client,
        context="Amelia Jones covers her ears.",
        tried_so_far="She was born in the summer.",
    )

    body = assert_rejected(response, "context", code="pupil_identifying_data")
    assert set(body["fields"]) == {"context", "tried_so_far"}
    assert not SupportRequest.objects.exists()


def test_staff_names_and_the_school_name_in_free_text_are_accepted(senco_client):
    response = post_request(
        senco_client,
        context="Mrs Grace Hall (SENCO) at Oliver Primary asks for help with two pupils.",
    )

    assert response.status_code == 201, response.content


def window(day: date, start: str = "09:00", end: str = "12:00") -> dict:
    return {"date": str(day), "start_time": start, "end_time": end}


def soon() -> date:
    return today() + timedelta(days=7)


@pytest.mark.parametrize(
    ("windows", "field"),
    [
        pytest.param(
            lambda: [window(soon(), "12:00", "09:00")],
            "preferred_windows.0.end_time",
            id="end-before-start",
        ),
        pytest.param(
            lambda: [window(soon(), "09:00", "09:00")],
            "preferred_windows.0.end_time",
            id="end-equals-start",
        ),
        pytest.param(
            lambda: [window(today() - timedelta(days=1))],
            "preferred_windows.0.date",
            id="yesterday",
        ),
        pytest.param(
            lambda: [window(today() + timedelta(days=181))],
            "preferred_windows.0.date",
            id="beyond-six-months",
        ),
        pytest.param(
            lambda: [window(soon(), "09:00", "25:00")],
            "preferred_windows.0.end_time",
            id="not-a-time",
        ),
        pytest.param(
            lambda: [{"date": str(soon()), "start_time": "09:00"}],
            "preferred_windows.0.end_time",
            id="no-end",
        ),
        pytest.param(
            lambda: [window(soon()), window(today() - timedelta(days=1))],
            "preferred_windows.1.date",
            id="second-in-the-past",
        ),
    ],
)
def test_a_request_with_a_bad_preferred_window_is_rejected(senco_client, windows, field):
    before = rows()

    response = post_request(senco_client, preferred_windows=windows())

    assert_rejected(response, field)
    assert rows() == before


def test_a_request_ignores_server_owned_fields(senco_client, senco):
    response = post_request(
        senco_client,
        status="closed",
        submitted_at="2020-01-01T09:00:00Z",
        status_changed_at="2020-01-01T09:00:00Z",
        created_at="2020-01-01T09:00:00Z",
        id=999_999,
    )

    assert response.status_code == 201, response.content
    stored = SupportRequest.objects.get()
    assert stored.status == "draft"
    assert stored.submitted_at is None
    assert stored.pk != 999_999
    assert stored.created_at.year == timezone.now().year
    assert response.json()["status"] == "draft"
    assert not StatusChange.objects.exists()


def test_a_request_for_another_school_is_rejected(senco_client):
    other = SchoolFactory()

    response = post_request(senco_client, school=other.urn)

    assert_rejected(response, "school")
    assert not SupportRequest.objects.exists()


# --- support requests: edit --------------------------------------------------------------------


@pytest.fixture
def draft(senco):
    support_request = SupportRequestFactory(school=senco.school, created_by=senco.user)
    support_request.topics.set([topic("sensory-regulation")])
    PreferredWindow.objects.create(
        request=support_request,
        date=today() + timedelta(days=14),
        start_time="09:00",
        end_time="12:00",
    )
    return support_request


def request_url(support_request: SupportRequest) -> str:
    return f"/api/v1/requests/{support_request.pk}"


@pytest.mark.parametrize(
    ("patch", "field", "code"),
    [
        pytest.param({"needs": ["XYZ"]}, "needs", "invalid", id="unknown-need"),
        pytest.param({"needs": ["SEMH"]}, "primary_need", "invalid", id="needs-drop-primary"),
        pytest.param(
            {"needs": ["SEMH"], "primary_need": "ASD"},
            "primary_need",
            "invalid",
            id="primary-need-not-in-needs",
        ),
        pytest.param({"topics": ["no-such-topic"]}, "topics", "invalid", id="unknown-topic"),
        pytest.param({"scope": "everyone"}, "scope", "invalid", id="bad-scope"),
        pytest.param({"staff_attending": 0}, "staff_attending", "invalid", id="no-staff"),
        pytest.param({"title": ""}, "title", "invalid", id="blank-title"),
        pytest.param(
            {"scope": "one_pupil"}, "parental_consent_date", "consent_required", id="no-consent"
        ),
        pytest.param(
            {"context": "Oliver Smith hits out."},
            "context",
            "pupil_identifying_data",
            id="pupil-name",
        ),
        pytest.param(
            {"tried_so_far": "We checked her date of birth."},
            "tried_so_far",
            "pupil_identifying_data",
            id="date-of-birth",
        ),
        pytest.param(
            {
                "preferred_windows": [
                    {"date": "2000-01-03", "start_time": "09:00", "end_time": "10:00"}
                ]
            },
            "preferred_windows.0.date",
            "invalid",
            id="window-in-the-past",
        ),
        pytest.param(
            {"preferred_windows": "none"},
            "preferred_windows.non_field_errors",
            "invalid",
            id="windows-not-a-list",
        ),
    ],
)
def test_a_bad_patch_leaves_the_draft_unchanged(senco_client, draft, patch, field, code):
    before = senco_client.get(request_url(draft)).json()
    counts = rows()

    response = senco_client.patch(request_url(draft), patch)

    assert_rejected(response, field, code=code)
    assert senco_client.get(request_url(draft)).json() == before
    assert rows() == counts


def test_a_patch_of_the_primary_need_alone_must_be_one_of_the_stored_needs(senco_client, draft):
    before = senco_client.get(request_url(draft)).json()

    response = senco_client.patch(request_url(draft), {"primary_need": "SEMH"})

    assert_rejected(response, "primary_need")
    assert senco_client.get(request_url(draft)).json() == before


def test_a_patch_ignores_server_owned_fields(senco_client, senco, draft):
    other = SchoolFactory()

    response = senco_client.patch(
        request_url(draft),
        {
            "status": "closed",
            "school": other.urn,
            "submitted_at": "2020-01-01T09:00:00Z",
            "title": "Calmer transitions",
        },
    )

    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert draft.school == senco.school
    assert draft.submitted_at is None
    assert draft.title == "Calmer transitions"
    assert not StatusChange.objects.exists()


def test_a_submitted_request_cannot_be_edited(senco_client, draft):
    submitted = senco_client.post(f"{request_url(draft)}/submit")
    assert submitted.status_code == 200, submitted.content
    before = senco_client.get(request_url(draft)).json()

    response = senco_client.patch(request_url(draft), {"title": "A new title"})

    assert response.status_code == 409
    body = response.json()
    assert set(body) == KEYS
    assert body["status"] == 409
    assert body["code"] == "not_editable"
    assert body["details"] == {"current_status": "submitted"}
    assert senco_client.get(request_url(draft)).json() == before
    draft.refresh_from_db()
    assert draft.status == "submitted"
    assert draft.title != "A new title"


def test_a_submitted_request_rejects_bad_data_without_changing(senco_client, draft):
    senco_client.post(f"{request_url(draft)}/submit")
    before = senco_client.get(request_url(draft)).json()

    response = senco_client.patch(request_url(draft), {"context": "Oliver Smith hits out."})

    assert response.status_code in {400, 409}
    assert set(response.json()) == KEYS
    assert senco_client.get(request_url(draft)).json() == before


# --- expert profiles -----------------------------------------------------------------------------


@pytest.fixture
def expert_member(db):
    return MembershipFactory(role="expert", school=SpecialSchoolFactory())


@pytest.fixture
def expert_member_client(client_for, expert_member):
    return client_for(expert_member.user)


def expert_body(school_urn: int, **changes) -> dict:
    return with_changes(
        {
            "school": school_urn,
            "formats": ["video_call"],
            "phases": ["primary"],
            "max_travel_km": 20,
            "sessions_per_week": 1,
            "sessions_per_month": 4,
            "specialisms": [{"need": "ASD", "level": "lead"}],
        },
        changes,
    )


def post_expert(client, member, **changes):
    return client.post("/api/v1/experts", expert_body(member.school.urn, **changes))


def test_the_valid_expert_body_is_accepted(expert_member_client, expert_member):
    response = post_expert(expert_member_client, expert_member)

    assert response.status_code == 201, response.content
    expert = ExpertProfile.objects.get()
    assert expert.user == expert_member.user
    assert expert.specialisms.get().need == need("ASD")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"max_travel_km": -1}, "max_travel_km", id="negative-travel"),
        pytest.param({"max_travel_km": 301}, "max_travel_km", id="travel-too-far"),
        pytest.param(
            {"sessions_per_week": 5, "sessions_per_month": 4},
            "sessions_per_week",
            id="week-above-month",
        ),
        pytest.param({"sessions_per_week": -1}, "sessions_per_week", id="negative-sessions"),
        pytest.param({"age_min": 12, "age_max": 5}, "age_max", id="age-min-above-max"),
        pytest.param({"age_min": 22}, "age_max", id="age-min-above-default-max"),
        pytest.param({"age_max": 26}, "age_max", id="age-max-above-25"),
        pytest.param({"formats": []}, "formats", id="no-formats"),
        pytest.param({"formats": ["carrier_pigeon"]}, "formats.0", id="unknown-format"),
        pytest.param({"formats": "video_call"}, "formats", id="formats-as-a-string"),
        pytest.param({"phases": []}, "phases", id="no-phases"),
        pytest.param({"phases": ["primary", "nursery"]}, "phases.1", id="unknown-phase"),
        pytest.param(
            {"specialisms": [{"need": "XYZ", "level": "lead"}]},
            "specialisms.0.need",
            id="unknown-need",
        ),
        pytest.param(
            {"specialisms": [{"topic": "no-such-topic", "level": "lead"}]},
            "specialisms.0.topic",
            id="unknown-topic",
        ),
        pytest.param(
            {
                "specialisms": [
                    {"need": "ASD", "level": "lead"},
                    {"need": "SLCN", "topic": "aac", "level": "specialist"},
                ]
            },
            "specialisms.1.non_field_errors",
            id="need-and-topic",
        ),
        pytest.param(
            {"specialisms": [{"need": "ASD", "level": "lead"}, {"level": "aware"}]},
            "specialisms.1.non_field_errors",
            id="neither-need-nor-topic",
        ),
        pytest.param(
            {
                "specialisms": [
                    {"need": "ASD", "level": "lead"},
                    {"need": None, "topic": None, "level": "aware"},
                ]
            },
            "specialisms.1.non_field_errors",
            id="null-need-and-topic",
        ),
        pytest.param(
            {"specialisms": [{"need": "ASD", "level": "lead"}, {"need": "ASD", "level": "aware"}]},
            "specialisms",
            id="duplicate-need",
        ),
        pytest.param(
            {
                "specialisms": [
                    {"need": "ASD", "level": "lead"},
                    {"topic": "aac", "level": "lead"},
                    {"topic": "aac", "level": "aware"},
                ]
            },
            "specialisms",
            id="duplicate-topic",
        ),
        pytest.param(
            {"specialisms": [{"topic": "sensory-regulation", "level": "lead"}]},
            "specialisms",
            id="no-need",
        ),
        pytest.param(
            {"specialisms": [{"need": "ASD", "level": "guru"}]},
            "specialisms.0.level",
            id="unknown-level",
        ),
        pytest.param({"specialisms": []}, "specialisms.non_field_errors", id="no-specialisms"),
        pytest.param({"school": MISSING}, "school", id="no-school"),
        pytest.param({"school": "not-a-urn"}, "school", id="school-not-a-urn"),
        pytest.param({"school": 10**20}, "school", id="huge-urn"),
        pytest.param({"max_travel_km": 10**20}, "max_travel_km", id="huge-travel"),
        pytest.param(
            {"specialisms": [{"need": 1, "level": "lead"}]},
            "specialisms.0.need",
            id="need-as-a-number",
        ),
        pytest.param(
            {"specialisms": {"need": "ASD", "level": "lead"}},
            "specialisms.non_field_errors",
            id="specialisms-as-an-object",
        ),
    ],
)
def test_an_expert_profile_with_invalid_values_is_rejected(
    expert_member_client, expert_member, changes, field
):
    before = rows()

    response = post_expert(expert_member_client, expert_member, **changes)

    assert_rejected(response, field)
    assert rows() == before


def test_an_expert_profile_at_a_school_without_an_expert_role_is_rejected(
    expert_member_client, expert_member
):
    other = SpecialSchoolFactory()

    response = expert_member_client.post("/api/v1/experts", expert_body(other.urn))

    assert_rejected(response, "school")
    assert not ExpertProfile.objects.exists()


def test_an_expert_profile_ignores_server_owned_fields(expert_member_client, expert_member):
    response = post_expert(
        expert_member_client,
        expert_member,
        is_verified=True,
        verified_at="2020-01-01T09:00:00Z",
        is_suspended=True,
        safeguarding_expires_on=str(years_later(today(), 1)),
        safeguarding_confirmed_at="2020-01-01T09:00:00Z",
        user=expert_member.user.pk + 1,
    )

    assert response.status_code == 201, response.content
    expert = ExpertProfile.objects.get()
    assert expert.user == expert_member.user
    assert expert.is_verified is False
    assert expert.verified_at is None
    assert expert.is_suspended is False
    assert expert.safeguarding_expires_on is None
    assert expert.safeguarding_confirmed_at is None
    body = response.json()
    assert body["is_verified"] is False
    assert body["safeguarding_current"] is False


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        pytest.param({"sessions_per_week": 7}, "sessions_per_week", id="week-above-stored-month"),
        pytest.param({"age_min": 20}, "age_max", id="age-min-above-stored-max"),
        pytest.param({"formats": []}, "formats", id="no-formats"),
        pytest.param(
            {"specialisms": [{"topic": "aac", "level": "lead"}]}, "specialisms", id="no-need"
        ),
    ],
)
def test_a_bad_expert_patch_leaves_the_profile_unchanged(client_for, patch, field):
    expert = ExpertProfileFactory(sessions_per_week=2, sessions_per_month=6, age_min=4, age_max=11)
    client = client_for(expert.user)
    url = f"/api/v1/experts/{expert.pk}"
    before = client.get(url).json()

    response = client.patch(url, patch)

    assert_rejected(response, field)
    assert client.get(url).json() == before


# --- availability windows ----------------------------------------------------------------------


@pytest.fixture
def expert(db):
    return ExpertProfileFactory()


@pytest.fixture
def expert_client(client_for, expert):
    return client_for(expert.user)


def windows_url(expert: ExpertProfile) -> str:
    return f"/api/v1/experts/{expert.pk}/availability-windows"


def weekly(weekday: int = 0, start: str = "09:00", end: str = "10:00") -> dict:
    return {"weekday": weekday, "start_time": start, "end_time": end}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(weekly(start="10:00", end="09:00"), "end_time", id="end-before-start"),
        pytest.param(weekly(start="10:00", end="10:00"), "end_time", id="end-equals-start"),
        pytest.param(weekly(weekday=5), "weekday", id="saturday"),
        pytest.param(weekly(weekday=6), "weekday", id="sunday"),
        pytest.param(weekly(weekday=-1), "weekday", id="negative-weekday"),
        pytest.param(weekly(weekday="monday"), "weekday", id="weekday-as-a-name"),
        pytest.param(weekly(start="25:00"), "start_time", id="not-a-time"),
        pytest.param({"weekday": 0, "start_time": "09:00"}, "end_time", id="no-end"),
    ],
)
def test_an_invalid_availability_window_is_rejected(expert_client, expert, body, field):
    response = expert_client.post(windows_url(expert), body)

    assert_rejected(response, field)
    assert not AvailabilityWindow.objects.exists()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("09:30", "10:30"),  # overlaps the end
        ("08:30", "09:30"),  # overlaps the start
        ("09:15", "09:45"),  # inside
        ("08:00", "12:00"),  # around
        ("09:00", "10:00"),  # the same
    ],
)
def test_a_window_overlapping_another_on_the_same_day_is_rejected(
    expert_client, expert, start, end
):
    AvailabilityWindow.objects.create(
        expert=expert, weekday=2, start_time="09:00", end_time="10:00"
    )

    response = expert_client.post(windows_url(expert), weekly(2, start, end))

    body = assert_rejected(response, "start_time", code="overlapping_window")
    assert body["fields"]["start_time"][0]["message"] == "Overlaps the window 09:00–10:00."
    assert AvailabilityWindow.objects.count() == 1


def test_back_to_back_windows_and_the_same_times_on_another_day_are_allowed(expert_client, expert):
    for body in (
        weekly(0, "09:00", "10:00"),
        weekly(0, "10:00", "11:00"),
        weekly(0, "08:00", "09:00"),
        weekly(1, "09:00", "10:00"),
    ):
        response = expert_client.post(windows_url(expert), body)
        assert response.status_code == 201, response.content

    stored = AvailabilityWindow.objects.values_list("weekday", "start_time", "end_time")
    assert [(day, f"{start:%H:%M}", f"{end:%H:%M}") for day, start, end in stored] == [
        (0, "08:00", "09:00"),
        (0, "09:00", "10:00"),
        (0, "10:00", "11:00"),
        (1, "09:00", "10:00"),
    ]


def test_a_window_of_another_expert_does_not_count_as_an_overlap(expert_client, expert):
    AvailabilityWindow.objects.create(
        expert=ExpertProfileFactory(), weekday=0, start_time="09:00", end_time="10:00"
    )

    response = expert_client.post(windows_url(expert), weekly(0, "09:00", "10:00"))

    assert response.status_code == 201, response.content


@pytest.fixture
def two_windows(expert):
    first = AvailabilityWindow.objects.create(
        expert=expert, weekday=0, start_time="09:00", end_time="10:00"
    )
    second = AvailabilityWindow.objects.create(
        expert=expert, weekday=0, start_time="10:00", end_time="11:00"
    )
    return first, second


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        pytest.param(weekly(0, "09:30", "11:00"), "start_time", "overlapping_window", id="overlap"),
        pytest.param(weekly(0, "08:00", "12:00"), "start_time", "overlapping_window", id="around"),
        pytest.param(weekly(0, "11:00", "10:30"), "end_time", "invalid", id="end-before-start"),
        pytest.param(weekly(5, "10:00", "11:00"), "weekday", "invalid", id="saturday"),
    ],
)
def test_a_bad_window_update_leaves_the_window_unchanged(
    expert_client, expert, two_windows, body, field, code
):
    _, second = two_windows
    before = expert_client.get(windows_url(expert)).json()

    response = expert_client.put(f"{windows_url(expert)}/{second.pk}", body)

    assert_rejected(response, field, code=code)
    assert expert_client.get(windows_url(expert)).json() == before
    second.refresh_from_db()
    assert (second.weekday, f"{second.start_time:%H:%M}") == (0, "10:00")


def test_a_window_may_be_moved_within_its_own_time(expert_client, expert, two_windows):
    _, second = two_windows

    response = expert_client.put(f"{windows_url(expert)}/{second.pk}", weekly(0, "10:00", "10:30"))

    assert response.status_code == 200, response.content
    second.refresh_from_db()
    assert f"{second.end_time:%H:%M}" == "10:30"


# --- availability exceptions -------------------------------------------------------------------


def exceptions_url(expert: ExpertProfile) -> str:
    return f"/api/v1/experts/{expert.pk}/availability-exceptions"


def dated(days_ahead: int = 7, kind: str = "unavailable", **times) -> dict:
    return {"date": str(today() + timedelta(days=days_ahead)), "kind": kind, **times}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(lambda: dated(-1), "date", id="yesterday"),
        pytest.param(lambda: dated(-400, kind="extra"), "date", id="last-year"),
        pytest.param(lambda: dated(kind="extra"), "start_time", id="extra-without-times"),
        pytest.param(
            lambda: dated(kind="extra", start_time=None, end_time=None),
            "start_time",
            id="extra-with-null-times",
        ),
        pytest.param(lambda: dated(start_time="09:00"), "end_time", id="only-start"),
        pytest.param(lambda: dated(end_time="12:00"), "end_time", id="only-end"),
        pytest.param(
            lambda: dated(kind="extra", start_time="09:00"), "end_time", id="extra-only-start"
        ),
        pytest.param(
            lambda: dated(start_time="12:00", end_time="09:00"), "end_time", id="end-before-start"
        ),
        pytest.param(
            lambda: dated(kind="extra", start_time="12:00", end_time="12:00"),
            "end_time",
            id="end-equals-start",
        ),
        pytest.param(lambda: dated(kind="holiday"), "kind", id="unknown-kind"),
        pytest.param(lambda: {**dated(), "date": "next week"}, "date", id="not-a-date"),
        pytest.param(lambda: {**dated(), "note": "x" * 201}, "note", id="note-too-long"),
    ],
)
def test_an_invalid_availability_exception_is_rejected(expert_client, expert, body, field):
    response = expert_client.post(exceptions_url(expert), body())

    assert_rejected(response, field)
    assert not AvailabilityException.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(lambda: dated(0), id="whole-day-off-today"),
        pytest.param(lambda: dated(start_time="09:00", end_time="12:00"), id="morning-off"),
        pytest.param(lambda: dated(kind="extra", start_time="13:00", end_time="15:00"), id="extra"),
    ],
)
def test_a_valid_availability_exception_is_accepted(expert_client, expert, body):
    response = expert_client.post(exceptions_url(expert), body())

    assert response.status_code == 201, response.content
    assert AvailabilityException.objects.count() == 1


# --- credentials -------------------------------------------------------------------------------


def credentials_url(expert: ExpertProfile) -> str:
    return f"/api/v1/experts/{expert.pk}/credentials"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(lambda: {"kind": "phd"}, "kind", id="unknown-kind"),
        pytest.param(lambda: {"title": "QTS"}, "kind", id="no-kind"),
        pytest.param(
            lambda: {"kind": "qts", "awarded_on": str(today() + timedelta(days=1))},
            "awarded_on",
            id="awarded-tomorrow",
        ),
        pytest.param(
            lambda: {"kind": "qts", "awarded_on": "2010-02-30"}, "awarded_on", id="not-a-date"
        ),
        pytest.param(lambda: {"kind": "qts", "title": "x" * 201}, "title", id="title-too-long"),
    ],
)
def test_an_invalid_credential_is_rejected(expert_client, expert, body, field):
    response = expert_client.post(credentials_url(expert), body())

    assert_rejected(response, field)
    assert not Credential.objects.exists()


def test_a_credential_ignores_a_status_in_the_body(expert_client, expert):
    response = expert_client.post(
        credentials_url(expert),
        {"kind": "qts", "awarded_on": str(today()), "status": "verified"},
    )

    assert response.status_code == 201, response.content
    assert Credential.objects.get().status == "pending"


# --- safeguarding confirmation -----------------------------------------------------------------


@pytest.fixture
def employer_client(client_for, expert):
    return client_for(MembershipFactory(role="senco", school=expert.school).user)


def confirm_url(expert: ExpertProfile) -> str:
    return f"/api/v1/experts/{expert.pk}/confirm-safeguarding"


@pytest.mark.parametrize(
    "expires_on",
    [
        pytest.param(lambda: str(today() - timedelta(days=1)), id="yesterday"),
        pytest.param(lambda: str(today()), id="today"),
        pytest.param(lambda: str(years_later(today(), 4)), id="in-four-years"),
        pytest.param(lambda: str(today() + timedelta(days=3 * 366 + 1)), id="past-the-maximum"),
        pytest.param(lambda: "soon", id="not-a-date"),
        pytest.param(lambda: None, id="null"),
    ],
)
def test_an_invalid_safeguarding_expiry_is_rejected(employer_client, expert, expires_on):
    response = employer_client.post(confirm_url(expert), {"expires_on": expires_on()})

    assert_rejected(response, "expires_on")
    expert.refresh_from_db()
    assert expert.safeguarding_expires_on is None
    assert expert.safeguarding_confirmed_at is None


def test_a_safeguarding_confirmation_without_expiry_is_rejected(employer_client, expert):
    response = employer_client.post(confirm_url(expert), {})

    body = assert_rejected(response, "expires_on")
    assert body["fields"]["expires_on"][0]["code"] == "required"
    expert.refresh_from_db()
    assert expert.safeguarding_expires_on is None


def test_a_safeguarding_confirmation_within_three_years_is_accepted(employer_client, expert):
    expires_on = years_later(today(), 3)

    response = employer_client.post(confirm_url(expert), {"expires_on": str(expires_on)})

    assert response.status_code == 200, response.content
    expert.refresh_from_db()
    assert expert.safeguarding_expires_on == expires_on


def test_a_safeguarding_expiry_a_day_past_three_years_is_rejected(employer_client, expert):
    expires_on = years_later(today(), 3) + timedelta(days=1)

    response = employer_client.post(confirm_url(expert), {"expires_on": str(expires_on)})

    assert_rejected(response, "expires_on")
    expert.refresh_from_db()
    assert expert.safeguarding_expires_on is None


def test_an_expert_id_beyond_the_integer_range_is_not_found(expert_client):
    response = expert_client.post(
        f"/api/v1/experts/{10**20}/availability-windows", weekly(0, "09:00", "10:00")
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not AvailabilityWindow.objects.exists()

"""Who may do what in the exchange API: every endpoint and action, driven by every role.

Roles: staff_a and senco_a at mainstream school A (trust T); staff_b at school B (another
trust); expert (home: special school S); senco_s, S's SENCO (the expert's employer); coord_in
and coord_out, coordinators of T and of B's trust; la_in and la_out, local-authority
officers of A's and of B's local authority; admin; anonymous; newcomer (an expert role
but no profile yet: registration only). Allowed writes are checked in the database, and so
is every refusal: a denied write must leave nothing changed.
"""

from dataclasses import dataclass
from datetime import time, timedelta

import pytest
from django.utils import timezone

from accounts.enums import Role
from accounts.models import School, User
from exchange import services
from exchange.models import (
    AvailabilityException,
    AvailabilityWindow,
    Credential,
    ExpertProfile,
    StatusChange,
    SupportRequest,
)
from tests import factories

pytestmark = pytest.mark.django_db

API = "/api/v1"
ERROR_CODES = {400: "invalid", 401: "not_authenticated", 403: "permission_denied", 404: "not_found"}
PERSONAL_FIELDS = {"email", "full_name"}
REQUEST_BODY = {
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


@dataclass
class World:
    users: dict[str, User | None]
    school_a: School
    newcomer_school: School
    expert: ExpertProfile
    support_request: SupportRequest


@pytest.fixture
def world(db) -> World:
    trust_t, trust_other = factories.TrustFactory(), factories.TrustFactory()
    school_a = factories.SchoolFactory(trust=trust_t)
    school_b = factories.SchoolFactory(trust=trust_other)
    expert = factories.ExpertProfileFactory()
    newcomer_school = factories.SpecialSchoolFactory()
    users = {
        "anonymous": None,
        "staff_a": factories.MembershipFactory(school=school_a, role=Role.SCHOOL_STAFF).user,
        "senco_a": factories.MembershipFactory(school=school_a, role=Role.SENCO).user,
        "staff_b": factories.MembershipFactory(school=school_b, role=Role.SCHOOL_STAFF).user,
        "expert": expert.user,
        "senco_s": factories.MembershipFactory(school=expert.school, role=Role.SENCO).user,
        "coord_in": factories.TrustCoordinatorMembershipFactory(trust=trust_t).user,
        "coord_out": factories.TrustCoordinatorMembershipFactory(trust=trust_other).user,
        "la_in": factories.LaOfficerMembershipFactory(
            local_authority=school_a.local_authority
        ).user,
        "la_out": factories.LaOfficerMembershipFactory(
            local_authority=school_b.local_authority
        ).user,
        "admin": factories.UserFactory(is_staff=True, is_superuser=True),
        "newcomer": factories.MembershipFactory(school=newcomer_school, role=Role.EXPERT).user,
    }
    support_request = factories.SupportRequestFactory(school=school_a)
    return World(users, school_a, newcomer_school, expert, support_request)


@pytest.fixture
def as_role(world, client_for):
    return lambda role: client_for(world.users[role])


def check(response, expected: int) -> None:
    """Exact status; a refusal also carries the error format's code."""
    assert response.status_code == expected, response.content
    if expected in ERROR_CODES:
        assert response.json()["code"] == ERROR_CODES[expected]


ROLES = ("anonymous", "staff_a", "senco_a", "staff_b", "expert", "senco_s", "coord_in")
ROLES += ("coord_out", "admin", "la_in", "la_out")


def row(*expected: int) -> dict[str, int]:
    return dict(zip(ROLES, expected, strict=True))


# The matrix: the exact status each role gets. For the lists, 200 means "sees the item"
# and 404 "gets 200 without it". Edit rows say 200 for allowed; creates answer 201, deletes 204.
# fmt: off
# (the ROLES, in order)
#                        anon staff senco stf_b exprt snc_s co_in co_out admin la_in la_out
TAXONOMY           = row(401, 200,  200,  200,  200,  200,  200,  200,   200,  200,  200)
READ_REQUEST       = row(401, 200,  200,  404,  404,  404,  200,  404,   200,  200,  404)
CREATE_REQUEST     = row(401, 201,  201,  400,  400,  400,  400,  400,   400,  400,  400)
EDIT_REQUEST       = row(401, 200,  200,  404,  404,  404,  403,  404,   200,  403,  404)
MOVE_REQUEST       = row(401, 403,  200,  404,  404,  404,  403,  404,   200,  403,  404)
SEE_VERIFIED       = row(401, 200,  200,  200,  200,  200,  200,  200,   200,  200,  200)
SEE_UNVERIFIED     = row(401, 404,  404,  404,  200,  200,  404,  404,   200,  404,  404)
EDIT_VERIFIED      = row(401, 403,  403,  403,  200,  403,  403,  403,   200,  403,  403)
EDIT_UNVERIFIED    = row(401, 404,  404,  404,  200,  403,  404,  404,   200,  404,  404)
CONFIRM_VERIFIED   = row(401, 403,  403,  403,  403,  200,  403,  403,   200,  403,  403)
CONFIRM_UNVERIFIED = row(401, 404,  404,  404,  403,  200,  404,  404,   200,  404,  404)
EXPERTS_ME         = row(401, 400,  400,  400,  200,  400,  400,  400,   400,  400,  400)
REGISTER_EXPERT    = row(401, 400,  400,  400,  409,  400,  400,  400,   400,  400,  400)
# fmt: on
SEE_EXPERT = {True: SEE_VERIFIED, False: SEE_UNVERIFIED}
EDIT_EXPERT = {True: EDIT_VERIFIED, False: EDIT_UNVERIFIED}
SEES_PERSONAL_DETAILS = {"expert", "senco_s", "admin"}


def matrix(table: dict[str, int]) -> list:
    return [pytest.param(role, expected, id=role) for role, expected in table.items()]


def by_verification(tables: dict[bool, dict[str, int]]) -> list:
    return [
        pytest.param(verified, role, expected, id=f"{'' if verified else 'un'}verified-{role}")
        for verified, table in tables.items()
        for role, expected in table.items()
    ]


def arrange_expert(world: World, *, verified: bool) -> ExpertProfile:
    if not verified:
        ExpertProfile.objects.filter(pk=world.expert.pk).update(is_verified=False)
    return world.expert


def write_status(expected: int, success: int) -> int:
    return success if expected == 200 else expected


# --- taxonomy ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/needs", "/needs/ASD", "/topics", "/topics/sensory-regulation"])
@pytest.mark.parametrize(("role", "expected"), matrix(TAXONOMY))
def test_taxonomy_is_readable_by_any_signed_in_user(as_role, role, expected, path):
    response = as_role(role).get(API + path)

    check(response, expected)
    if expected == 200:
        assert response.json()


# --- support requests --------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "expected"), matrix(READ_REQUEST))
def test_request_list_shows_only_requests_in_the_callers_scope(world, as_role, role, expected):
    response = as_role(role).get(f"{API}/requests")

    check(response, 401 if expected == 401 else 200)
    if expected != 401:
        ids = [row["id"] for row in response.json()["results"]]
        assert ids == ([world.support_request.pk] if expected == 200 else [])
        assert response.json()["count"] == len(ids)


@pytest.mark.parametrize("suffix", ["", "/history"])
@pytest.mark.parametrize(("role", "expected"), matrix(READ_REQUEST))
def test_request_detail_and_history_are_404_outside_scope(world, as_role, role, expected, suffix):
    response = as_role(role).get(f"{API}/requests/{world.support_request.pk}{suffix}")

    check(response, expected)
    if expected == 200 and not suffix:
        assert response.json()["id"] == world.support_request.pk


@pytest.mark.parametrize(
    ("role", "shows_people"),
    matrix({"staff_a": True, "senco_a": True, "coord_in": False, "admin": True}),
)
def test_history_names_staff_only_to_the_school_and_admins(world, as_role, role, shows_people):
    senco = world.users["senco_a"]
    services.support_request_submit(support_request=world.support_request, by=senco)

    response = as_role(role).get(f"{API}/requests/{world.support_request.pk}/history")

    check(response, 200)
    [change] = response.json()
    assert change["to_status"] == "submitted"
    assert change["changed_by"] == (senco.full_name if shows_people else None)


@pytest.mark.parametrize(("role", "expected"), matrix(CREATE_REQUEST))
def test_only_school_staff_and_sencos_raise_requests_for_their_school(
    world, as_role, role, expected
):
    # Outsiders to school A name it; the rest rely on the default: their only school.
    # A special school's SENCO (senco_s) cannot: requests come from mainstream schools.
    names_a = role in ("staff_b", "coord_in", "la_in")
    body = {**REQUEST_BODY, **({"school": world.school_a.urn} if names_a else {})}

    response = as_role(role).post(f"{API}/requests", body)

    check(response, expected)
    created = SupportRequest.objects.exclude(pk=world.support_request.pk)
    if expected == 201:
        user = world.users[role]
        [support_request] = created
        assert support_request.school_id == user.memberships.get().school_id
        assert (support_request.created_by, support_request.status) == (user, "draft")
        assert response.json()["id"] == support_request.pk
    else:
        assert not created.exists()
    if expected == 400:
        assert "school" in response.json()["fields"]


@pytest.mark.parametrize(("method", "success"), [("patch", 200), ("delete", 204)])
@pytest.mark.parametrize(("role", "expected"), matrix(EDIT_REQUEST))
def test_only_the_schools_staff_edit_or_delete_a_draft(
    world, as_role, role, expected, method, success
):
    pk, title = world.support_request.pk, world.support_request.title
    expected = write_status(expected, success)
    body = {"title": "Changed"} if method == "patch" else None

    response = getattr(as_role(role), method)(f"{API}/requests/{pk}", body)

    check(response, expected)
    titles = list(SupportRequest.objects.filter(pk=pk).values_list("title", flat=True))
    assert titles == {200: ["Changed"], 204: []}.get(expected, [title])


@pytest.mark.parametrize(
    ("action", "from_status", "to_status"),
    [
        ("submit", "draft", "submitted"),
        ("cancel", "draft", "cancelled"),
        ("close", "completed", "closed"),
    ],
)
@pytest.mark.parametrize(("role", "expected"), matrix(MOVE_REQUEST))
def test_only_the_schools_senco_moves_a_request(
    world, as_role, role, expected, action, from_status, to_status
):
    pk = world.support_request.pk
    SupportRequest.objects.filter(pk=pk).update(status=from_status)

    response = as_role(role).post(f"{API}/requests/{pk}/{action}", {})

    check(response, expected)
    moved = expected == 200
    assert SupportRequest.objects.get(pk=pk).status == (to_status if moved else from_status)
    changes = StatusChange.objects.filter(request_id=pk)
    assert list(changes.values_list("to_status", "changed_by")) == (
        [(to_status, world.users[role].pk)] if moved else []
    )
    if moved:
        assert response.json()["status"] == to_status


# --- experts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("verified", "role", "expected"), by_verification(SEE_EXPERT))
def test_expert_directory_lists_only_visible_experts_without_personal_details(
    world, as_role, verified, role, expected
):
    expert = arrange_expert(world, verified=verified)

    response = as_role(role).get(f"{API}/experts")

    check(response, 401 if expected == 401 else 200)
    if expected != 401:
        rows = response.json()["results"]
        assert [row["id"] for row in rows] == ([expert.pk] if expected == 200 else [])
        assert all(not PERSONAL_FIELDS & set(row) for row in rows)


@pytest.mark.parametrize(("verified", "role", "expected"), by_verification(SEE_EXPERT))
def test_expert_detail_shows_personal_details_only_to_owner_employer_and_admin(
    world, as_role, verified, role, expected
):
    expert = arrange_expert(world, verified=verified)

    response = as_role(role).get(f"{API}/experts/{expert.pk}")

    check(response, expected)
    if expected == 200:
        body = response.json()
        assert body["id"] == expert.pk
        if role in SEES_PERSONAL_DETAILS:
            assert (body["email"], body["full_name"]) == (expert.user.email, expert.user.full_name)
        else:
            assert not PERSONAL_FIELDS & set(body)


@pytest.mark.parametrize(("role", "expected"), matrix({**REGISTER_EXPERT, "newcomer": 201}))
def test_registering_an_expert_profile_needs_an_expert_role_at_the_school(
    world, as_role, role, expected
):
    # The newcomer holds an expert role at its school; the expert already has a profile.
    school = world.expert.school if role == "expert" else world.newcomer_school
    body = {
        "school": school.urn,
        "bio": "Speech and language lead.",
        "formats": ["consultation"],
        "phases": ["primary"],
        "max_travel_km": 10,
        "sessions_per_week": 1,
        "sessions_per_month": 4,
        "specialisms": [{"need": "ASD", "level": "lead"}],
    }

    response = as_role(role).post(f"{API}/experts", body)

    check(response, expected)
    created = ExpertProfile.objects.exclude(pk=world.expert.pk)
    if expected == 201:
        [expert] = created
        assert (expert.user, expert.school) == (world.users["newcomer"], world.newcomer_school)
        assert response.json()["email"] == expert.user.email
    else:
        assert not created.exists()
    if expected == 400:
        assert "school" in response.json()["fields"]
    if expected == 409:
        assert response.json()["code"] == "already_exists"


@pytest.mark.parametrize(("verified", "role", "expected"), by_verification(EDIT_EXPERT))
def test_only_the_expert_and_admins_edit_the_profile(world, as_role, verified, role, expected):
    expert = arrange_expert(world, verified=verified)

    response = as_role(role).patch(f"{API}/experts/{expert.pk}", {"bio": "Changed."})

    check(response, expected)
    expert.refresh_from_db()
    assert expert.bio == ("Changed." if expected == 200 else "Autism lead teacher.")


@pytest.mark.parametrize(
    ("verified", "role", "expected"),
    by_verification({True: CONFIRM_VERIFIED, False: CONFIRM_UNVERIFIED}),
)
def test_only_the_employer_and_admins_confirm_safeguarding(
    world, as_role, verified, role, expected
):
    expert = arrange_expert(world, verified=verified)
    expires_on = timezone.localdate() + timedelta(days=365)

    response = as_role(role).post(
        f"{API}/experts/{expert.pk}/confirm-safeguarding", {"expires_on": expires_on.isoformat()}
    )

    check(response, expected)
    expert.refresh_from_db()
    if expected == 200:
        assert expert.safeguarding_expires_on == expires_on
        assert expert.safeguarding_confirmed_by == world.users[role]
        assert response.json()["safeguarding_expires_on"] == expires_on.isoformat()
    else:
        assert expert.safeguarding_expires_on is None
        assert expert.safeguarding_confirmed_by is None


@pytest.mark.parametrize(("role", "expected"), matrix(EXPERTS_ME))
def test_own_expert_profile_is_only_for_experts(world, as_role, role, expected):
    response = as_role(role).get(f"{API}/experts/me")

    check(response, expected)
    if expected == 200:
        assert response.json()["id"] == world.expert.pk
        assert response.json()["email"] == world.expert.user.email


# --- resources nested under an expert ----------------------------------------------------------

NESTED = ["availability-windows", "availability-exceptions", "credentials"]


def make_item(resource: str, expert: ExpertProfile):
    if resource == "availability-windows":
        return AvailabilityWindow.objects.create(
            expert=expert, weekday=0, start_time=time(9), end_time=time(12)
        )
    if resource == "availability-exceptions":
        soon = timezone.localdate() + timedelta(days=30)
        return AvailabilityException.objects.create(expert=expert, date=soon, kind="unavailable")
    return Credential.objects.create(expert=expert, kind="qts")


def new_item_body(resource: str) -> dict:
    later = timezone.localdate() + timedelta(days=31)
    return {
        "availability-windows": {"weekday": 1, "start_time": "09:00", "end_time": "12:00"},
        "availability-exceptions": {"date": later.isoformat(), "kind": "unavailable"},
        "credentials": {"kind": "qts"},
    }[resource]


@pytest.mark.parametrize("resource", NESTED)
@pytest.mark.parametrize(("verified", "role", "expected"), by_verification(SEE_EXPERT))
def test_nested_lists_are_readable_by_whoever_sees_the_expert(
    world, as_role, resource, verified, role, expected
):
    expert = arrange_expert(world, verified=verified)
    existing = make_item(resource, expert)

    response = as_role(role).get(f"{API}/experts/{expert.pk}/{resource}")

    check(response, expected)
    if expected == 200:
        assert [row["id"] for row in response.json()] == [existing.pk]


@pytest.mark.parametrize("resource", NESTED)
@pytest.mark.parametrize(("verified", "role", "expected"), by_verification(EDIT_EXPERT))
def test_nested_items_are_added_only_by_the_expert_and_admins(
    world, as_role, resource, verified, role, expected
):
    expert = arrange_expert(world, verified=verified)
    existing = make_item(resource, expert)
    expected = write_status(expected, 201)

    response = as_role(role).post(f"{API}/experts/{expert.pk}/{resource}", new_item_body(resource))

    check(response, expected)
    added = type(existing).objects.filter(expert=expert).exclude(pk=existing.pk)
    assert list(added.values_list("pk", flat=True)) == (
        [response.json()["id"]] if expected == 201 else []
    )


@pytest.mark.parametrize("resource", NESTED)
@pytest.mark.parametrize(("verified", "role", "expected"), by_verification(EDIT_EXPERT))
def test_nested_items_are_removed_only_by_the_expert_and_admins(
    world, as_role, resource, verified, role, expected
):
    expert = arrange_expert(world, verified=verified)
    existing = make_item(resource, expert)
    expected = write_status(expected, 204)

    response = as_role(role).delete(f"{API}/experts/{expert.pk}/{resource}/{existing.pk}")

    check(response, expected)
    assert type(existing).objects.filter(pk=existing.pk).exists() is (expected != 204)


@pytest.mark.parametrize(("verified", "role", "expected"), by_verification(EDIT_EXPERT))
def test_availability_windows_are_changed_only_by_the_expert_and_admins(
    world, as_role, verified, role, expected
):
    expert = arrange_expert(world, verified=verified)
    window = make_item("availability-windows", expert)
    body = {"weekday": 2, "start_time": "13:00", "end_time": "15:00"}

    response = as_role(role).put(
        f"{API}/experts/{expert.pk}/availability-windows/{window.pk}", body
    )

    check(response, expected)
    window.refresh_from_db()
    after = (window.weekday, window.start_time, window.end_time)
    assert after == ((2, time(13), time(15)) if expected == 200 else (0, time(9), time(12)))


@pytest.mark.parametrize("resource", NESTED)
def test_an_expert_cannot_reach_another_experts_items_through_their_own_url(
    world, as_role, resource
):
    item = make_item(resource, factories.ExpertProfileFactory())

    response = as_role("expert").delete(f"{API}/experts/{world.expert.pk}/{resource}/{item.pk}")

    check(response, 404)
    assert type(item).objects.filter(pk=item.pk).exists()

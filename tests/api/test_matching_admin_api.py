"""Running matching, for platform admins: the policy and its versions, matching rounds and
their unmatched requests, over the API and in the Django admin."""

from datetime import timedelta

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages

from config.celery import app as celery_app
from exchange import services as exchange_services
from exchange.models import OutboxMessage
from matching import services
from matching.enums import RunTrigger
from matching.models import MatchingPolicy, MatchingRun
from matching.selectors import local_today
from tests.factories import (
    ExpertProfileFactory,
    MembershipFactory,
    SchoolFactory,
    SpecialSchoolFactory,
    SupportRequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_tasks():
    """Tasks the outbox publishes run in-process (under PostgreSQL + Redis they would not)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def non_admin(db):
    return MembershipFactory().user


def error_fields(response) -> set[str]:
    body = response.json()
    assert set(body) == {"status", "code", "message", "fields", "details"}
    assert (body["status"], body["code"]) == (400, "invalid")
    return set(body["fields"])


def versions() -> list[tuple[int, bool]]:
    return list(MatchingPolicy.objects.order_by("version").values_list("version", "is_active"))


def a_near_expert():
    return ExpertProfileFactory(
        school=SpecialSchoolFactory(easting=551000, northing=280000),
        specialisms=[("ASD", "lead")],
        is_verified=True,
        offers_observation_visit=True,
        serves_primary=True,
        max_travel_km=30,
        sessions_per_week=1,
        sessions_per_month=4,
        safeguarding_expires_on=local_today() + timedelta(days=365),
    )


def a_submitted_request(*, easting: int = 550000, video_acceptable: bool = True):
    draft = SupportRequestFactory(
        school=SchoolFactory(easting=easting, northing=280000),
        phase="primary",
        format="observation_visit",
        video_acceptable=video_acceptable,
    )
    return exchange_services.support_request_submit(support_request=draft, by=draft.created_by)


# --- the policy -----------------------------------------------------------------------------


def test_an_admin_reads_the_active_policy(client_for, admin_user):
    response = client_for(admin_user).get("/api/v1/matching-policy")

    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["is_active"]) == (1, True)
    assert body["weight_needs"] == 30
    assert body["proposals_per_request"] == 3
    assert body["objective"] == "max_score"
    assert set(body) == {"version", "is_active", "created_at", *services.POLICY_FIELDS}


def test_only_admins_read_or_change_the_policy(client_for, non_admin):
    client = client_for(non_admin)

    read = client.get("/api/v1/matching-policy")
    change = client.patch("/api/v1/matching-policy", {"min_score": 50}, format="json")

    assert read.status_code == change.status_code == 403
    assert read.json()["code"] == "permission_denied"
    assert client_for(None).get("/api/v1/matching-policy").status_code == 401
    assert versions() == [(1, True)]


def test_patching_the_policy_publishes_a_new_version_and_keeps_the_old(client_for, admin_user):
    response = client_for(admin_user).patch(
        "/api/v1/matching-policy",
        {"min_score": 35, "objective": "max_served", "note": "Serve more schools."},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["version"], body["is_active"]) == (2, True)
    assert (body["min_score"], body["objective"]) == (35, "max_served")
    assert body["proposals_per_request"] == 3  # carried over
    assert versions() == [(1, False), (2, True)]
    old, new = MatchingPolicy.objects.order_by("version")
    assert (old.min_score, old.objective, old.note) == (
        20,
        "max_score",
        "The default weights and rules.",
    )
    assert new.created_by == admin_user
    assert new.note == "Serve more schools."


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight_needs": 101}, "weight_needs"),
        ({"proposals_per_request": 0}, "proposals_per_request"),
        ({"objective": "cheapest"}, "objective"),
        (
            {"proposal_expiry_school_days": 3, "expiry_reminder_school_days": 3},
            "expiry_reminder_school_days",
        ),
    ],
)
def test_invalid_policy_values_get_400_and_publish_nothing(client_for, admin_user, change, field):
    response = client_for(admin_user).patch("/api/v1/matching-policy", change, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {field}
    assert versions() == [(1, True)]


def test_a_reminder_not_before_the_active_expiry_gets_400_not_500(client_for, admin_user):
    # Only the reminder is sent; it clashes with the expiry carried over (10 school days).
    response = client_for(admin_user).patch(
        "/api/v1/matching-policy", {"expiry_reminder_school_days": 10}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert versions() == [(1, True)]


def test_policy_versions_are_listed_newest_first(client_for, admin_user, non_admin):
    services.matching_policy_publish(by=admin_user, min_score=30)
    services.matching_policy_publish(by=admin_user, min_score=40)

    response = client_for(admin_user).get("/api/v1/matching-policy/versions")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["version"], r["is_active"], r["min_score"]) for r in rows] == [
        (3, True, 40),
        (2, False, 30),
        (1, False, 20),
    ]
    assert client_for(non_admin).get("/api/v1/matching-policy/versions").status_code == 403


# --- matching runs --------------------------------------------------------------------------


def test_admins_list_and_retrieve_matching_runs(client_for, admin_user):
    a_near_expert()
    a_submitted_request()
    run = services.matching_round_run(trigger=RunTrigger.COMMAND)
    client = client_for(admin_user)

    listed = client.get("/api/v1/matching-runs")
    retrieved = client.get(f"/api/v1/matching-runs/{run.pk}")

    assert listed.status_code == retrieved.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [run.pk]
    body = retrieved.json()
    assert body["status"] == "succeeded"
    assert (body["trigger"], body["objective"], body["policy_version"]) == (
        "command",
        "max_score",
        1,
    )
    assert (body["requests_considered"], body["matched_count"], body["unmatched_count"]) == (
        1,
        1,
        0,
    )
    assert body["objective_value"] == run.objective_value > 0
    stages = {name for name in body["timings_ms"] if not name.startswith("write.")}
    assert stages == {"load", "candidates", "solve", "write"}
    assert {"write.proposals", "write.commit"} <= set(body["timings_ms"])


def test_only_admins_see_or_start_matching_runs(client_for, non_admin):
    policy = MatchingPolicy.objects.get(is_active=True)
    run = MatchingRun.objects.create(policy=policy, objective="max_score", trigger="schedule")
    client = client_for(non_admin)

    assert client.get("/api/v1/matching-runs").status_code == 403
    assert client.get(f"/api/v1/matching-runs/{run.pk}").status_code == 403
    assert client.get(f"/api/v1/matching-runs/{run.pk}/unmatched").status_code == 403
    assert client.post("/api/v1/matching-runs").status_code == 403
    assert not OutboxMessage.objects.exists()


def test_starting_a_round_queues_it_and_a_worker_records_the_run(
    client_for, admin_user, django_capture_on_commit_callbacks, eager_tasks
):
    a_near_expert()
    support_request = a_submitted_request()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_user).post("/api/v1/matching-runs")

    assert response.status_code == 202
    run = MatchingRun.objects.get()
    assert (run.trigger, run.triggered_by, run.status) == ("admin", admin_user, "succeeded")
    assert run.matched_count == 1
    support_request.refresh_from_db()
    assert support_request.status == "proposed"
    message = OutboxMessage.objects.get(task_name="matching.run_round")
    assert message.kwargs == {"trigger": "admin", "by_user_id": admin_user.pk}
    assert message.published_at is not None


def test_the_unmatched_requests_of_a_run_are_listed_with_reasons(client_for, admin_user):
    a_near_expert()
    served = a_submitted_request()
    too_far = a_submitted_request(easting=650000, video_acceptable=False)
    run = services.matching_round_run(trigger=RunTrigger.COMMAND)

    response = client_for(admin_user).get(f"/api/v1/matching-runs/{run.pk}/unmatched")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "request": too_far.pk,
            "reason": "too_far",
            "explanation": "No expert could take this request: "
            "1 the school is beyond their travel distance for a visit.",
        }
    ]
    assert served.proposals.count() == 1


# --- the Django admin -----------------------------------------------------------------------


def policy_form(policy: MatchingPolicy, **changes) -> dict:
    """The change form's fields as the browser posts them (an unchecked box is absent)."""
    data = {}
    for name in services.POLICY_FIELDS:
        value = changes.get(name, getattr(policy, name))
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = value
    return data


def test_saving_the_policy_in_the_admin_publishes_a_new_version(client, admin_user):
    client.force_login(admin_user)
    current = MatchingPolicy.objects.get(is_active=True)
    url = f"/admin/matching/matchingpolicy/{current.pk}/change/"
    assert client.get(url).status_code == 200

    response = client.post(
        url, policy_form(current, min_score=45, allow_own_trust=False, note="Admin edit.")
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert versions() == [(1, False), (2, True)]
    old, new = MatchingPolicy.objects.order_by("version")
    assert (old.min_score, old.allow_own_trust) == (20, True)
    assert (new.min_score, new.allow_own_trust, new.note) == (45, False, "Admin edit.")
    assert new.created_by == admin_user


def test_the_admin_action_queues_a_matching_round_for_a_worker(
    client, admin_user, django_capture_on_commit_callbacks, eager_tasks
):
    a_near_expert()
    support_request = a_submitted_request()
    client.force_login(admin_user)
    policy = MatchingPolicy.objects.get(is_active=True)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            "/admin/matching/matchingpolicy/",
            {"action": "run_round", "_selected_action": [policy.pk]},
        )

    assert response.status_code == 302
    # Queued, not run inside the web request.
    assert not MatchingRun.objects.exists()
    message = OutboxMessage.objects.get(task_name="matching.run_round")
    assert message.kwargs == {"trigger": "admin", "by_user_id": admin_user.pk}
    [text] = [str(m) for m in get_messages(response.wsgi_request)]
    assert text == (
        "A matching round is queued; its figures appear under Matching runs when a worker "
        "has run it."
    )
    # The worker runs it after commit.
    for callback in callbacks:
        callback()
    run = MatchingRun.objects.get()
    assert (run.trigger, run.triggered_by, run.matched_count) == ("admin", admin_user, 1)
    support_request.refresh_from_db()
    assert support_request.status == "proposed"


def test_the_admin_action_warns_when_a_round_is_already_running(client, admin_user):
    policy = MatchingPolicy.objects.get(is_active=True)
    running = MatchingRun.objects.create(policy=policy, objective="max_score", trigger="schedule")
    client.force_login(admin_user)

    response = client.post(
        "/admin/matching/matchingpolicy/",
        {"action": "run_round", "_selected_action": [policy.pk]},
    )

    assert response.status_code == 302
    [message] = list(get_messages(response.wsgi_request))
    assert message.level == messages.WARNING
    assert str(message).startswith(f"Round #{running.pk} is already running (started ")
    assert not OutboxMessage.objects.exists()
    assert list(MatchingRun.objects.values_list("pk", flat=True)) == [running.pk]


def test_non_staff_cannot_open_the_policy_admin(client):
    client.force_login(UserFactory())

    response = client.get("/admin/matching/matchingpolicy/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]

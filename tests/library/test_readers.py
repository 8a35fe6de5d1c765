"""Readers mark resources helpful (once each) and report problems; an expert turns a held
session into a draft in one call; a request lists the resources its experts shared."""

import pytest
from django.db import IntegrityError

from library.models import HelpfulMark, ProblemReport, Resource

pytestmark = pytest.mark.django_db


def test_a_reader_marks_a_resource_helpful_once(library, client_for, write, publish):
    resource = publish(write(library.expert.user))
    reader = client_for(library.outsider)

    first = reader.post(f"/api/v1/resources/{resource['id']}/helpful")
    second = reader.post(f"/api/v1/resources/{resource['id']}/helpful")
    client_for(library.senco).post(f"/api/v1/resources/{resource['id']}/helpful")

    assert (first.status_code, first.json()) == (201, {"helpful_count": 1, "marked_helpful": True})
    assert (second.status_code, second.json()) == (
        200,
        {"helpful_count": 1, "marked_helpful": True},
    )
    shown = reader.get(f"/api/v1/resources/{resource['id']}").json()
    assert (shown["helpful_count"], shown["marked_helpful"]) == (2, True)
    assert (
        client_for(library.admin)
        .get(f"/api/v1/resources/{resource['id']}")
        .json()["marked_helpful"]
        is False
    )
    assert HelpfulMark.objects.count() == 2


def test_the_database_keeps_one_helpful_mark_per_reader(library, write, publish):
    resource = Resource.objects.get(pk=publish(write(library.expert.user))["id"])
    HelpfulMark.objects.create(resource=resource, user=library.outsider)

    with pytest.raises(IntegrityError):
        HelpfulMark.objects.create(resource=resource, user=library.outsider)


def test_a_helpful_mark_is_taken_back_and_authors_cannot_mark_their_own(
    library, client_for, write, publish
):
    resource = publish(write(library.expert.user))
    reader = client_for(library.outsider)
    reader.post(f"/api/v1/resources/{resource['id']}/helpful")

    taken_back = reader.delete(f"/api/v1/resources/{resource['id']}/helpful")
    own = client_for(library.expert.user).post(f"/api/v1/resources/{resource['id']}/helpful")

    assert taken_back.json() == {"helpful_count": 0, "marked_helpful": False}
    assert own.status_code == 403
    assert HelpfulMark.objects.count() == 0


def test_readers_report_problems_and_admins_see_and_resolve_them(
    library, client_for, write, publish
):
    resource = publish(write(library.expert.user))
    reader, admin = client_for(library.outsider), client_for(library.admin)

    assert reader.post(f"/api/v1/resources/{resource['id']}/reports", {}).status_code == 400
    reported = reader.post(
        f"/api/v1/resources/{resource['id']}/reports", {"reason": "The link is broken."}
    )

    assert reported.status_code == 201
    assert reader.get("/api/v1/resource-reports").status_code == 403
    listed = admin.get("/api/v1/resource-reports", {"open": "true"}).json()["results"]
    assert [(r["resource"], r["reason"]) for r in listed] == [
        (resource["id"], "The link is broken.")
    ]
    report_id = listed[0]["id"]
    resolved = admin.post(f"/api/v1/resource-reports/{report_id}/resolve", {"resolution": "Fixed."})
    assert resolved.status_code == 200
    assert resolved.json()["resolved_at"] is not None
    assert admin.post(f"/api/v1/resource-reports/{report_id}/resolve").status_code == 409
    assert admin.get("/api/v1/resource-reports", {"open": "true"}).json()["count"] == 0
    assert ProblemReport.objects.get().resolution == "Fixed."


def test_the_sessions_expert_turns_its_notes_into_a_draft_in_one_call(library, client_for):
    response = client_for(library.expert.user).post(
        "/api/v1/resources/from-session",
        {"session": library.session.pk, "title": "Calm after lunch", "summary": "What we tried."},
    )

    assert response.status_code == 201, response.content
    draft = response.json()
    assert draft["status"] == "draft"
    assert draft["session"] == library.session.pk
    assert draft["visibility"] == "participants"
    assert "Calmer transitions after lunch." in draft["body"]
    assert "Ear defenders" in draft["body"]
    assert "<h2>" in draft["body_html"]
    assert (draft["needs"], draft["topics"], draft["phases"]) == (
        ["ASD"],
        ["sensory-regulation"],
        ["primary"],
    )
    # The school's side of the session sees the draft; nobody else does.
    assert client_for(library.senco).get(f"/api/v1/resources/{draft['id']}").status_code == 200
    assert (
        client_for(library.trust_teacher).get(f"/api/v1/resources/{draft['id']}").status_code == 404
    )


def test_a_draft_from_a_session_carries_the_experts_report(library, client_for):
    expert = client_for(library.expert.user)
    feedback = expert.post(
        "/api/v1/feedback",
        {
            "session": library.session.pk,
            "useful": 5,
            "practical": 4,
            "would_recommend": 5,
            "covered": "A sensory audit of the lunch hall.",
            "next_steps": "A movement break before afternoon lessons.",
        },
    )
    assert feedback.status_code == 201, feedback.content

    response = expert.post(
        "/api/v1/resources/from-session",
        {"session": library.session.pk, "title": "Calm after lunch", "summary": "s"},
    )

    assert response.status_code == 201, response.content
    body = response.json()["body"]
    assert "## What was covered\n\nA sensory audit of the lunch hall." in body
    assert "## Next steps agreed\n\nA movement break before afternoon lessons." in body
    assert "_Describe the strategies shared" not in body


def test_only_the_sessions_expert_drafts_from_a_held_session(library, client_for):
    body = {"session": library.session.pk, "title": "t", "summary": "s"}

    assert (
        client_for(library.other_expert.user)
        .post("/api/v1/resources/from-session", body)
        .status_code
        == 404
    )
    assert client_for(library.senco).post("/api/v1/resources/from-session", body).status_code == 403
    library.session.status = "confirmed"
    library.session.save()
    response = client_for(library.expert.user).post("/api/v1/resources/from-session", body)
    assert response.status_code == 409
    assert response.json()["code"] == "session_not_completed"
    assert Resource.objects.count() == 0


def test_a_request_lists_the_resources_its_experts_shared(library, client_for, write, publish):
    shared = publish(
        write(library.expert.user, session=library.session.pk, visibility="participants")
    )
    write(library.expert.user)  # not from this request's sessions

    response = client_for(library.senco).get(f"/api/v1/requests/{library.request.pk}/resources")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [shared["id"]]

"""Who sees a resource before and after an admin approves it, what moderation does, and the
review-by flag."""

from datetime import timedelta

import pytest

from exchange.models import Notification
from library.models import Resource
from matching.selectors import local_today
from tests.factories import SupportRequestFactory

pytestmark = pytest.mark.django_db


def listed(client, **params) -> list[int]:
    response = client.get("/api/v1/resources", params)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_only_experts_and_admins_write_resources(library, client_for, write):
    response = client_for(library.senco).post(
        "/api/v1/resources", {"title": "x", "summary": "y", "evidence_level": "classroom_practice"}
    )

    assert response.status_code == 403
    assert write(library.admin)["status"] == "draft"
    assert Resource.objects.count() == 1


def test_a_new_resource_is_a_draft_seen_only_by_its_participants(library, client_for, write):
    resource = write(library.expert.user, session=library.session.pk, visibility="everyone")

    assert resource["status"] == "draft"
    assert resource["is_mine"] is True
    # The author, the session's school side (its SENCO) and admins see it ...
    for user in (library.expert.user, library.senco, library.admin):
        assert listed(client_for(user)) == [resource["id"]]
        assert client_for(user).get(f"/api/v1/resources/{resource['id']}").status_code == 200
    # ... nobody else, even though it is meant for everyone: it is not approved.
    for user in (library.trust_teacher, library.outsider, library.other_expert.user):
        assert listed(client_for(user)) == []
        assert client_for(user).get(f"/api/v1/resources/{resource['id']}").status_code == 404


def test_submitted_is_still_hidden_and_approved_is_visible_as_its_visibility_says(
    library, client_for, write, publish
):
    for_everyone = write(library.expert.user, visibility="everyone")
    for_trust = write(library.expert.user, visibility="trust")
    for_participants = write(
        library.expert.user, visibility="participants", session=library.session.pk
    )
    for resource in (for_everyone, for_trust, for_participants):
        client_for(library.expert.user).post(f"/api/v1/resources/{resource['id']}/submit")
    assert listed(client_for(library.outsider)) == []

    for resource in (for_everyone, for_trust, for_participants):
        assert (
            client_for(library.admin)
            .post(f"/api/v1/resources/{resource['id']}/approve")
            .status_code
            == 200
        )

    assert listed(client_for(library.outsider)) == [for_everyone["id"]]
    assert listed(client_for(library.trust_teacher)) == [for_trust["id"], for_everyone["id"]]
    assert set(listed(client_for(library.senco))) == {
        for_everyone["id"],
        for_participants["id"],
    }
    assert (
        client_for(library.outsider).get(f"/api/v1/resources/{for_trust['id']}").status_code == 404
    )


def test_a_school_never_sees_another_schools_private_resources(library, client_for, write, publish):
    private = publish(
        write(library.expert.user, visibility="participants", session=library.session.pk)
    )
    in_trust = publish(write(library.expert.user, visibility="trust"))
    outsider = client_for(library.outsider)

    assert listed(outsider) == []
    for resource in (private, in_trust):
        assert outsider.get(f"/api/v1/resources/{resource['id']}").status_code == 404
        assert outsider.post(f"/api/v1/resources/{resource['id']}/helpful").status_code == 404
        assert (
            outsider.post(
                f"/api/v1/resources/{resource['id']}/reports", {"reason": "x"}
            ).status_code
            == 404
        )
    assert outsider.get(f"/api/v1/requests/{library.request.pk}/resources").status_code == 404


def test_trust_visibility_needs_the_authors_school_in_a_trust(library, client_for):
    response = client_for(library.other_expert.user).post(
        "/api/v1/resources",
        {
            "title": "t",
            "summary": "s",
            "evidence_level": "classroom_practice",
            "visibility": "trust",
        },
        format="json",
    )

    assert response.status_code == 400
    assert "visibility" in response.json()["fields"]


def test_only_admins_moderate(library, client_for, write):
    resource = write(library.expert.user, session=library.session.pk)
    client_for(library.expert.user).post(f"/api/v1/resources/{resource['id']}/submit")

    for user in (library.expert.user, library.senco):
        client = client_for(user)
        assert client.post(f"/api/v1/resources/{resource['id']}/approve").status_code == 403
        assert (
            client.post(f"/api/v1/resources/{resource['id']}/reject", {"reason": "no"}).status_code
            == 403
        )
    assert Resource.objects.get().status == "pending"


def test_rejecting_needs_a_reason_hides_it_again_and_tells_the_author(
    library, client_for, write, publish
):
    resource = publish(write(library.expert.user))
    admin = client_for(library.admin)
    assert admin.post(f"/api/v1/resources/{resource['id']}/reject", {}).status_code == 400

    response = admin.post(f"/api/v1/resources/{resource['id']}/reject", {"reason": "Out of date."})

    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["rejection_reason"] == "Out of date."
    assert listed(client_for(library.outsider)) == []
    notice = Notification.objects.get(user=library.expert.user, kind="resource_rejected")
    assert "Out of date." in notice.body
    assert (
        Notification.objects.filter(user=library.expert.user, kind="resource_approved").count() == 1
    )


def test_a_rejected_resource_is_edited_and_submitted_again(library, client_for, write):
    resource = write(library.expert.user)
    author, admin = client_for(library.expert.user), client_for(library.admin)
    author.post(f"/api/v1/resources/{resource['id']}/submit")
    admin.post(f"/api/v1/resources/{resource['id']}/reject", {"reason": "Add a link."})

    edited = author.patch(
        f"/api/v1/resources/{resource['id']}",
        {"links": [{"title": "Templates", "url": "https://example.org/t"}]},
        format="json",
    )
    resubmitted = author.post(f"/api/v1/resources/{resource['id']}/submit")

    assert edited.status_code == 200
    assert edited.json()["links"] == [{"title": "Templates", "url": "https://example.org/t"}]
    assert resubmitted.json()["status"] == "pending"


def test_illegal_transitions_are_409_and_change_nothing(library, client_for, write, publish):
    draft = write(library.expert.user)
    admin = client_for(library.admin)

    response = admin.post(f"/api/v1/resources/{draft['id']}/approve")

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert response.json()["details"]["current_status"] == "draft"
    approved = publish(write(library.expert.user))
    again = client_for(library.expert.user).post(f"/api/v1/resources/{approved['id']}/submit")
    assert again.status_code == 409
    edit = client_for(library.expert.user).patch(
        f"/api/v1/resources/{approved['id']}", {"title": "New"}
    )
    assert edit.status_code == 409
    assert edit.json()["code"] == "not_editable"
    assert Resource.objects.get(pk=approved["id"]).title == approved["title"]


def test_only_the_author_edits_and_an_empty_resource_cannot_be_submitted(
    library, client_for, write
):
    resource = write(library.expert.user, body="", session=library.session.pk)

    assert (
        client_for(library.senco)
        .patch(f"/api/v1/resources/{resource['id']}", {"title": "x"})
        .status_code
        == 403
    )
    response = client_for(library.expert.user).post(f"/api/v1/resources/{resource['id']}/submit")
    assert response.status_code == 400
    assert response.json()["code"] == "empty_resource"


def test_approval_sets_a_review_by_date_after_which_admins_see_it_flagged(
    library, client_for, write
):
    resource = write(library.expert.user)
    client_for(library.expert.user).post(f"/api/v1/resources/{resource['id']}/submit")
    admin = client_for(library.admin)
    past = (local_today() - timedelta(days=1)).isoformat()
    assert (
        admin.post(f"/api/v1/resources/{resource['id']}/approve", {"review_by": past}).status_code
        == 400
    )

    soon = local_today() + timedelta(days=30)
    approved = admin.post(
        f"/api/v1/resources/{resource['id']}/approve", {"review_by": soon.isoformat()}
    ).json()
    assert approved["review_by"] == soon.isoformat()
    assert approved["needs_review"] is False
    assert listed(admin, needs_review="true") == []

    # Time passes: the review-by date is behind us.
    Resource.objects.filter(pk=resource["id"]).update(review_by=local_today() - timedelta(days=1))

    assert listed(admin, needs_review="true") == [resource["id"]]
    assert listed(admin, needs_review="false") == []
    assert (
        client_for(library.outsider)
        .get(f"/api/v1/resources/{resource['id']}")
        .json()["needs_review"]
        is True
    )
    # Approving again after a review renews the date and clears the flag.
    renewed = admin.post(f"/api/v1/resources/{resource['id']}/approve").json()
    assert renewed["needs_review"] is False
    assert renewed["review_by"] == (local_today() + timedelta(days=365)).isoformat()


def test_evidence_levels_need_their_companion_field(library, client_for):
    expert = client_for(library.expert.user)
    base = {"title": "t", "summary": "s", "body": "b"}

    evaluated = expert.post("/api/v1/resources", {**base, "evidence_level": "evaluated_in_school"})
    research = expert.post("/api/v1/resources", {**base, "evidence_level": "research_backed"})
    # A request of the same school that nothing ties the expert to (no proposal, no session).
    unrelated = SupportRequestFactory(school=library.request.school, status="completed")
    with_outcome = expert.post(
        "/api/v1/resources",
        {**base, "evidence_level": "evaluated_in_school", "outcome_request": unrelated.pk},
    )

    assert evaluated.status_code == 400
    assert "outcome_request" in evaluated.json()["fields"]
    assert research.status_code == 400
    assert "citation" in research.json()["fields"]
    # The expert does not see that request: it cannot be named.
    assert with_outcome.status_code == 400
    assert "outcome_request" in with_outcome.json()["fields"]
    by_reference = expert.post(
        "/api/v1/resources",
        {**base, "evidence_level": "evaluated_in_school", "outcome_reference": "GAS T-score 58"},
    )
    assert by_reference.status_code == 201
    # A patch that drops the companion is refused too.
    dropped = expert.patch(
        f"/api/v1/resources/{by_reference.json()['id']}", {"outcome_reference": ""}
    )
    assert dropped.status_code == 400


def test_body_is_rendered_safely(library, client_for, write):
    resource = write(
        library.expert.user,
        body="Hello <script>alert(1)</script> [a](https://example.org) [b](javascript:alert(1))",
    )

    html = resource["body_html"]
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert 'href="https://example.org"' in html
    assert 'rel="noopener nofollow"' in html
    assert 'href="javascript' not in html  # left as text, never a link


def test_an_author_deletes_an_unapproved_resource(library, client_for, write, publish):
    draft = write(library.expert.user)
    approved = publish(write(library.expert.user))
    author = client_for(library.expert.user)

    assert client_for(library.senco).delete(f"/api/v1/resources/{draft['id']}").status_code == 404
    assert author.delete(f"/api/v1/resources/{draft['id']}").status_code == 204
    assert author.delete(f"/api/v1/resources/{approved['id']}").status_code == 409
    assert list(Resource.objects.values_list("pk", flat=True)) == [approved["id"]]


def test_a_resource_names_only_a_session_of_its_author(library, client_for):
    body = {"title": "t", "summary": "s", "evidence_level": "classroom_practice"}

    response = client_for(library.other_expert.user).post(
        "/api/v1/resources", {**body, "session": library.session.pk}
    )

    assert response.status_code == 400
    assert "session" in response.json()["fields"]
    assert Resource.objects.count() == 0

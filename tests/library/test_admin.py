"""Django admin: the library's pages render, the review list filters, and the moderation
actions call the services (so the author is notified as through the API)."""

from datetime import timedelta

import pytest

from exchange.models import Notification
from library.models import ProblemReport, Resource
from matching.selectors import local_today

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, library):
    client.force_login(library.admin)
    return client


def test_library_admin_pages_render(admin_client, library, write, publish):
    resource = publish(write(library.expert.user))
    report = ProblemReport.objects.create(
        resource_id=resource["id"], reported_by=library.outsider, reason="Broken link."
    )

    for path in (
        "/admin/library/resource/",
        "/admin/library/resource/?needs_review=yes",
        f"/admin/library/resource/{resource['id']}/change/",
        "/admin/library/problemreport/",
        f"/admin/library/problemreport/{report.pk}/change/",
    ):
        assert admin_client.get(path).status_code == 200, path


def test_the_review_filter_lists_resources_past_their_review_by_date(
    admin_client, library, write, publish
):
    due = publish(write(library.expert.user, title="Due for review"))
    publish(write(library.expert.user, title="Still fresh"))
    Resource.objects.filter(pk=due["id"]).update(review_by=local_today() - timedelta(days=1))

    page = admin_client.get("/admin/library/resource/?needs_review=yes").content.decode()

    assert "Due for review" in page
    assert "Still fresh" not in page


def test_the_approve_action_approves_what_is_pending_and_tells_the_author(
    admin_client, library, client_for, write
):
    pending = write(library.expert.user, title="Pending one")
    client_for(library.expert.user).post(f"/api/v1/resources/{pending['id']}/submit")
    draft = write(library.expert.user, title="Draft one")

    response = admin_client.post(
        "/admin/library/resource/",
        {"action": "approve", "_selected_action": [pending["id"], draft["id"]]},
    )

    assert response.status_code == 302
    statuses = dict(Resource.objects.values_list("title", "status"))
    assert statuses == {"Pending one": "approved", "Draft one": "draft"}
    assert Notification.objects.filter(kind="resource_approved").count() == 1

"""The demo's library: approved resources a newcomer can search and download, and one
waiting for the admin's review."""

import io

import pytest
from django.core.management import call_command

from accounts.models import User
from library.models import Resource

pytestmark = pytest.mark.django_db


def test_seed_demo_includes_approved_resources_to_search_and_one_to_review(client_for):
    out = io.StringIO()
    call_command("seed_demo", "--password", "pw-for-tests", stdout=out)
    call_command("seed_demo", "--password", "pw-for-tests", stdout=io.StringIO())
    staff = client_for(User.objects.get(email="staff@demo.exchange"))
    admin = client_for(User.objects.get(email="admin@demo.exchange"))

    listed = staff.get("/api/v1/resources").json()
    found = staff.get("/api/v1/resources", {"search": "sensory"}).json()["results"]
    pending = admin.get("/api/v1/resources", {"status": "pending"}).json()["results"]

    assert "Approved library resources: 4." in out.getvalue()
    assert Resource.objects.count() == 5  # the second run added none
    assert listed["count"] == 4
    assert {row["evidence_level"] for row in listed["results"]} == {
        "classroom_practice",
        "evaluated_in_school",
        "research_backed",
    }
    assert found[0]["title"] == "Sensory breaks that fit a busy timetable"
    detail = staff.get(f"/api/v1/resources/{found[0]['id']}").json()
    download = staff.get(detail["files"][0]["download_url"])
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # read: closes the file
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert [row["title"] for row in pending] == ["Multisensory phonics for older readers"]

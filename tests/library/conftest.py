"""The library's scene: an expert at a special school in trust T who held a session with
school A (its SENCO attended); a teacher at another school of trust T; a teacher at school
B, in no trust; a platform admin."""

import io
import zipfile
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.enums import Role
from accounts.models import User
from exchange.models import ExpertProfile, SupportRequest
from scheduling.models import Session
from tests.factories import (
    ExpertProfileFactory,
    MembershipFactory,
    SchoolFactory,
    SpecialSchoolFactory,
    SupportRequestFactory,
    TrustFactory,
    topic,
)


@dataclass
class Library:
    expert: ExpertProfile
    senco: User  # school A's SENCO, a side of the session
    request: SupportRequest
    session: Session
    trust_teacher: User  # another school of the expert's trust
    outsider: User  # school B, in no trust
    other_expert: ExpertProfile
    admin: User


@pytest.fixture
def library(db, admin_user) -> Library:
    trust = TrustFactory()
    expert = ExpertProfileFactory(school=SpecialSchoolFactory(trust=trust))
    senco = MembershipFactory(role=Role.SENCO, school=SchoolFactory()).user
    school_a = senco.memberships.get().school
    request = SupportRequestFactory(
        school=school_a,
        created_by=senco,
        status="completed",
        desired_outcome="Calmer transitions after lunch.",
        tried_so_far="Ear defenders; a quiet corner.",
    )
    request.needs.add(*[request.primary_need])
    request.topics.add(topic("sensory-regulation"))
    starts = timezone.now() - timedelta(days=3)
    session = Session.objects.create(
        request=request,
        expert=expert,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        format="observation_visit",
        status="completed",
    )
    session.attendees.add(senco)
    return Library(
        expert=expert,
        senco=senco,
        request=request,
        session=session,
        trust_teacher=MembershipFactory(school=SchoolFactory(trust=trust)).user,
        outsider=MembershipFactory(school=SchoolFactory(trust=None)).user,
        other_expert=ExpertProfileFactory(),
        admin=admin_user,
    )


RESOURCE = {
    "title": "Visual timetables for a Year 4 class",
    "summary": "How a class moved to a shared visual timetable.",
    "body": "## How\n\n1. Photograph each activity.\n2. Pin the day on the wall.",
    "needs": ["ASD"],
    "topics": ["visual-timetables"],
    "phases": ["primary"],
    "evidence_level": "classroom_practice",
    "visibility": "everyone",
}


@pytest.fixture
def write(client_for):
    """``write(user, **fields)``: a resource written through the API; returns its JSON."""

    def make(user, **fields):
        response = client_for(user).post("/api/v1/resources", {**RESOURCE, **fields}, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return make


@pytest.fixture
def publish(client_for, library):
    """``publish(resource_json)``: submitted by its author, approved by the admin."""

    def run(resource: dict, author: User | None = None) -> dict:
        author = author or library.expert.user
        submitted = client_for(author).post(f"/api/v1/resources/{resource['id']}/submit")
        assert submitted.status_code == 200, submitted.content
        approved = client_for(library.admin).post(f"/api/v1/resources/{resource['id']}/approve")
        assert approved.status_code == 200, approved.content
        return approved.json()

    return run


# --- files ---------------------------------------------------------------------------------------

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()

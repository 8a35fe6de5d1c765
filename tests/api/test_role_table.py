"""The role table in docs/api.md ("Who may do what") is true: every cell of it is checked here.

Its rows about the taxonomy, experts and draft requests are the permission matrix's
(``tests/api/test_permission_matrix.py`` drives the API for those, on the same people): here
they must equal its rows. Every other row is driven through the API, as each kind of caller,
in the scene the table describes; a write is rolled back before the next caller tries it.
"""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from exchange import services as exchange_services
from exchange.models import AvailabilityWindow, ExpertProfile, Notification, SupportRequest
from knowledge import services as knowledge_services
from library import services as library_services
from library.models import Resource
from matching import services as matching_services
from matching.models import Proposal
from matching.selectors import local_today
from scheduling import services as scheduling_services
from scheduling.models import Session, SessionChange
from tests import factories
from tests.api import test_permission_matrix as permission_matrix
from tests.api.test_permission_matrix import World, world  # noqa: F401 (a fixture)
from tests.scheduling.conftest import accepted_request, make_expert
from tests.scheduling.test_sessions_api import another_time

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
API = "/api/v1"
# The table's columns, as the permission matrix's people.
COLUMNS = {
    "staff": "staff_a",
    "SENCO": "senco_a",
    "other school": "staff_b",
    "expert": "expert",
    "employer": "senco_s",
    "coordinator": "coord_in",
    "other coordinator": "coord_out",
    "admin": "admin",
    "LA officer": "la_in",
    "other LA officer": "la_out",
}
# Endpoints of the endpoints table that no role decides: the caller's own, or a secret URL's.
ROLE_FREE = {"/auth/token", "/auth/token/refresh", "/me", "/calendar-feed", "/calendar/{token}.ics"}


def doc_table(heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first table after ``heading`` in docs/api.md."""
    lines = DOC.read_text().splitlines()
    start = lines.index(heading)
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    return rows


def role_table() -> dict[str, dict[str, str]]:
    header, rule, *rows = doc_table("## Who may do what")
    assert header[1:] == list(COLUMNS), "the role table's columns changed"
    assert set(rule) == {"---"}
    return {row[0]: dict(zip(COLUMNS, row[1:], strict=True)) for row in rows}


def short(label: str) -> str:
    """A row's test id."""
    return label.replace("`", "")[:70]


def paths_in(text: str) -> set[str]:
    """The paths named in code spans (``GET /requests/{id}``), without the method."""
    return {span.split()[-1] for span in re.findall(r"`([^`]+)`", text)}


FREE_TEXT = ("context", "tried_so_far", "desired_outcome")
GOAL_WORDING = ("description", "expected_outcome")

# --- answers: what a caller got, in the table's words -----------------------------------------


def answer(response) -> str:
    return "yes" if 200 <= response.status_code < 300 else str(response.status_code)


def listed(response, key: object, field: str = "id") -> str:
    """``yes`` when the list holds the item, ``404`` when it leaves it out."""
    if response.status_code != 200:
        return answer(response)
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return "yes" if key in {row[field] for row in rows} else "404"


def agree(*answers: str) -> str:
    """One answer when every operation of a row gave it; all of them, to show, when not."""
    return answers[0] if len(set(answers)) == 1 else " / ".join(answers)


def shown(*details: object) -> str:
    return agree(*("yes" if detail else "no" for detail in details))


@contextmanager
def undone() -> Iterator[None]:
    """Whatever a caller changes is rolled back before the next one tries."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- the scene -------------------------------------------------------------------------------


@dataclass
class Scene:
    world: World
    accepted: SupportRequest
    proposal: Proposal  # the expert's, accepted
    rival_proposal: Proposal  # another expert's, for the same request
    open_proposal: Proposal  # the expert's, for another request of school A, undecided
    session_id: int  # an offered slot of the accepted request
    notification: Notification  # the SENCO's
    session_resource: Resource  # the expert's, from the accepted request's session, a draft
    public_resource: Resource  # the expert's, for everyone, approved, with a file

    def session(self) -> Session:
        return Session.objects.get(pk=self.session_id)

    def confirmed(self) -> Session:
        senco = self.world.users["senco_a"]
        return scheduling_services.session_confirm(session=self.session(), by=senco)


def schedulable(expert: ExpertProfile) -> ExpertProfile:
    """The permission matrix's expert, made matchable and free every school day 09:00–15:00."""
    ExpertProfile.objects.filter(pk=expert.pk).update(
        safeguarding_expires_on=local_today() + timedelta(days=365),
        sessions_per_week=5,
        sessions_per_month=20,
    )
    for weekday in range(5):
        AvailabilityWindow.objects.create(
            expert=expert, weekday=weekday, start_time=time(9), end_time=time(15)
        )
    return ExpertProfile.objects.get(pk=expert.pk)


@pytest.fixture
def scene(world) -> Scene:  # noqa: F811 (the fixture imported above)
    expert, senco = schedulable(world.expert), world.users["senco_a"]
    rival = make_expert()
    accepted = accepted_request(expert, senco=senco)
    [offered, *_] = scheduling_services.slots_offer(support_request_id=accepted.request.pk)
    other = factories.SupportRequestFactory(
        school=world.school_a, created_by=senco, video_acceptable=True
    )
    exchange_services.support_request_submit(support_request=other, by=senco)
    matching_services.proposals_create_for_request(support_request_id=other.pk)
    return Scene(
        world=world,
        accepted=accepted.request,
        proposal=accepted.proposal,
        rival_proposal=Proposal.objects.get(request=accepted.request, expert=rival),
        open_proposal=Proposal.objects.get(request=other, expert=expert, status="proposed"),
        session_id=offered.pk,
        notification=Notification.objects.create(user=senco, kind="slots_offered", title="Hi"),
        session_resource=library_services.resource_create(
            by=expert.user,
            session=offered,
            title="What the visit showed",
            summary="Notes.",
            body="Calm transitions.",
            evidence_level="classroom_practice",
            visibility="participants",
        ),
        public_resource=published_resource(expert, world.users["admin"]),
    )


def published_resource(expert: ExpertProfile, admin) -> Resource:
    resource = library_services.resource_create(
        by=expert.user,
        title="Sensory breaks",
        summary="Short planned breaks.",
        body="Plan them before the hardest times.",
        evidence_level="classroom_practice",
        visibility="everyone",
    )
    pdf = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    library_services.resource_file_add(resource=resource, by=expert.user, upload=pdf)
    library_services.resource_submit(resource=resource, by=expert.user)
    return library_services.resource_approve(resource=resource, by=admin)


# --- the rows driven here: what each caller gets --------------------------------------------

Check = Callable[[Scene, object], str]


def schools_and_trusts(scene: Scene, client) -> str:
    school = scene.world.school_a
    return agree(
        listed(client.get(f"{API}/schools", {"search": school.urn}), school.urn, "urn"),
        answer(client.get(f"{API}/schools/{school.urn}")),
        listed(client.get(f"{API}/trusts"), school.trust.code, "code"),
        answer(client.get(f"{API}/trusts/{school.trust.code}")),
    )


def closed_school(scene: Scene, client) -> str:
    school = scene.world.school_a
    with undone():
        type(school).objects.filter(pk=school.pk).update(is_active=False)
        return agree(
            listed(client.get(f"{API}/schools", {"search": school.urn}), school.urn, "urn"),
            answer(client.get(f"{API}/schools/{school.urn}")),
        )


def accepted_request_read(scene: Scene, client) -> str:
    pk = scene.accepted.pk
    return agree(
        listed(client.get(f"{API}/requests"), pk),
        answer(client.get(f"{API}/requests/{pk}")),
        answer(client.get(f"{API}/requests/{pk}/history")),
    )


def pupil_free_text(*, shared: bool) -> Check:
    """Whether the request's detail and its list item show its pupil free text."""

    def check(scene: Scene, client) -> str:
        pk = scene.accepted.pk
        with undone():
            SupportRequest.objects.filter(pk=pk).update(
                tried_so_far="Ear defenders.", shares_details_with_local_authority=shared
            )
            detail = client.get(f"{API}/requests/{pk}")
            if detail.status_code != 200:
                return answer(detail)
            [item] = [
                row for row in client.get(f"{API}/requests").json()["results"] if row["id"] == pk
            ]
            return shown(*(body[field] for body in (detail.json(), item) for field in FREE_TEXT))

    return check


def share_with_local_authority(scene: Scene, client) -> str:
    with undone():
        body = {"shares_details_with_local_authority": True}
        return answer(client.patch(f"{API}/requests/{scene.accepted.pk}", body, format="json"))


def history_names_people(scene: Scene, client) -> str:
    response = client.get(f"{API}/requests/{scene.accepted.pk}/history")
    if response.status_code != 200:
        return answer(response)
    [submitted] = [change for change in response.json() if change["to_status"] == "submitted"]
    return shown(submitted["changed_by"])


def proposal_read(proposal_of: Callable[[Scene], Proposal]) -> Check:
    def check(scene: Scene, client) -> str:
        pk = proposal_of(scene).pk
        return agree(
            listed(client.get(f"{API}/proposals"), pk),
            answer(client.get(f"{API}/proposals/{pk}")),
            listed(client.get(f"{API}/requests/{scene.accepted.pk}/proposals"), pk),
        )

    return check


def proposal_answer(scene: Scene, client) -> str:
    path = f"{API}/proposals/{scene.open_proposal.pk}"
    answers = []
    for action, body in (("accept", {}), ("decline", {"reason": "Fully booked."})):
        with undone():
            answers.append(answer(client.post(f"{path}/{action}", body, format="json")))
    return agree(*answers)


def matching_admin(scene: Scene, client) -> str:
    paths = ["/matching-runs", "/matching-policy", "/matching-policy/versions"]
    return agree(*(answer(client.get(API + path)) for path in paths))


def projection_read(scene: Scene, client) -> str:
    return answer(client.get(f"{API}/analytics/projection"))


def slot_offers_read(scene: Scene, client) -> str:
    return listed(client.get(f"{API}/requests/{scene.accepted.pk}/slot-offers"), scene.session_id)


def slot_offers_renew(scene: Scene, client) -> str:
    with undone():
        return answer(client.post(f"{API}/requests/{scene.accepted.pk}/slot-offers"))


def session_book(scene: Scene, client) -> str:
    body = {"request": scene.accepted.pk, "starts_at": scene.session().starts_at.isoformat()}
    with undone():
        return answer(client.post(f"{API}/sessions", body, format="json"))


def session_read(scene: Scene, client) -> str:
    return agree(
        listed(client.get(f"{API}/sessions"), scene.session_id),
        answer(client.get(f"{API}/sessions/{scene.session_id}")),
    )


def session_people(scene: Scene, client) -> str:
    with undone():
        session = scene.confirmed()  # attendees are the school's people who confirmed
        Session.objects.filter(pk=session.pk).update(
            video_link="https://meet.example.org/x", cancel_reason="Ofsted visit."
        )
        SessionChange.objects.filter(session=session).update(reason="Staff illness.")
        response = client.get(f"{API}/sessions/{session.pk}")
        if response.status_code != 200:
            return answer(response)
        body = response.json()
        reasons = [change["reason"] for change in body["changes"]]
        return shown(
            body["expert_name"],
            body["attendees"],
            body["video_link"],
            body["cancel_reason"],
            *reasons,
        )


def session_confirm(scene: Scene, client) -> str:
    with undone():
        return answer(client.post(f"{API}/sessions/{scene.session_id}/confirm"))


def session_change(scene: Scene, client) -> str:
    """Each of the two sides' actions on a confirmed session, each from the same start."""

    def reschedule(session: Session):
        body = {"starts_at": another_time(session).isoformat(), "reason": "A training day."}
        return client.post(f"{API}/sessions/{session.pk}/reschedule", body, format="json")

    def started(action: str) -> Callable[[Session], object]:
        def act(session: Session):
            now = timezone.now()
            Session.objects.filter(pk=session.pk).update(
                starts_at=now - timedelta(hours=2), ends_at=now
            )
            return client.post(f"{API}/sessions/{session.pk}/{action}")

        return act

    actions = [
        reschedule,
        lambda s: client.post(f"{API}/sessions/{s.pk}/cancel", {"reason": "Clash."}, format="json"),
        started("complete"),
        started("no-show"),
        lambda s: client.get(f"{API}/sessions/{s.pk}/ics"),
    ]
    answers = []
    for act in actions:
        with undone():
            answers.append(answer(act(scene.confirmed())))
    return agree(*answers)


def own_notification(scene: Scene, client) -> str:
    pk = scene.notification.pk
    with undone():
        return agree(
            listed(client.get(f"{API}/notifications"), pk),
            answer(client.get(f"{API}/notifications/{pk}")),
            answer(client.post(f"{API}/notifications/{pk}/read")),
        )


def resource_write(scene: Scene, client) -> str:
    body = {"title": "t", "summary": "s", "body": "b", "evidence_level": "classroom_practice"}
    with undone():
        return answer(client.post(f"{API}/resources", body, format="json"))


def resource_from_session(scene: Scene, client) -> str:
    body = {"session": scene.session_id, "title": "t", "summary": "s"}
    with undone():
        Session.objects.filter(pk=scene.session_id).update(status="completed")
        return answer(client.post(f"{API}/resources/from-session", body, format="json"))


def session_resource_read(scene: Scene, client) -> str:
    pk = scene.session_resource.pk
    return agree(
        listed(client.get(f"{API}/resources"), pk),
        answer(client.get(f"{API}/resources/{pk}")),
        listed(client.get(f"{API}/requests/{scene.accepted.pk}/resources"), pk),
    )


def session_resource_edit(scene: Scene, client) -> str:
    path = f"{API}/resources/{scene.session_resource.pk}"
    pdf = b"%PDF-1.4\n%%EOF\n"

    def with_a_file(act: Callable[[int], object]) -> Callable[[], object]:
        def run():
            row = library_services.resource_file_add(
                resource=scene.session_resource,
                by=scene.world.expert.user,
                upload=SimpleUploadedFile("a.pdf", pdf, "application/pdf"),
            )
            return act(row.pk)

        return run

    actions = [
        lambda: client.patch(path, {"title": "New title"}, format="json"),
        lambda: client.delete(path),
        lambda: client.post(f"{path}/submit"),
        lambda: client.post(
            f"{path}/files",
            {"file": SimpleUploadedFile("b.pdf", pdf, "application/pdf")},
            format="multipart",
        ),
        with_a_file(lambda file_id: client.delete(f"{path}/files/{file_id}")),
    ]
    answers = []
    for act in actions:
        with undone():
            answers.append(answer(act()))
    return agree(*answers)


def session_resource_moderate(scene: Scene, client) -> str:
    path = f"{API}/resources/{scene.session_resource.pk}"
    answers = []
    for action, body in (("approve", {}), ("reject", {"reason": "Not yet."})):
        with undone():
            Resource.objects.filter(pk=scene.session_resource.pk).update(status="pending")
            answers.append(answer(client.post(f"{path}/{action}", body, format="json")))
    return agree(*answers)


def public_resource_read(scene: Scene, client) -> str:
    resource = scene.public_resource
    file = resource.files.get()
    with undone():
        reported = client.post(f"{API}/resources/{resource.pk}/reports", {"reason": "Broken."})
    download = client.get(f"{API}/resources/{resource.pk}/files/{file.pk}/download")
    # Read to the end: the test client then closes the file (``download.close()`` would
    # also end the "request" and close the test's database connection on PostgreSQL).
    b"".join(getattr(download, "streaming_content", []))
    return agree(
        answer(client.get(f"{API}/resources/{resource.pk}")), answer(download), answer(reported)
    )


def public_resource_helpful(scene: Scene, client) -> str:
    with undone():
        return answer(client.post(f"{API}/resources/{scene.public_resource.pk}/helpful"))


def resource_reports(scene: Scene, client) -> str:
    return answer(client.get(f"{API}/resource-reports"))


def held(scene: Scene) -> Session:
    """The accepted request's offered slot, confirmed and held (the SENCO and the expert
    attended)."""
    session, now = scene.confirmed(), timezone.now()
    Session.objects.filter(pk=session.pk).update(
        starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1)
    )
    return scheduling_services.session_complete(session=session, by=scene.world.users["senco_a"])


RATINGS = {"useful": 4, "practical": 4, "would_recommend": 5}


def senco_feedback(scene: Scene) -> int:
    session = held(scene)
    senco = scene.world.users["senco_a"]
    feedback = knowledge_services.feedback_give(session=session, by=senco, side="school", **RATINGS)
    return feedback.pk


def goal_of(scene: Scene) -> int:
    goal = knowledge_services.goal_create(
        support_request=scene.accepted,
        by=scene.world.users["senco_a"],
        description="Calmer transitions",
        expected_outcome="Most transitions need a visual prompt only.",
        baseline=-1,
    )
    return goal.pk


def feedback_give(scene: Scene, client) -> str:
    expert_notes = {"covered": "Transitions.", "next_steps": "A visual timetable."}
    with undone():
        body = {"session": held(scene).pk, **RATINGS, **expert_notes}
        return answer(client.post(f"{API}/feedback", body, format="json"))


def feedback_read(scene: Scene, client) -> str:
    with undone():
        pk = senco_feedback(scene)
        return agree(
            listed(client.get(f"{API}/feedback"), pk), answer(client.get(f"{API}/feedback/{pk}"))
        )


def feedback_change(scene: Scene, client) -> str:
    with undone():
        pk = senco_feedback(scene)
        return answer(client.patch(f"{API}/feedback/{pk}", {"practical": 2}, format="json"))


def outcomes_read(scene: Scene, client) -> str:
    path = f"{API}/requests/{scene.accepted.pk}"
    with undone():
        pk = goal_of(scene)
        return agree(
            listed(client.get(f"{path}/goals"), pk),
            answer(client.get(f"{path}/goals/{pk}")),
            answer(client.get(f"{path}/confidence")),
            answer(client.get(f"{path}/review")),
        )


def goal_wording(scene: Scene, client) -> str:
    path = f"{API}/requests/{scene.accepted.pk}/goals"
    with undone():
        pk = goal_of(scene)
        listing, detail = client.get(path), client.get(f"{path}/{pk}")
        if detail.status_code != 200:
            return answer(detail)
        [goal] = listing.json()
        return shown(*(body[field] for body in (goal, detail.json()) for field in GOAL_WORDING))


def goals_write(scene: Scene, client) -> str:
    path = f"{API}/requests/{scene.accepted.pk}/goals"
    body = {"description": "Sensory breaks", "expected_outcome": "Two a day.", "baseline": -2}
    actions = [
        lambda pk: client.post(path, body, format="json"),
        lambda pk: client.patch(f"{path}/{pk}", {"baseline": -2}, format="json"),
        lambda pk: client.delete(f"{path}/{pk}"),
    ]
    answers = []
    for act in actions:
        with undone():
            answers.append(answer(act(goal_of(scene))))
    return agree(*answers)


def confidence_rate(scene: Scene, client) -> str:
    with undone():
        path = f"{API}/requests/{scene.accepted.pk}/confidence"
        return answer(client.post(path, {"rating": 2}, format="json"))


def review_write(scene: Scene, client) -> str:
    path = f"{API}/requests/{scene.accepted.pk}/review"

    def record(goal: int):
        body = {
            "attainments": [{"goal": goal, "attainment": 1}],
            "confidence_after": 4,
            "practice_changed": False,
            "more_support_needed": False,
            "specialist_placement_considered": False,
        }
        return client.post(path, body, format="json")

    answers = []
    for act in (record, lambda goal: client.post(f"{path}/skip", {"reason": "Left."})):
        with undone():
            goal = goal_of(scene)
            held(scene)
            answers.append(answer(act(goal)))
    return agree(*answers)


def reviews_read(scene: Scene, client) -> str:
    with undone():
        goal = goal_of(scene)
        held(scene)
        review = knowledge_services.review_record(
            support_request=scene.accepted,
            by=scene.world.users["senco_a"],
            attainments={goal: 0},
            confidence_after=4,
            practice_changed=True,
            more_support_needed=False,
            specialist_placement_considered=False,
        )
        return agree(
            listed(client.get(f"{API}/reviews"), review.pk),
            answer(client.get(f"{API}/reviews/{review.pk}")),
        )


ANALYTICS = ("demand", "demand/prevalence", "supply", "flow", "unmet", "outcomes")


def analytics_read(scene: Scene, client) -> str:
    return agree(*(answer(client.get(f"{API}/analytics/{path}")) for path in ANALYTICS))


# --- the table, row by row --------------------------------------------------------------------


def from_matrix(statuses: dict[str, int]) -> dict[str, str]:
    """A permission matrix row in the table's words (it says 200 for "allowed")."""
    assert statuses["anonymous"] == 401
    return {
        column: "yes" if 200 <= statuses[role] < 300 else str(statuses[role])
        for column, role in COLUMNS.items()
    }


PERSONAL_DETAILS = {
    column: "yes" if role in permission_matrix.SEES_PERSONAL_DETAILS else "no"
    for column, role in COLUMNS.items()
}
VERIFIED_BY_THE_PERMISSION_MATRIX = {
    "`GET /needs`, `/needs/{code}`, `/topics`, `/topics/{slug}`": from_matrix(
        permission_matrix.TAXONOMY
    ),
    "`GET /experts`, `/experts/{id}`, `/experts/{id}/availability-windows`, "
    "`/experts/{id}/availability-exceptions`, `/experts/{id}/credentials` (the expert, verified)": (
        from_matrix(permission_matrix.SEE_VERIFIED)
    ),
    "the same, the expert not yet verified": from_matrix(permission_matrix.SEE_UNVERIFIED),
    "personal details (`full_name`, `email`) in `GET /experts/{id}`": PERSONAL_DETAILS,
    "`PATCH /experts/{id}`; `POST`, `DELETE` under its availability windows, exceptions and "
    "credentials; `PUT` a window": from_matrix(permission_matrix.EDIT_VERIFIED),
    "`POST /experts/{id}/confirm-safeguarding`": from_matrix(permission_matrix.CONFIRM_VERIFIED),
    "`GET /experts/me`": from_matrix(permission_matrix.EXPERTS_ME),
    "`POST /requests` for school A": from_matrix(permission_matrix.CREATE_REQUEST),
    "`GET /requests`, `/requests/{id}`, `/requests/{id}/history` (the draft)": from_matrix(
        permission_matrix.READ_REQUEST
    ),
    "`PATCH /requests/{id}`, `DELETE /requests/{id}` (the draft)": from_matrix(
        permission_matrix.EDIT_REQUEST
    ),
    "`POST /requests/{id}/submit`, `/requests/{id}/cancel`, `/requests/{id}/close`": from_matrix(
        permission_matrix.MOVE_REQUEST
    ),
}
DRIVEN_HERE: dict[str, Check] = {
    "`GET /schools`, `/schools/{urn}` (school A); `GET /trusts`, `/trusts/{code}` (trust T)": (
        schools_and_trusts
    ),
    "`GET /schools`, `/schools/{urn}` (school A, once closed)": closed_school,
    "`GET /requests`, `/requests/{id}`, `/requests/{id}/history` (the accepted request)": (
        accepted_request_read
    ),
    "`changed_by` in `GET /requests/{id}/history` (the accepted request)": history_names_people,
    "pupil free text (`context`, `tried_so_far`, `desired_outcome`) in `GET /requests`, "
    "`/requests/{id}` (the accepted request)": pupil_free_text(shared=False),
    "the same, once the school shares it (`shares_details_with_local_authority`)": (
        pupil_free_text(shared=True)
    ),
    "`PATCH /requests/{id}` with only `shares_details_with_local_authority` (the accepted "
    "request)": share_with_local_authority,
    "`GET /proposals`, `/proposals/{id}`, `/requests/{id}/proposals` (the expert's proposal)": (
        proposal_read(lambda scene: scene.proposal)
    ),
    "the same, another expert's proposal for the request": proposal_read(
        lambda scene: scene.rival_proposal
    ),
    "`POST /proposals/{id}/accept`, `/proposals/{id}/decline` (an open proposal to the expert)": (
        proposal_answer
    ),
    "`GET /matching-runs`, `/matching-policy`, `/matching-policy/versions`": matching_admin,
    "`GET /analytics/projection` (each over the schools they read)": projection_read,
    "`GET /requests/{id}/slot-offers`": slot_offers_read,
    "`POST /requests/{id}/slot-offers`": slot_offers_renew,
    "`POST /sessions` (book a time for the accepted request)": session_book,
    "`GET /sessions`, `/sessions/{id}`": session_read,
    "the people in `GET /sessions/{id}` (`expert_name`, `attendees`, `video_link`, reasons)": (
        session_people
    ),
    "`POST /sessions/{id}/confirm` (an offered slot)": session_confirm,
    "`POST /sessions/{id}/reschedule`, `/sessions/{id}/cancel`, `/sessions/{id}/complete`, "
    "`/sessions/{id}/no-show`; `GET /sessions/{id}/ics` (a confirmed session)": session_change,
    "`GET /notifications`, `/notifications/{id}`; `POST /notifications/{id}/read` "
    "(the SENCO's notification)": own_notification,
    "`POST /resources` (write a resource)": resource_write,
    "`POST /resources/from-session` (the accepted request's session, once held)": (
        resource_from_session
    ),
    "`GET /resources`, `/resources/{id}`, `/requests/{id}/resources` (the session's resource, "
    "not yet approved)": session_resource_read,
    "`PATCH /resources/{id}`, `DELETE /resources/{id}`; `POST /resources/{id}/submit`, "
    "`/resources/{id}/files`; `DELETE /resources/{id}/files/{file_id}` (the session's resource)": (
        session_resource_edit
    ),
    "`POST /resources/{id}/approve`, `/resources/{id}/reject` (the session's resource, "
    "submitted)": session_resource_moderate,
    "`GET /resources/{id}`, `/resources/{id}/files/{file_id}/download`; "
    "`POST /resources/{id}/reports` (the approved resource for everyone)": public_resource_read,
    "`POST /resources/{id}/helpful` (the approved resource for everyone)": public_resource_helpful,
    "`GET /resource-reports`": resource_reports,
    "`POST /feedback` (on the accepted request's session, once held)": feedback_give,
    "`GET /feedback`, `/feedback/{id}` (the SENCO's feedback on it)": feedback_read,
    "`PATCH /feedback/{id}` (the SENCO's feedback on it)": feedback_change,
    "`GET /requests/{id}/goals`, `/requests/{id}/goals/{goal_id}`, `/requests/{id}/confidence`, "
    "`/requests/{id}/review` (the accepted request)": outcomes_read,
    "goals' wording (`description`, `expected_outcome`) in `GET /requests/{id}/goals`, "
    "`/requests/{id}/goals/{goal_id}` (the accepted request)": goal_wording,
    "`POST /requests/{id}/goals`; `PATCH`, `DELETE` `/requests/{id}/goals/{goal_id}` "
    "(the accepted request, before its session)": goals_write,
    "`POST /requests/{id}/confidence` (the accepted request, before its session)": (
        confidence_rate
    ),
    "`POST /requests/{id}/review`, `/requests/{id}/review/skip` "
    "(the accepted request, its session held)": review_write,
    "`GET /reviews`, `/reviews/{id}` (the accepted request's review)": reviews_read,
    "`GET /analytics/demand`, `/analytics/demand/prevalence`, `/analytics/supply`, "
    "`/analytics/flow`, `/analytics/unmet`, `/analytics/outcomes` (each over the caller's "
    "trust or LA, or everything for admins)": analytics_read,
}


def test_every_row_of_the_role_table_is_checked():
    rows, checked = set(role_table()), {*VERIFIED_BY_THE_PERMISSION_MATRIX, *DRIVEN_HERE}

    assert rows - checked == set(), "rows nothing checks: add them below"
    assert checked - rows == set(), "checks for rows the table no longer has"


def test_every_endpoint_a_role_decides_has_a_row_in_the_role_table():
    # Each row's first path (the others may be relative to it: `/cancel`, `/{id}`).
    first_paths = (re.search(r"`([^`]+)`", row[0]) for row in doc_table("## Endpoints so far")[2:])
    endpoints = {match[1].removeprefix(API) for match in first_paths if match}
    named = set().union(*(paths_in(label) for label in role_table()))

    assert endpoints - ROLE_FREE - named == set()


@pytest.mark.parametrize("row", list(VERIFIED_BY_THE_PERMISSION_MATRIX), ids=short)
def test_the_rows_the_permission_matrix_drives_say_what_it_asserts(row):
    assert role_table()[row] == VERIFIED_BY_THE_PERMISSION_MATRIX[row]


@pytest.mark.parametrize("row", list(DRIVEN_HERE), ids=short)
def test_each_caller_gets_what_the_role_table_says(scene, client_for, row):
    check = DRIVEN_HERE[row]
    got = {
        column: check(scene, client_for(scene.world.users[role]))
        for column, role in COLUMNS.items()
    }

    assert got == role_table()[row]
    assert check(scene, client_for(None)) == "401"

"""Feedback through the API: participants only, once each, editable for seven days,
visible to the two sides and admins; the expert's comes with their report."""

from datetime import timedelta

import pytest
from django.db import IntegrityError

from accounts.enums import Role
from knowledge.models import Feedback, SessionReport
from knowledge.selectors import session_report_for
from scheduling.models import Session
from tests.factories import MembershipFactory, TrustCoordinatorMembershipFactory, TrustFactory
from tests.knowledge.conftest import days_ago, hold_session, query_count

pytestmark = pytest.mark.django_db

SCHOOL_ANSWER = {"useful": 5, "practical": 4, "would_recommend": 5, "comments": "Worked at once."}
EXPERT_ANSWER = {
    "useful": 4,
    "practical": 4,
    "would_recommend": 4,
    "covered": "Observed two transitions; modelled a now/next board.",
    "next_steps": "Class teacher trials a visual timetable for two weeks.",
}


def give(client, session, answer):
    return client.post("/api/v1/feedback", {"session": session.pk, **answer}, format="json")


def test_the_school_and_the_expert_each_give_feedback_once(held, client_for):
    school = give(client_for(held.senco), held.session, SCHOOL_ANSWER)
    expert = give(client_for(held.expert.user), held.session, EXPERT_ANSWER)
    again = give(client_for(held.senco), held.session, {**SCHOOL_ANSWER, "useful": 1})

    assert school.status_code == 201, school.content
    assert school.json()["side"] == "school"
    assert school.json()["report"] is None
    assert expert.status_code == 201, expert.content
    assert expert.json()["side"] == "expert"
    assert expert.json()["report"] == {
        "covered": EXPERT_ANSWER["covered"],
        "next_steps": EXPERT_ANSWER["next_steps"],
    }
    assert again.status_code == 409
    assert again.json()["code"] == "feedback_given"
    assert Feedback.objects.get(author=held.senco).useful == 5
    report = session_report_for(held.session)
    assert report is not None
    assert report.author == held.expert.user
    assert report.next_steps == EXPERT_ANSWER["next_steps"]


def test_the_database_refuses_a_second_feedback_from_one_person(held):
    values = {"session": held.session, "author": held.senco, "side": "school"}
    Feedback.objects.create(**values, useful=3, practical=3, would_recommend=3)
    with pytest.raises(IntegrityError):
        Feedback.objects.create(**values, useful=4, practical=4, would_recommend=4)


def test_ratings_outside_one_to_five_are_refused_and_nothing_is_stored(held, client_for):
    response = give(client_for(held.senco), held.session, {**SCHOOL_ANSWER, "useful": 6})
    assert response.status_code == 400
    assert "useful" in response.json()["fields"]
    assert not Feedback.objects.exists()


def test_the_expert_must_say_what_was_covered_and_the_next_steps(held, client_for):
    response = give(client_for(held.expert.user), held.session, {**EXPERT_ANSWER, "next_steps": ""})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"next_steps"}
    assert not Feedback.objects.exists()
    assert not SessionReport.objects.exists()


def test_no_feedback_before_the_session_is_held(held, client_for):
    Session.objects.filter(pk=held.session.pk).update(status="confirmed")
    response = give(client_for(held.senco), held.session, SCHOOL_ANSWER)
    assert response.status_code == 409
    assert response.json()["code"] == "session_not_held"


def test_a_no_show_can_be_given_feedback_without_a_report(held, client_for):
    Session.objects.filter(pk=held.session.pk).update(status="no_show")
    response = give(client_for(held.expert.user), held.session, {**EXPERT_ANSWER, "covered": ""})
    assert response.status_code == 201, response.content


def test_only_participants_give_feedback(held, client_for, admin_user):
    school = held.request.school
    school.trust = TrustFactory()
    school.save()
    absent_colleague = MembershipFactory(school=school, role=Role.SCHOOL_STAFF).user
    coordinator = TrustCoordinatorMembershipFactory(trust=school.trust).user
    other_school = MembershipFactory(role=Role.SENCO).user

    codes = {
        name: give(client_for(user), held.session, SCHOOL_ANSWER).status_code
        for name, user in {
            "absent colleague": absent_colleague,
            "coordinator": coordinator,
            "admin": admin_user,
            "other school": other_school,
        }.items()
    }

    assert codes == {
        "absent colleague": 403,
        "coordinator": 403,
        "admin": 403,
        "other school": 404,
    }
    assert not Feedback.objects.exists()


def test_feedback_is_seen_by_the_two_sides_and_admins_only(held, client_for, admin_user):
    school = held.request.school
    school.trust = TrustFactory()
    school.save()
    coordinator = TrustCoordinatorMembershipFactory(trust=school.trust).user
    colleague = MembershipFactory(school=school, role=Role.SCHOOL_STAFF).user
    feedback_id = give(client_for(held.senco), held.session, SCHOOL_ANSWER).json()["id"]

    def listed(user):
        return [f["id"] for f in client_for(user).get("/api/v1/feedback").json()["results"]]

    assert listed(held.expert.user) == listed(colleague) == listed(admin_user) == [feedback_id]
    assert listed(coordinator) == []
    assert listed(MembershipFactory(role=Role.SENCO).user) == []
    assert client_for(coordinator).get(f"/api/v1/feedback/{feedback_id}").status_code == 404


def test_its_author_changes_feedback_within_seven_days_and_not_after(held, client_for):
    client = client_for(held.senco)
    feedback_id = give(client, held.session, SCHOOL_ANSWER).json()["id"]

    changed = client.patch(f"/api/v1/feedback/{feedback_id}", {"practical": 2}, format="json")
    by_expert = client_for(held.expert.user).patch(
        f"/api/v1/feedback/{feedback_id}", {"practical": 5}, format="json"
    )
    Feedback.objects.filter(pk=feedback_id).update(created_at=days_ago(7) - timedelta(minutes=1))
    late = client.patch(f"/api/v1/feedback/{feedback_id}", {"practical": 1}, format="json")

    assert changed.status_code == 200, changed.content
    assert changed.json()["practical"] == 2
    assert changed.json()["useful"] == 5
    assert by_expert.status_code == 403
    assert late.status_code == 409
    assert late.json()["code"] == "edit_window_closed"
    assert Feedback.objects.get(pk=feedback_id).practical == 2


def test_the_expert_changes_their_report_with_their_feedback(held, client_for):
    client = client_for(held.expert.user)
    feedback_id = give(client, held.session, EXPERT_ANSWER).json()["id"]
    response = client.patch(
        f"/api/v1/feedback/{feedback_id}", {"next_steps": "A second visit in March."}, format="json"
    )
    assert response.json()["report"]["next_steps"] == "A second visit in March."
    assert session_report_for(held.session).covered == EXPERT_ANSWER["covered"]


def test_the_feedback_list_runs_a_fixed_number_of_queries(expert, client_for, admin_user):
    def feedback_on_new_session():
        other = hold_session(expert)
        give(client_for(other.senco), other.session, SCHOOL_ANSWER)
        give(client_for(expert.user), other.session, EXPERT_ANSWER)

    feedback_on_new_session()
    client = client_for(admin_user)
    one = query_count(lambda: client.get("/api/v1/feedback"))
    feedback_on_new_session()
    feedback_on_new_session()
    three = query_count(lambda: client.get("/api/v1/feedback"))
    assert client.get("/api/v1/feedback").json()["count"] == 6
    assert one == three


def test_feedback_naming_a_pupil_is_refused_and_nothing_is_stored(held, client_for):
    response = give(
        client_for(held.senco),
        held.session,
        {**SCHOOL_ANSWER, "comments": "Oliver Smith, born on 3 April 2018, is calmer now."},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "pupil_identifying_data"
    assert set(response.json()["fields"]) == {"comments"}
    assert not Feedback.objects.exists()

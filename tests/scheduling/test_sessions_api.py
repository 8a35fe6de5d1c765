"""Scheduling through the API as its clients use it: slots offered after an accept, the
school confirms one, either side reschedules or cancels, the session completes; direct
booking; permissions, scoping and list query counts."""

import math
from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from accounts.enums import Role
from exchange.constants import LONDON
from exchange.models import Notification, SupportRequest
from scheduling import selectors, services, slots
from scheduling.models import Reminder, Session, SessionChange
from tests.factories import MembershipFactory, TrustCoordinatorMembershipFactory
from tests.scheduling.conftest import accepted_request, make_expert

pytestmark = pytest.mark.django_db


def offer(scene) -> list[Session]:
    return services.slots_offer(support_request_id=scene.request.pk)


def status_of(support_request: SupportRequest) -> str:
    return SupportRequest.objects.values_list("status", flat=True).get(pk=support_request.pk)


def local(moment: datetime) -> datetime:
    return timezone.localtime(moment, LONDON)


def free_start(scene, *, days_ahead: int = 0) -> datetime:
    """A start the slot finder itself offers (so it obeys every rule), optionally the same
    clock time a number of school days later."""
    slots = offer(scene)
    assert slots, "the expert should have free time"
    start = slots[0].starts_at
    services.slots_offer(support_request_id=scene.request.pk, replace=True)
    Session.objects.filter(request=scene.request).delete()
    return start + timedelta(days=days_ahead)


# --- offering and confirming ------------------------------------------------------------------


def test_offering_slots_reads_the_accepted_proposal_once_with_the_experts_lock(scene):
    with CaptureQueriesContext(connection) as queries:
        offered = offer(scene)

    assert offered
    assert {session.format for session in offered} == {
        scene.request.proposals.get(status="accepted").delivery_format
    }
    reads = [q["sql"] for q in queries if 'FROM "matching_proposal"' in q["sql"]]
    assert len(reads) == 1
    if connection.vendor == "postgresql":
        assert 'FOR UPDATE OF "exchange_expertprofile"' in reads[0]
    assert not [q for q in queries if q["sql"].startswith('SELECT "exchange_expertprofile"')]


def test_accepting_offers_three_slots_on_different_school_days_inside_availability(
    expert, client_for, django_capture_on_commit_callbacks, eager_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        scene = accepted_request(expert)

    response = client_for(scene.senco).get(f"/api/v1/requests/{scene.request.pk}/slot-offers")

    assert response.status_code == 200
    offers = response.json()
    assert len(offers) == 3
    starts = [datetime.fromisoformat(o["starts_at"]) for o in offers]
    assert len({local(s).date() for s in starts}) == 3
    for item, start in zip(offers, starts, strict=True):
        assert item["status"] == "offered"
        assert local(start).weekday() < 5
        assert local(start).time() >= time(9)
        assert (local(start) + timedelta(hours=2)).time() <= time(15)
        assert item["format"] == "observation_visit"
        assert item["location"].startswith(scene.request.school.name)
    assert status_of(scene.request) == "accepted"
    kinds = set(Notification.objects.filter(user=scene.senco).values_list("kind", flat=True))
    assert {"proposal_accepted", "slots_offered"} <= kinds
    assert Notification.objects.filter(user=expert.user, kind="proposal_new").count() == 1


def test_offering_twice_keeps_the_first_offers(scene):
    first = offer(scene)

    again = offer(scene)

    assert len(first) == 3
    assert again == []
    assert Session.objects.filter(request=scene.request, status="offered").count() == 3


def test_confirming_books_the_session_releases_the_others_and_arms_reminders(
    scene, client_for, django_capture_on_commit_callbacks, eager_tasks
):
    chosen, *others = offer(scene)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(scene.senco).post(f"/api/v1/sessions/{chosen.pk}/confirm")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["confirmed_at"] is not None
    assert status_of(scene.request) == "scheduled"
    assert set(
        Session.objects.filter(pk__in=[o.pk for o in others]).values_list("status", flat=True)
    ) == {"cancelled"}
    reminders = dict(Reminder.objects.filter(session=chosen).values_list("kind", "due_at"))
    assert reminders == {
        "24h": chosen.starts_at - timedelta(hours=24),
        "1h": chosen.starts_at - timedelta(hours=1),
    }
    # Both sides are told, each email carrying the invitation.
    recipients = {m.to[0] for m in mail.outbox}
    assert {scene.senco.email, scene.expert.user.email} <= recipients
    invitation = mail.outbox[0].attachments[0]
    assert invitation.mimetype.startswith("text/calendar; method=REQUEST")
    event = Calendar.from_ical(invitation.content).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == local(chosen.starts_at)


def test_an_offer_can_be_confirmed_once(scene, client_for):
    chosen, other, _ = offer(scene)
    client = client_for(scene.senco)
    assert client.post(f"/api/v1/sessions/{chosen.pk}/confirm").status_code == 200

    again = client.post(f"/api/v1/sessions/{chosen.pk}/confirm")
    released = client.post(f"/api/v1/sessions/{other.pk}/confirm")

    assert again.status_code == 409
    assert again.json()["details"] == {"current_status": "confirmed"}
    assert released.status_code == 409
    assert released.json()["details"] == {"current_status": "cancelled"}


def test_asking_for_other_times_never_offers_the_same_times_again(scene, client_for):
    first = {s.starts_at for s in offer(scene)}

    response = client_for(scene.senco).post(f"/api/v1/requests/{scene.request.pk}/slot-offers")

    assert response.status_code == 201, response.json()
    second = {datetime.fromisoformat(o["starts_at"]) for o in response.json()}
    assert len(second) == 3
    assert not first & second
    assert Session.objects.filter(request=scene.request, status="offered").count() == 3


def test_a_lapsed_offer_cannot_be_confirmed(scene, client_for):
    chosen = offer(scene)[0]
    Session.objects.filter(pk=chosen.pk).update(offered_until=timezone.now())

    response = client_for(scene.senco).post(f"/api/v1/sessions/{chosen.pk}/confirm")

    assert response.status_code == 409
    assert response.json()["code"] == "offer_lapsed"
    assert status_of(scene.request) == "accepted"


def test_an_offer_lapses_before_confirming_it_would_break_the_minimum_notice(
    scene, client_for, settings
):
    # A hold far longer than the notice: without the notice the offer would stay open until
    # its start, and the school could confirm it minutes before.
    settings.SCHEDULING = {**settings.SCHEDULING, "OFFER_HOLD_DAYS": 30}
    offers = offer(scene)

    listed = client_for(scene.senco).get(f"/api/v1/requests/{scene.request.pk}/slot-offers")

    assert len(offers) == 3
    for item, session in zip(listed.json(), offers, strict=True):
        until = datetime.fromisoformat(item["offered_until"])
        assert until == session.offered_until
        assert local(until).time() == time(0), "it lapses at a local midnight"
        assert local(until).date() < local(session.starts_at).date()
        # Up to the lapse the time is still one the slot finder offers; from it, not.
        window = [slots.DatedWindow(local(session.starts_at).date())]
        found = {
            moment: slots.find_slots(
                selectors.slot_query(
                    support_request=scene.request,
                    expert=scene.expert,
                    session_format=session.format,
                    now=moment,
                    ignore_session_ids=[o.pk for o in offers],
                    preferred=window,
                )
            )
            for moment in (until - timedelta(minutes=1), until)
        }
        assert [s.start for s in found[until - timedelta(minutes=1)]] == [session.starts_at]
        assert found[until] == []


def test_a_requests_offers_count_once_towards_the_experts_weekly_limit(db, client_for):
    expert = make_expert(sessions_per_week=2)
    first, second = accepted_request(expert), accepted_request(expert)
    first_offers = offer(first)

    response = client_for(second.senco).post(f"/api/v1/requests/{second.request.pk}/slot-offers")

    # Only one of the first request's three offers can be booked, so the week of its first
    # offer has room for a session of the second request.
    assert len(first_offers) == 3
    assert response.status_code == 201
    second_starts = [datetime.fromisoformat(o["starts_at"]) for o in response.json()]
    assert monday(second_starts[0]) == monday(first_offers[0].starts_at)
    # And booking one of each keeps within the limit: both confirmations succeed.
    for scene, session_id in ((first, first_offers[0].pk), (second, response.json()[0]["id"])):
        confirmed = client_for(scene.senco).post(f"/api/v1/sessions/{session_id}/confirm")
        assert confirmed.status_code == 200, confirmed.json()


def test_another_requests_offers_keep_a_full_week_closed(db, client_for):
    expert = make_expert(sessions_per_week=1)
    first, second = accepted_request(expert), accepted_request(expert)

    first_weeks = {monday(s.starts_at) for s in offer(first)}
    response = client_for(second.senco).post(f"/api/v1/requests/{second.request.pk}/slot-offers")

    # The first request may confirm an offer in any of its weeks: none is free for another.
    second_weeks = {monday(datetime.fromisoformat(o["starts_at"])) for o in response.json()}
    assert response.status_code == 201
    assert second_weeks
    assert not first_weeks & second_weeks


def monday(moment: datetime):
    day = local(moment).date()
    return day - timedelta(days=day.weekday())


def test_the_expert_cannot_confirm_for_the_school(scene, client_for):
    chosen = offer(scene)[0]

    response = client_for(scene.expert.user).post(f"/api/v1/sessions/{chosen.pk}/confirm")

    assert response.status_code == 403
    assert Session.objects.get(pk=chosen.pk).status == "offered"


def test_offers_lapse_after_their_hold_and_free_the_time(scene):
    offered = offer(scene)
    Session.objects.filter(pk=offered[0].pk).update(
        offered_until=timezone.now() - timedelta(minutes=1)
    )

    lapsed = services.offers_lapse()

    assert lapsed == 1
    assert Session.objects.get(pk=offered[0].pk).status == "cancelled"
    assert Session.objects.filter(request=scene.request, status="offered").count() == 2


def test_no_common_time_tells_both_sides(db):
    expert = make_expert(windows=())
    scene = accepted_request(expert)

    assert offer(scene) == []

    for user in (scene.senco, expert.user):
        assert Notification.objects.filter(user=user, kind="no_slots").count() == 1


# --- booking directly ----------------------------------------------------------------------------


def book(client, scene, starts_at: datetime):
    return client.post(
        "/api/v1/sessions",
        {"request": scene.request.pk, "starts_at": starts_at.isoformat()},
        format="json",
    )


def test_the_school_books_an_agreed_time(scene, client_for):
    start = free_start(scene)

    response = book(client_for(scene.senco), scene, start)

    assert response.status_code == 201, response.json()
    session = Session.objects.get(pk=response.json()["id"])
    assert (session.status, session.starts_at) == ("confirmed", start)
    assert session.ends_at == start + timedelta(hours=2)  # an observation visit
    assert status_of(scene.request) == "scheduled"


@pytest.mark.parametrize(
    ("shift", "why"),
    [
        (timedelta(hours=-3), "before the expert's 09:00 window"),
        (timedelta(minutes=10), "off the half-hour grid"),
        (timedelta(hours=5), "running past the 15:00 end of the window"),
    ],
)
def test_a_time_that_breaks_a_rule_is_refused(scene, client_for, shift, why):
    start = free_start(scene)

    response = book(client_for(scene.senco), scene, start + shift)

    assert response.status_code == 409, why
    assert response.json()["code"] == "slot_unavailable"
    assert not Session.objects.filter(request=scene.request).exists()
    assert status_of(scene.request) == "accepted"


def test_a_weekend_booking_is_refused(scene, client_for):
    start = free_start(scene)
    saturday = start + timedelta(days=(5 - local(start).weekday()) % 7 or 7)

    response = book(client_for(scene.senco), scene, saturday)

    assert local(saturday).weekday() == 5
    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"


def test_a_time_in_the_past_is_a_400(scene, client_for):
    response = book(client_for(scene.senco), scene, timezone.now() - timedelta(days=1))

    assert response.status_code == 400
    assert "starts_at" in response.json()["fields"]


def test_a_booking_that_loses_the_race_is_refused_in_five_queries(expert, client_for):
    first, second = accepted_request(expert), accepted_request(expert)
    start = free_start(first)
    assert book(client_for(first.senco), first, start).status_code == 201
    client = client_for(second.senco)

    with CaptureQueriesContext(connection) as queries:
        clash = book(client, second, start)

    assert (clash.status_code, clash.json()["code"]) == (409, "session_clash")
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))
    ]
    # The caller's memberships, the request they see, then under the transaction the
    # request's lock, the accepted proposal with the expert's lock, and the clash check.
    assert len(statements) == 5, statements


def test_a_taken_time_is_a_409_and_a_cancelled_session_frees_it(expert, client_for):
    first, second = accepted_request(expert), accepted_request(expert)
    start = free_start(first)
    assert book(client_for(first.senco), first, start).status_code == 201

    clash = book(client_for(second.senco), second, start)

    assert clash.status_code == 409
    assert clash.json()["code"] in {"session_clash", "slot_unavailable"}
    booked = Session.objects.get(request=first.request)
    cancelled = client_for(first.senco).post(
        f"/api/v1/sessions/{booked.pk}/cancel", {"reason": "Staff illness."}, format="json"
    )
    assert cancelled.status_code == 200
    assert book(client_for(second.senco), second, start).status_code == 201


def test_back_to_back_sessions_are_allowed_without_a_buffer(settings, client_for, db):
    settings.SCHEDULING = {**settings.SCHEDULING, "BUFFER_MINUTES": 0}
    expert = make_expert()
    first = accepted_request(expert, format="video_call")
    second = accepted_request(expert, format="video_call")
    start = free_start(first)

    one = book(client_for(first.senco), first, start)
    two = book(client_for(second.senco), second, start + timedelta(hours=1))

    assert (one.status_code, two.status_code) == (201, 201), two.json()
    assert one.json()["ends_at"] == two.json()["starts_at"]


def test_the_buffer_keeps_sessions_apart(client_for, db):
    expert = make_expert()
    first = accepted_request(expert, format="video_call")
    second = accepted_request(expert, format="video_call")
    start = free_start(first)
    assert book(client_for(first.senco), first, start).status_code == 201

    too_close = book(client_for(second.senco), second, start + timedelta(hours=1))
    after_buffer = book(client_for(second.senco), second, start + timedelta(hours=1, minutes=30))

    assert too_close.status_code == 409
    assert after_buffer.status_code == 201


# --- changing -----------------------------------------------------------------------------------


@pytest.fixture
def booked(scene, client_for):
    chosen = offer(scene)[0]
    assert client_for(scene.senco).post(f"/api/v1/sessions/{chosen.pk}/confirm").status_code == 200
    return Session.objects.get(pk=chosen.pk)


def another_time(session: Session) -> datetime:
    """A time ``session`` can move to, on another day: one the slot finder itself offers
    with the session's own time released, so it obeys every rule whatever today is."""
    query = selectors.slot_query(
        support_request=session.request,
        expert=session.expert,
        session_format=session.format,
        now=timezone.now(),
        ignore_session_ids=[session.pk],
    )
    day = local(session.starts_at).date()
    return next(s.start for s in slots.find_slots(query) if local(s.start).date() != day)


def test_the_expert_reschedules_keeping_the_uid_with_a_higher_sequence(scene, booked, client_for):
    new_start = another_time(booked)
    ics_before = client_for(scene.senco).get(f"/api/v1/sessions/{booked.pk}/ics")

    response = client_for(scene.expert.user).post(
        f"/api/v1/sessions/{booked.pk}/reschedule",
        {"starts_at": new_start.isoformat(), "reason": "A training day moved."},
        format="json",
    )

    assert response.status_code == 200, response.json()
    booked.refresh_from_db()
    # Offered (0), confirmed (1), moved (2).
    assert (booked.starts_at, booked.sequence, booked.status) == (new_start, 2, "confirmed")
    change = SessionChange.objects.get(session=booked, kind="rescheduled")
    assert change.reason == "A training day moved."
    assert Reminder.objects.get(session=booked, kind="1h").due_at == new_start - timedelta(hours=1)
    assert Notification.objects.filter(user=scene.senco, kind="session_changed").count() == 1
    ics_after = client_for(scene.senco).get(f"/api/v1/sessions/{booked.pk}/ics")
    before = Calendar.from_ical(ics_before.content).walk("VEVENT")[0]
    after = Calendar.from_ical(ics_after.content).walk("VEVENT")[0]
    assert after["UID"] == before["UID"]
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (1, 2)
    assert after.decoded("DTSTART") == local(new_start)


def hours_ahead(session: Session) -> float:
    return (session.starts_at - timezone.now()) / timedelta(hours=1)


@pytest.mark.parametrize("late", [True, False])
@pytest.mark.parametrize("action", ["reschedule", "cancel"])
def test_a_change_inside_the_cut_off_is_late_and_one_before_it_is_not(
    scene, booked, client_for, settings, action, late
):
    # A cut-off an hour beyond the session's start, or an hour short of it.
    cut_off = math.ceil(hours_ahead(booked)) + 1 if late else math.floor(hours_ahead(booked)) - 1
    settings.SCHEDULING = {**settings.SCHEDULING, "LATE_CHANGE_HOURS": cut_off}
    body = {"reason": "Staff illness."}
    if action == "reschedule":
        body["starts_at"] = another_time(booked).isoformat()

    response = client_for(scene.senco).post(
        f"/api/v1/sessions/{booked.pk}/{action}", body, format="json"
    )

    assert response.status_code == 200, response.json()
    kind = "rescheduled" if action == "reschedule" else "cancelled"
    [change] = [c for c in response.json()["changes"] if c["kind"] == kind]
    assert change["is_late"] is late
    assert SessionChange.objects.get(session=booked, kind=kind).is_late is late


def test_either_side_cancels_with_a_reason_and_the_request_can_be_rebooked(
    scene, booked, client_for
):
    response = client_for(scene.senco).post(
        f"/api/v1/sessions/{booked.pk}/cancel", {"reason": "Ofsted visit."}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["cancel_reason"]) == ("cancelled", "Ofsted visit.")
    assert status_of(scene.request) == "accepted"
    assert not Reminder.objects.filter(session=booked, sent_at=None).exists()
    told = Notification.objects.get(user=scene.expert.user, kind="session_cancelled")
    assert "Ofsted visit." in told.body
    ics = client_for(scene.senco).get(f"/api/v1/sessions/{booked.pk}/ics")
    assert b"METHOD:CANCEL" in ics.content
    again = client_for(scene.expert.user).post(
        f"/api/v1/sessions/{booked.pk}/cancel", {"reason": "Twice."}, format="json"
    )
    assert again.status_code == 409
    assert offer(scene), "new times can be offered"


def test_a_cancellation_needs_a_reason(booked, scene, client_for):
    response = client_for(scene.senco).post(f"/api/v1/sessions/{booked.pk}/cancel", {})

    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    assert Session.objects.get(pk=booked.pk).status == "confirmed"


def test_a_session_completes_only_once_it_has_started(booked, scene, client_for):
    client = client_for(scene.expert.user)
    early = client.post(f"/api/v1/sessions/{booked.pk}/complete")
    Session.objects.filter(pk=booked.pk).update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now()
    )

    done = client.post(f"/api/v1/sessions/{booked.pk}/complete")

    assert (early.status_code, early.json()["code"]) == (409, "not_started")
    assert done.status_code == 200
    assert done.json()["status"] == "completed"
    assert status_of(scene.request) == "completed"


# --- scope --------------------------------------------------------------------------------------


def test_sessions_are_scoped_to_the_two_sides_and_the_trust(booked, scene, client_for):
    stranger = MembershipFactory(role=Role.SENCO).user
    coordinator = TrustCoordinatorMembershipFactory().user
    scene.request.school.trust = coordinator.memberships.get().trust
    scene.request.school.save()

    def ids(user):
        return [s["id"] for s in client_for(user).get("/api/v1/sessions").json()["results"]]

    assert booked.pk in ids(scene.senco)
    assert booked.pk in ids(scene.expert.user)
    assert booked.pk in ids(coordinator)
    assert ids(stranger) == []
    assert client_for(stranger).get(f"/api/v1/sessions/{booked.pk}").status_code == 404
    cancel = client_for(coordinator).post(
        f"/api/v1/sessions/{booked.pk}/cancel", {"reason": "No."}, format="json"
    )
    assert cancel.status_code == 403


def test_sessions_filter_by_status_and_date_range(booked, scene, client_for):
    client = client_for(scene.senco)
    after = (booked.starts_at - timedelta(minutes=1)).isoformat()
    before = (booked.starts_at + timedelta(minutes=1)).isoformat()

    confirmed = client.get("/api/v1/sessions", {"status": "confirmed"}).json()["results"]
    window = client.get(
        "/api/v1/sessions", {"starts_after": after, "starts_before": before}
    ).json()["results"]

    assert [s["id"] for s in confirmed] == [booked.pk]
    assert [s["id"] for s in window] == [booked.pk]


def test_the_session_list_makes_the_same_queries_for_one_and_three_sessions(scene, client_for):
    offer(scene)
    client = client_for(scene.senco)

    def count(status: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/sessions", {"status": status})
        assert response.status_code == 200
        return len(queries)

    first = Session.objects.filter(request=scene.request).first()
    Session.objects.filter(pk=first.pk).update(status="no_show")
    one = count("no_show")
    Session.objects.filter(request=scene.request).update(status="no_show")
    three = count("no_show")

    assert Session.objects.filter(status="no_show").count() == 3
    assert one == three


# --- found in review ------------------------------------------------------------------------


def test_cancelling_the_request_cancels_its_booked_session(scene, booked, client_for):
    response = client_for(scene.senco).post(
        f"/api/v1/requests/{scene.request.pk}/cancel", {"reason": "Pupil moved school."}
    )

    assert response.status_code == 200, response.json()
    booked.refresh_from_db()
    assert booked.status == "cancelled"
    assert not Reminder.objects.filter(session=booked, sent_at=None).exists()
    assert Notification.objects.filter(user=scene.expert.user, kind="session_cancelled").exists()


def test_a_start_beyond_the_horizon_is_a_400_not_a_crash(scene, client_for):
    response = book(client_for(scene.senco), scene, datetime(9999, 12, 31, 23, 30, tzinfo=LONDON))

    assert response.status_code == 400
    assert "starts_at" in response.json()["fields"]


def test_the_school_may_book_one_of_its_own_offered_times(scene, client_for):
    chosen, *_ = offer(scene)

    response = book(client_for(scene.senco), scene, chosen.starts_at)

    assert response.status_code == 201, response.json()
    assert Session.objects.filter(request=scene.request, status="offered").count() == 0
    assert Session.objects.get(request=scene.request, status="confirmed").starts_at == (
        chosen.starts_at
    )


def test_times_turned_down_do_not_use_up_the_weekly_limit(db, client_for):
    scene = accepted_request(make_expert(sessions_per_week=1))
    client = client_for(scene.senco)
    url = f"/api/v1/requests/{scene.request.pk}/slot-offers"
    counts = [len(offer(scene))]

    for _ in range(3):
        counts.append(len(client.post(url).json()))

    assert counts == [3, 3, 3, 3]


def test_trust_coordinators_see_sessions_but_not_people(scene, booked, client_for):
    coordinator = TrustCoordinatorMembershipFactory().user
    scene.request.school.trust = coordinator.memberships.get().trust
    scene.request.school.save()

    seen = client_for(coordinator).get(f"/api/v1/sessions/{booked.pk}").json()
    invitation = client_for(coordinator).get(f"/api/v1/sessions/{booked.pk}/ics")
    party = client_for(scene.senco).get(f"/api/v1/sessions/{booked.pk}").json()

    assert (seen["attendees"], seen["expert_name"]) == ([], "")
    assert invitation.status_code == 403
    assert {a["email"] for a in party["attendees"]} == {
        scene.senco.email,
        scene.expert.user.email,
    }


def test_no_common_time_is_told_once_however_often_the_task_runs(db):
    scene = accepted_request(make_expert(windows=()))

    offer(scene)
    offer(scene)

    assert Notification.objects.filter(user=scene.senco, kind="no_slots").count() == 1


def test_an_offered_slot_invitation_is_tentative(scene, client_for):
    chosen = offer(scene)[0]

    invitation = client_for(scene.senco).get(f"/api/v1/sessions/{chosen.pk}/ics")

    event = Calendar.from_ical(invitation.content).walk("VEVENT")[0]
    assert str(event["STATUS"]) == "TENTATIVE"


def test_lapsed_offers_tell_the_school(scene):
    offer(scene)
    Session.objects.filter(request=scene.request).update(offered_until=timezone.now())

    assert services.offers_lapse() == 3

    lapsed = Notification.objects.filter(user=scene.senco, kind="no_slots")
    assert lapsed.count() == 1
    assert "lapsed" in lapsed.get().title


def test_an_admin_cancelling_tells_both_sides(scene, booked, client_for, admin_user):
    response = client_for(admin_user).post(
        f"/api/v1/sessions/{booked.pk}/cancel", {"reason": "Duplicate booking."}, format="json"
    )

    assert response.status_code == 200
    told = set(
        Notification.objects.filter(kind="session_cancelled").values_list("user_id", flat=True)
    )
    assert told == {scene.senco.pk, scene.expert.user_id}


# --- who is told, and what trust coordinators see -------------------------------------------


@pytest.fixture
def second_senco(scene):
    """Another SENCO of the requesting school: an attendee of every session offered after."""
    return MembershipFactory(role=Role.SENCO, school=scene.request.school).user


def told(kind: str) -> set[int]:
    return set(Notification.objects.filter(kind=kind).values_list("user_id", flat=True))


def test_a_senco_cancelling_tells_the_expert_and_the_schools_other_attendees(
    scene, second_senco, booked, client_for
):
    assert second_senco in booked.attendees.all()

    response = client_for(scene.senco).post(
        f"/api/v1/sessions/{booked.pk}/cancel", {"reason": "Ofsted visit."}, format="json"
    )

    assert response.status_code == 200
    assert told("session_cancelled") == {scene.expert.user_id, second_senco.pk}


def test_a_senco_rescheduling_tells_the_expert_and_the_schools_other_attendees(
    scene, second_senco, booked, client_for
):
    response = client_for(scene.senco).post(
        f"/api/v1/sessions/{booked.pk}/reschedule",
        {"starts_at": another_time(booked).isoformat(), "reason": "Assembly moved."},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert told("session_changed") == {scene.expert.user_id, second_senco.pk}


def test_the_expert_withdrawing_an_offered_time_tells_the_school(scene, second_senco, client_for):
    withdrawn, *_ = offer(scene)

    response = client_for(scene.expert.user).post(
        f"/api/v1/sessions/{withdrawn.pk}/cancel", {"reason": "Now in court."}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert told("session_cancelled") == {scene.senco.pk, second_senco.pk}
    notice = Notification.objects.get(user=scene.senco, kind="session_cancelled")
    assert "Now in court." in notice.body
    assert notice.session_id == withdrawn.pk
    # Other offers are still live: nothing new is offered yet.
    assert Session.objects.filter(request=scene.request, status="offered").count() == 2


def test_withdrawing_the_last_offered_time_offers_new_times(
    scene, client_for, django_capture_on_commit_callbacks, eager_tasks
):
    withdrawn = offer(scene)
    client = client_for(scene.expert.user)

    with django_capture_on_commit_callbacks(execute=True):
        for session in withdrawn:
            response = client.post(
                f"/api/v1/sessions/{session.pk}/cancel", {"reason": "Busy."}, format="json"
            )
            assert response.status_code == 200

    fresh = Session.objects.filter(request=scene.request, status="offered")
    assert fresh.count() == 3
    assert not {s.starts_at for s in fresh} & {s.starts_at for s in withdrawn}
    last = Notification.objects.filter(user=scene.senco, kind="session_cancelled").latest("id")
    assert "New times will be offered." in last.body
    assert Notification.objects.filter(user=scene.senco, kind="slots_offered").count() == 2


def test_a_partial_lapse_tells_nobody_and_the_last_lapse_tells_the_school_once(scene):
    first, *rest = offer(scene)
    Session.objects.filter(pk=first.pk).update(offered_until=timezone.now())

    assert services.offers_lapse() == 1
    assert not Notification.objects.filter(kind="no_slots").exists()

    Session.objects.filter(pk__in=[s.pk for s in rest]).update(offered_until=timezone.now())
    assert services.offers_lapse() == 2
    assert services.offers_lapse() == 0
    assert Notification.objects.filter(user=scene.senco, kind="no_slots").count() == 1


def test_trust_coordinators_see_no_video_link_nor_reasons(db, client_for):
    scene = accepted_request(make_expert(), format="video_call")
    coordinator = TrustCoordinatorMembershipFactory().user
    scene.request.school.trust = coordinator.memberships.get().trust
    scene.request.school.save()
    session = services.session_confirm(session=offer(scene)[0], by=scene.senco)
    services.session_reschedule(
        session=session, by=scene.senco, starts_at=another_time(session), reason="Pupil unwell."
    )
    services.session_cancel(session=session, by=scene.senco, reason="Head teacher ill.")

    seen = client_for(coordinator).get(f"/api/v1/sessions/{session.pk}").json()
    listed = client_for(coordinator).get("/api/v1/sessions").json()["results"]
    party = client_for(scene.senco).get(f"/api/v1/sessions/{session.pk}").json()

    assert party["video_link"].startswith("https://meet.expertise.exchange/")
    assert party["cancel_reason"] == "Head teacher ill."
    assert {c["reason"] for c in party["changes"]} >= {"Pupil unwell.", "Head teacher ill."}
    for body in (seen, listed[0]):
        assert (body["video_link"], body["cancel_reason"]) == ("", "")
        assert {c["reason"] for c in body["changes"]} == {""}
        assert [c["kind"] for c in body["changes"]] == [c["kind"] for c in party["changes"]]


def test_a_session_that_has_started_cannot_be_cancelled(scene, booked, client_for):
    past = timezone.now() - timedelta(minutes=30)
    Session.objects.filter(pk=booked.pk).update(starts_at=past, ends_at=past + timedelta(hours=2))

    response = client_for(scene.senco).post(
        f"/api/v1/sessions/{booked.pk}/cancel", {"reason": "After the fact."}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (409, "started")
    assert Session.objects.get(pk=booked.pk).status == "confirmed"
    assert status_of(scene.request) == "scheduled"


def test_confirming_raises_the_invitations_sequence_keeping_its_uid(scene, client_for):
    chosen = offer(scene)[0]
    client = client_for(scene.senco)
    offered = Calendar.from_ical(client.get(f"/api/v1/sessions/{chosen.pk}/ics").content)

    assert client.post(f"/api/v1/sessions/{chosen.pk}/confirm").status_code == 200

    confirmed = Calendar.from_ical(client.get(f"/api/v1/sessions/{chosen.pk}/ics").content)
    before, after = offered.walk("VEVENT")[0], confirmed.walk("VEVENT")[0]
    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert (str(before["STATUS"]), str(after["STATUS"])) == ("TENTATIVE", "CONFIRMED")

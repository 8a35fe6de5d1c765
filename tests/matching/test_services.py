"""The matching services end to end through the database: proposals for one request, the
proposal lifecycle (accept, decline, expire, remind, withdraw), matching rounds, policy
versions, the tasks and the management command."""

from datetime import date, datetime, time, timedelta
from io import StringIO
from smtplib import SMTPServerDisconnected
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.core.exceptions import ValidationError
from django.core.mail.backends import locmem
from django.core.management import CommandError, call_command
from django.utils import timezone

from config.errors import ConflictError
from exchange import services as exchange_services
from exchange.enums import CredentialKind, VerificationStatus
from exchange.models import (
    AvailabilityWindow,
    Closure,
    Credential,
    ExpertProfile,
    Notification,
    StatusChange,
    SupportRequest,
    TermCalendar,
)
from exchange.notifications import notifications_deliver
from matching import scoring, selectors, services, tasks
from matching.enums import Objective, ProposalStatus, RunStatus, RunTrigger
from matching.models import MatchingPolicy, MatchingRun, Proposal, UnmatchedRequest
from matching.selectors import local_today
from scheduling import services as scheduling_services
from tests.factories import (
    ExpertProfileFactory,
    SchoolFactory,
    SpecialSchoolFactory,
    SupportRequestFactory,
    UserFactory,
    need,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# The requesting schools sit here on the British National Grid (metres); experts are placed
# a number of kilometres due east of it, so distances are exact.
HOME_EASTING, HOME_NORTHING = 550000, 280000
CRITERIA = [
    "needs",
    "topics",
    "age",
    "format",
    "distance",
    "availability",
    "urgency",
    "feedback",
    "fairness",
]


def place(km_east: float = 0) -> dict[str, int]:
    return {"easting": HOME_EASTING + round(km_east * 1000), "northing": HOME_NORTHING}


def make_expert(
    *,
    km: float = 0,
    specialisms=(("ASD", "lead"),),
    credentials=(),
    school=None,
    **fields,
) -> ExpertProfile:
    """A verified primary expert offering visits and video calls, with a current
    safeguarding confirmation, travelling 30 km, 4 sessions a month: every field that
    matching reads is set here, so each test changes only what it is about."""
    values = {
        "is_verified": True,
        "is_suspended": False,
        "is_paused": False,
        "offers_observation_visit": True,
        "offers_consultation": False,
        "offers_staff_training": False,
        "offers_video_call": True,
        "serves_early_years": False,
        "serves_primary": True,
        "serves_secondary": False,
        "serves_post_16": False,
        "age_min": 4,
        "age_max": 11,
        "max_travel_km": 30,
        "sessions_per_week": 1,
        "sessions_per_month": 4,
        "safeguarding_expires_on": local_today() + timedelta(days=365),
        **fields,
    }
    expert = ExpertProfileFactory(
        school=school or SpecialSchoolFactory(**place(km)),
        specialisms=list(specialisms),
        **values,
    )
    for kind, status in credentials:
        Credential.objects.create(expert=expert, kind=kind, status=status)
    return expert


def make_request(*, km: float = 0, needs=(), school=None, **fields) -> SupportRequest:
    """A submitted, routine, class-level primary ASD request for an observation visit (video
    acceptable) from a mainstream school ``km`` east of home."""
    values = {
        "phase": "primary",
        "year_groups": [4],
        "format": "observation_visit",
        "video_acceptable": True,
        "urgency": "routine",
        **fields,
    }
    draft = SupportRequestFactory(
        school=school or SchoolFactory(**place(km)), needs=list(needs), **values
    )
    # Through the service, so the history starts draft → submitted as in real life. In a
    # plain ``db`` test its on-commit publication of the matching task does not run.
    return exchange_services.support_request_submit(support_request=draft, by=draft.created_by)


def propose(support_request: SupportRequest) -> list[Proposal]:
    return services.proposals_create_for_request(support_request_id=support_request.pk)


def status_of(support_request: SupportRequest) -> str:
    return SupportRequest.objects.values_list("status", flat=True).get(pk=support_request.pk)


def history_of(support_request: SupportRequest) -> list[tuple[str, str]]:
    return list(
        StatusChange.objects.filter(request=support_request)
        .order_by("id")
        .values_list("from_status", "to_status")
    )


def last_reason(support_request: SupportRequest) -> str:
    return StatusChange.objects.filter(request=support_request).order_by("id").last().reason


def live_proposals(support_request: SupportRequest) -> list[Proposal]:
    return list(
        Proposal.objects.filter(request=support_request, status=ProposalStatus.PROPOSED)
        .select_related("expert")
        .order_by("rank", "id")
    )


def default_calendar_closed_days() -> set[date]:
    """The default term calendar's holidays and INSET days, read straight from its rows."""
    closed = set()
    for first, last in Closure.objects.filter(calendar__is_default=True).values_list(
        "start_date", "end_date"
    ):
        closed |= {first + timedelta(days=n) for n in range((last - first).days + 1)}
    return closed


def school_days_between(start: date, end: date) -> int:
    """School days after ``start`` up to and including ``end``, counted independently of
    ``exchange.school_days``: weekdays that are not bank holidays in England nor closed in
    the default term calendar (the test schools' calendar)."""
    days = (start + timedelta(days=n) for n in range(1, (end - start).days + 1))
    return sum(1 for day in days if is_school_day(day))


def is_school_day(day: date) -> bool:
    return (
        day.weekday() < 5
        and day not in holidays.UK(subdiv="ENG", years=day.year)
        and day not in default_calendar_closed_days()
    )


def one_proposal_per_request() -> MatchingPolicy:
    return services.matching_policy_publish(by=None, proposals_per_request=1)


# --- proposals for one request -----------------------------------------------------------------


def test_the_best_experts_are_proposed_in_score_order_with_ranks_and_explanations():
    lead = make_expert(specialisms=[("ASD", "lead")])
    practitioner = make_expert(specialisms=[("ASD", "practitioner")])
    aware = make_expert(specialisms=[("ASD", "aware")])
    specialist = make_expert(specialisms=[("ASD", "specialist")])
    support_request = make_request()
    policy = MatchingPolicy.objects.get(is_active=True)
    assert policy.proposals_per_request == 3

    created = propose(support_request)

    proposals = live_proposals(support_request)
    assert [p.pk for p in proposals] == sorted(p.pk for p in created)
    assert [p.expert for p in proposals] == [lead, specialist, practitioner]
    assert aware.proposals.count() == 0
    assert [p.rank for p in proposals] == [1, 2, 3]
    scores = [p.score for p in proposals]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == 3
    for proposal in proposals:
        assert proposal.policy == policy
        assert proposal.run is None
        assert proposal.delivery_format == "observation_visit"
        assert proposal.distance_km == 0.0
        assert [c["criterion"] for c in proposal.breakdown] == CRITERIA
        for item in proposal.breakdown:
            assert set(item) == {"criterion", "label", "weight", "value", "points", "explanation"}
            assert item["points"] == pytest.approx(item["weight"] * item["value"], abs=0.01)
        assert proposal.summary
    needs_line = proposals[0].breakdown[0]
    assert needs_line == {
        "criterion": "needs",
        "label": "Needs covered",
        "weight": 30,
        "value": 1.0,
        "points": 30.0,
        "explanation": "covers ASD at lead level",
    }
    assert proposals[0].summary.startswith("covers ASD at lead level; ")
    assert proposals[1].breakdown[0]["explanation"] == "covers ASD at specialist level"


def test_proposals_expire_at_five_pm_london_after_the_policys_school_days():
    make_expert()
    support_request = make_request()
    today = local_today()
    before = timezone.now()

    [proposal] = propose(support_request)

    proposal.refresh_from_db()
    expires = proposal.expires_at.astimezone(LONDON)
    remind = proposal.remind_at.astimezone(LONDON)
    assert proposal.expires_at > before
    assert expires.time() == time(17, 0)
    assert is_school_day(expires.date())
    assert school_days_between(today, expires.date()) == 10
    assert remind.time() == time(17, 0)
    assert is_school_day(remind.date())
    assert school_days_between(remind.date(), expires.date()) == 2
    assert proposal.reminder_sent_at is None


def test_a_proposal_made_before_the_experts_school_holiday_expires_after_it():
    today = local_today()
    holiday_start, holiday_end = today + timedelta(days=1), today + timedelta(days=21)
    on_holiday = make_expert(km=1)
    calendar = TermCalendar.objects.create(
        name="Expert's LA", local_authority=on_holiday.school.local_authority
    )
    Closure.objects.create(
        calendar=calendar, kind="holiday", start_date=holiday_start, end_date=holiday_end
    )
    at_work = make_expert(km=2)
    support_request = make_request()

    proposals = {p.expert_id: p for p in propose(support_request)}

    # The expert's own calendar (and nothing of the default's) is what counts for them.
    closed = {holiday_start + timedelta(days=n) for n in range(21)}
    first_back = holiday_end + timedelta(days=1)
    waited = proposals[on_holiday.pk].expires_at.astimezone(LONDON).date()
    assert waited > holiday_end
    counted = [
        day
        for day in (today + timedelta(days=n) for n in range(1, (waited - today).days + 1))
        if day.weekday() < 5 and day not in closed and day not in holidays.UK(subdiv="ENG")
    ]
    assert len(counted) == 10
    assert counted[0] >= first_back
    # An expert whose school is open counts from today, on the default calendar.
    normal = proposals[at_work.pk].expires_at.astimezone(LONDON).date()
    assert school_days_between(today, normal) == 10
    assert normal < waited


def test_an_expert_cannot_work_while_their_school_is_closed():
    today = local_today()
    on_holiday, at_work = make_expert(km=1), make_expert(km=2)
    calendar = TermCalendar.objects.create(
        name="Expert's LA", local_authority=on_holiday.school.local_authority
    )
    first, last = today + timedelta(days=1), today + timedelta(days=30)
    Closure.objects.create(calendar=calendar, kind="holiday", start_date=first, end_date=last)
    Closure.objects.create(school=on_holiday.school, kind="inset", start_date=last, end_date=last)
    policy = MatchingPolicy.objects.get(is_active=True)
    for expert in (on_holiday, at_work):
        for weekday in range(5):
            AvailabilityWindow.objects.create(
                expert=expert, weekday=weekday, start_time=time(9, 0), end_time=time(15, 0)
            )

    facts = {
        f.id: f
        for f in selectors.expert_facts(
            experts=ExpertProfile.objects.all(), today=today, horizon_weeks=3
        )
    }

    horizon = today + timedelta(weeks=3)
    closed = {first + timedelta(days=n) for n in range((horizon - first).days + 1)}
    assert facts[on_holiday.pk].unavailable_dates == frozenset(closed)
    # The other expert's school follows the default calendar.
    assert facts[at_work.pk].unavailable_dates == frozenset(
        day for day in default_calendar_closed_days() if today <= day <= horizon
    )
    # Closed for the whole horizon but today: no weekly time left to offer.
    support_request = make_request()
    [request] = selectors.request_facts(
        requests=SupportRequest.objects.filter(pk=support_request.pk), today=today
    )
    scores = {
        expert_id: next(
            c.value
            for c in scoring.evaluate(
                request, facts[expert_id], policy.scoring_policy(), today
            ).criteria
            if c.criterion == "availability"
        )
        for expert_id in facts
    }
    assert scores[on_holiday.pk] < scores[at_work.pk]


def test_proposing_moves_the_request_submitted_matching_proposed_with_its_history():
    make_expert()
    make_expert()
    support_request = make_request()

    propose(support_request)

    assert status_of(support_request) == "proposed"
    assert history_of(support_request) == [
        ("draft", "submitted"),
        ("submitted", "matching"),
        ("matching", "proposed"),
    ]
    assert last_reason(support_request) == "2 experts proposed (policy v1)."
    changes = StatusChange.objects.filter(request=support_request).order_by("id")
    assert [c.changed_by for c in changes][1:] == [None, None]


def test_a_redelivered_task_creates_no_duplicate_proposals():
    for _ in range(3):
        make_expert()
    support_request = make_request()
    first = propose(support_request)

    second = propose(support_request)

    assert len(first) == 3
    assert second == []
    assert Proposal.objects.filter(request=support_request).count() == 3
    assert len(history_of(support_request)) == 3


def test_a_request_in_draft_or_accepted_is_left_alone():
    make_expert()
    draft = SupportRequestFactory(school=SchoolFactory(**place()))

    assert propose(draft) == []
    assert status_of(draft) == "draft"
    assert Proposal.objects.filter(request=draft).count() == 0


def test_a_request_nobody_can_take_becomes_unmatched_with_the_reasons():
    qualified = {
        "specialisms": [("HI", "lead")],
        "credentials": [(CredentialKind.MQ_HEARING, VerificationStatus.VERIFIED)],
    }
    # Two qualified experts too far for a visit (and no video allowed); one near expert
    # without the mandatory qualification for hearing impairment.
    make_expert(km=100, max_travel_km=30, **qualified)
    make_expert(km=45, max_travel_km=40, **qualified)
    make_expert(specialisms=[("HI", "lead")])
    support_request = make_request(primary_need=need("HI"), video_acceptable=False)

    created = propose(support_request)

    assert created == []
    assert status_of(support_request) == "unmatched"
    assert history_of(support_request)[-2:] == [
        ("submitted", "matching"),
        ("matching", "unmatched"),
    ]
    assert last_reason(support_request) == (
        "No expert could take this request: "
        "2 the school is beyond their travel distance for a visit; "
        "1 lacks the mandatory qualification for the sensory need."
    )


def test_an_unmatched_request_is_not_moved_again_when_retried_without_experts():
    make_expert(km=100)
    support_request = make_request(video_acceptable=False)
    propose(support_request)

    propose(support_request)

    assert status_of(support_request) == "unmatched"
    assert [to for _, to in history_of(support_request)].count("unmatched") == 1


def test_an_expert_with_one_session_a_month_is_proposed_for_only_one_request():
    expert = make_expert(sessions_per_month=1)
    first, second = make_request(), make_request()

    propose(first)
    propose(second)

    assert [p.request for p in Proposal.objects.filter(expert=expert)] == [first]
    assert status_of(second) == "unmatched"
    assert (
        last_reason(second) == "No expert could take this request: 1 no capacity left this month."
    )


def test_an_unmatched_request_is_proposed_when_capacity_appears():
    expert = make_expert(sessions_per_month=1)
    first, second = make_request(), make_request()
    propose(first)
    propose(second)
    ExpertProfile.objects.filter(pk=expert.pk).update(sessions_per_month=2)

    [proposal] = propose(second)

    assert proposal.expert == expert
    assert status_of(second) == "proposed"
    assert history_of(second)[-1] == ("unmatched", "proposed")


HARD_CONSTRAINTS = {
    "unverified": {"expert": {"is_verified": False}},
    "suspended": {"expert": {"is_suspended": True}},
    "paused": {"expert": {"is_paused": True}},
    "covers no need": {"expert": {"specialisms": [("SEMH", "lead")]}},
    "wrong phase": {"expert": {"serves_primary": False, "serves_secondary": True}},
    "sensory need without a verified MQ": {
        "request": {"primary_need": "HI"},
        "good": {
            "specialisms": [("HI", "lead")],
            "credentials": [(CredentialKind.MQ_HEARING, VerificationStatus.VERIFIED)],
        },
        "expert": {
            "specialisms": [("HI", "lead")],
            "credentials": [(CredentialKind.MQ_HEARING, VerificationStatus.PENDING)],
        },
    },
    "visit beyond travel distance, video not acceptable": {
        "request": {"video_acceptable": False},
        "expert": {"km": 40, "max_travel_km": 30},
    },
    "visit without current safeguarding": {
        "request": {"video_acceptable": False},
        "expert": {"safeguarding_expires_on": date(2020, 1, 1)},
    },
    "video call beyond the policy's reach": {
        "request": {"format": "video_call"},
        "expert": {"km": 160, "max_travel_km": 30},
    },
    "format not offered": {
        "request": {"format": "staff_training", "video_acceptable": False},
        "good": {"offers_staff_training": True},
        "expert": {"offers_staff_training": False},
    },
    "own school": {"expert": {"at_request_school": True}},
}


@pytest.mark.parametrize("case", HARD_CONSTRAINTS.values(), ids=HARD_CONSTRAINTS.keys())
def test_experts_failing_a_hard_constraint_get_no_proposal(case):
    request_fields = dict(case.get("request", {}))
    if "primary_need" in request_fields:
        request_fields["primary_need"] = need(request_fields["primary_need"])
    school = SchoolFactory(**place())
    good = make_expert(**case.get("good", {}))
    excluded_fields = dict(case["expert"])
    if excluded_fields.pop("at_request_school", False):
        excluded_fields["school"] = school
    excluded = make_expert(**excluded_fields)
    support_request = make_request(school=school, **request_fields)

    propose(support_request)

    assert [p.expert for p in live_proposals(support_request)] == [good]
    assert not Proposal.objects.filter(expert=excluded).exists()


def test_a_visit_is_downgraded_to_a_video_call_when_the_expert_is_beyond_travel():
    expert = make_expert(km=60, max_travel_km=30)
    support_request = make_request(video_acceptable=True)

    [proposal] = propose(support_request)

    assert proposal.expert == expert
    assert proposal.delivery_format == "video_call"
    assert proposal.distance_km == 60.0
    format_line = next(c for c in proposal.breakdown if c["criterion"] == "format")
    assert format_line["value"] == 0.5
    assert format_line["explanation"] == "offers a video call instead of an observation visit"


# --- decline -------------------------------------------------------------------------------------


def test_declining_records_the_reason_and_proposes_a_replacement_expert(
    django_capture_on_commit_callbacks, eager_tasks
):
    experts = [make_expert(specialisms=[("ASD", level)]) for level in ("lead", "specialist")]
    experts += [make_expert(specialisms=[("ASD", level)]) for level in ("practitioner", "aware")]
    support_request = make_request()
    propose(support_request)
    top = live_proposals(support_request)[0]
    assert top.expert == experts[0]

    with django_capture_on_commit_callbacks(execute=True):
        declined = services.proposal_decline(
            proposal=top, by=experts[0].user, reason="On a course all term."
        )

    assert declined.status == "declined"
    assert declined.decline_reason == "On a course all term."
    assert declined.decided_at is not None
    live = live_proposals(support_request)
    assert {p.expert for p in live} == {experts[1], experts[2], experts[3]}
    assert not Proposal.objects.filter(
        request=support_request, expert=experts[0], status=ProposalStatus.PROPOSED
    ).exists()
    assert status_of(support_request) == "proposed"


def test_a_replacement_proposal_is_ranked_after_the_remaining_better_ones(
    django_capture_on_commit_callbacks, eager_tasks
):
    levels = ("lead", "specialist", "practitioner", "aware")
    experts = [make_expert(specialisms=[("ASD", level)]) for level in levels]
    support_request = make_request()
    propose(support_request)

    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_decline(
            proposal=live_proposals(support_request)[0], by=experts[0].user, reason="Too busy."
        )

    live = live_proposals(support_request)  # ordered by rank, as the API lists them
    assert [p.expert for p in live] == [experts[1], experts[2], experts[3]]
    assert len({p.rank for p in live}) == 3


def test_when_the_only_expert_declines_the_request_goes_back_to_matching_without_them(
    django_capture_on_commit_callbacks, eager_tasks
):
    only = make_expert()
    support_request = make_request()
    [proposal] = propose(support_request)

    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_decline(proposal=proposal, by=only.user, reason="Too busy.")

    assert Proposal.objects.filter(request=support_request).count() == 1
    assert history_of(support_request)[-3:] == [
        ("matching", "proposed"),
        ("proposed", "matching"),
        ("matching", "unmatched"),
    ]
    change = StatusChange.objects.get(
        request=support_request, from_status="proposed", to_status="matching"
    )
    assert change.reason == "An expert declined: Too busy."


def test_the_unmatched_reason_after_the_only_expert_declined_does_not_deny_they_exist(
    django_capture_on_commit_callbacks, eager_tasks
):
    only = make_expert()
    support_request = make_request()
    [proposal] = propose(support_request)

    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_decline(proposal=proposal, by=only.user, reason="Too busy.")

    assert status_of(support_request) == "unmatched"
    assert "No expert covers these needs" not in last_reason(support_request)


def test_a_decided_proposal_cannot_be_declined():
    expert = make_expert()
    support_request = make_request()
    [proposal] = propose(support_request)
    services.proposal_accept(proposal=proposal, by=expert.user)

    with pytest.raises(ConflictError) as error:
        services.proposal_decline(proposal=proposal, by=expert.user, reason="Changed my mind.")

    assert error.value.code == "illegal_transition"
    assert error.value.details == {"current_status": "accepted"}
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decline_reason) == ("accepted", "")


# --- accept --------------------------------------------------------------------------------------


def test_accepting_accepts_the_request_and_withdraws_the_other_proposals():
    experts = [make_expert() for _ in range(3)]
    support_request = make_request()
    propose(support_request)
    chosen = Proposal.objects.get(request=support_request, expert=experts[1])
    before = timezone.now()

    accepted = services.proposal_accept(proposal=chosen, by=experts[1].user)

    assert accepted.status == "accepted"
    assert accepted.decided_at >= before
    assert status_of(support_request) == "accepted"
    change = StatusChange.objects.filter(request=support_request).order_by("id").last()
    assert (change.from_status, change.to_status) == ("proposed", "accepted")
    assert change.changed_by == experts[1].user
    assert change.reason == f"Accepted by expert #{experts[1].pk}."
    others = Proposal.objects.filter(request=support_request).exclude(pk=chosen.pk)
    assert sorted(others.values_list("status", flat=True)) == ["withdrawn", "withdrawn"]
    assert all(p.decided_at is not None for p in others)


def test_expert_cannot_accept_beyond_their_monthly_sessions():
    expert = make_expert(sessions_per_month=2)
    first, second = make_request(), make_request()
    [first_proposal] = propose(first)
    [second_proposal] = propose(second)
    services.proposal_accept(proposal=first_proposal, by=expert.user)
    # The expert cuts their monthly sessions to the one already accepted.
    ExpertProfile.objects.filter(pk=expert.pk).update(sessions_per_month=1)

    with pytest.raises(ConflictError) as error:
        services.proposal_accept(proposal=second_proposal, by=expert.user)

    assert error.value.code == "capacity_full"
    assert error.value.details == {"accepted": 1, "sessions_per_month": 1}
    second_proposal.refresh_from_db()
    assert second_proposal.status == "proposed"
    assert status_of(second) == "proposed"


def test_acceptances_of_earlier_months_do_not_count_against_this_months_capacity():
    expert = make_expert(sessions_per_month=2)
    first, second = make_request(), make_request()
    [first_proposal] = propose(first)
    [second_proposal] = propose(second)
    services.proposal_accept(proposal=first_proposal, by=expert.user)
    ExpertProfile.objects.filter(pk=expert.pk).update(sessions_per_month=1)
    last_month = datetime.combine(local_today().replace(day=1), time(12), tzinfo=LONDON)
    Proposal.objects.filter(pk=first_proposal.pk).update(decided_at=last_month - timedelta(days=3))

    accepted = services.proposal_accept(proposal=second_proposal, by=expert.user)

    assert accepted.status == "accepted"


def test_an_expired_proposal_cannot_be_accepted():
    expert = make_expert()
    support_request = make_request()
    [proposal] = propose(support_request)
    Proposal.objects.filter(pk=proposal.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(ConflictError) as error:
        services.proposal_accept(proposal=proposal, by=expert.user)

    assert error.value.code == "proposal_expired"
    proposal.refresh_from_db()
    assert proposal.status == "proposed"
    assert status_of(support_request) == "proposed"


def test_a_paused_expert_cannot_accept():
    expert = make_expert()
    support_request = make_request()
    [proposal] = propose(support_request)
    ExpertProfile.objects.filter(pk=expert.pk).update(is_paused=True)

    with pytest.raises(ConflictError) as error:
        services.proposal_accept(proposal=proposal, by=expert.user)

    assert error.value.code == "not_accepting_work"
    assert status_of(support_request) == "proposed"


def test_a_withdrawn_proposal_cannot_be_accepted():
    first, second = make_expert(), make_expert()
    support_request = make_request()
    propose(support_request)
    services.proposal_accept(
        proposal=Proposal.objects.get(expert=first, request=support_request), by=first.user
    )

    with pytest.raises(ConflictError) as error:
        services.proposal_accept(
            proposal=Proposal.objects.get(expert=second, request=support_request), by=second.user
        )

    assert error.value.code == "illegal_transition"
    assert error.value.details == {"current_status": "withdrawn"}
    assert Proposal.objects.filter(request=support_request, status="accepted").count() == 1


# --- expiry and reminders ------------------------------------------------------------------------


def test_overdue_proposals_expire_and_the_request_is_matched_again(
    django_capture_on_commit_callbacks, eager_tasks
):
    one_proposal_per_request()
    first = make_expert(specialisms=[("ASD", "lead")])
    second = make_expert(specialisms=[("ASD", "specialist")])
    support_request = make_request()
    [proposal] = propose(support_request)
    assert proposal.expert == first
    Proposal.objects.filter(pk=proposal.pk).update(expires_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        expired = services.proposals_expire()

    assert expired == 1
    proposal.refresh_from_db()
    assert proposal.status == "expired"
    assert proposal.decided_at is not None
    assert [p.expert for p in live_proposals(support_request)] == [second]
    assert history_of(support_request)[-2:] == [("proposed", "matching"), ("matching", "proposed")]
    change = StatusChange.objects.get(
        request=support_request, from_status="proposed", to_status="matching"
    )
    assert change.reason == "A proposal expired without an answer."


def test_expiring_twice_expires_each_proposal_once(django_capture_on_commit_callbacks, eager_tasks):
    make_expert()
    support_request = make_request()
    [proposal] = propose(support_request)
    Proposal.objects.filter(pk=proposal.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.proposals_expire() == 1
    proposal.refresh_from_db()
    decided_at = proposal.decided_at
    changes = len(history_of(support_request))

    with django_capture_on_commit_callbacks(execute=True):
        again = services.proposals_expire()

    assert again == 0
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_at) == ("expired", decided_at)
    assert len(history_of(support_request)) == changes


def test_proposals_not_yet_due_do_not_expire():
    make_expert()
    support_request = make_request()
    [proposal] = propose(support_request)

    assert services.proposals_expire() == 0

    proposal.refresh_from_db()
    assert proposal.status == "proposed"


def test_experts_are_reminded_once_in_app_and_by_email_of_proposals_nearing_expiry(
    mailoutbox, django_capture_on_commit_callbacks, eager_tasks
):
    due_expert, later_expert = make_expert(), make_expert()
    support_request = make_request(title="Calmer transitions in Year 4")
    propose(support_request)
    due = Proposal.objects.get(expert=due_expert)
    Proposal.objects.filter(pk=due.pk).update(remind_at=timezone.now() - timedelta(minutes=5))
    due.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        sent = services.proposals_remind()

    assert sent == 1
    [notification] = Notification.objects.filter(kind="proposal_reminder")
    assert notification.user == due_expert.user
    assert notification.request_id == support_request.pk
    assert notification.emailed_at is not None
    [email] = mailoutbox
    assert email.to == [due_expert.user.email]
    assert email.subject == "A support request is waiting for your answer"
    deadline = due.expires_at.astimezone(LONDON)
    assert "“Calmer transitions in Year 4”" in email.body
    assert f"by {deadline:%A %d %B} at 17:00" in email.body
    due.refresh_from_db()
    assert due.reminder_sent_at is not None
    assert Proposal.objects.get(expert=later_expert).reminder_sent_at is None

    with django_capture_on_commit_callbacks(execute=True):
        assert services.proposals_remind() == 0
    assert len(mailoutbox) == 1
    assert Notification.objects.filter(kind="proposal_reminder").count() == 1


def test_a_reminder_email_failing_part_way_sends_no_earlier_reminder_twice(
    mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    first_expert, second_expert = make_expert(), make_expert()
    propose(make_request())
    Proposal.objects.update(remind_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=False):
        assert services.proposals_remind() == 2
    ids = list(
        Notification.objects.filter(kind="proposal_reminder")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    failing_to = Notification.objects.get(pk=ids[1]).user.email
    deliver = locmem.EmailBackend.send_messages

    def mail_server_fails_for_the_second(self, messages):
        if any(failing_to in message.to for message in messages):
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return deliver(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", mail_server_fails_for_the_second)
    with pytest.raises(SMTPServerDisconnected):
        notifications_deliver(notification_ids=ids)
    assert len(mailoutbox) == 1

    # The mail server is back; the delivery task is retried with the same ids.
    monkeypatch.undo()
    assert notifications_deliver(notification_ids=ids) == 1

    assert sorted(email.to[0] for email in mailoutbox) == sorted(
        [first_expert.user.email, second_expert.user.email]
    )
    # The beat's next run reminds nobody again.
    with django_capture_on_commit_callbacks(execute=False):
        assert services.proposals_remind() == 0
    assert Proposal.objects.filter(reminder_sent_at=None).count() == 0


def test_decided_proposals_are_not_reminded(mailoutbox):
    expert = make_expert()
    support_request = make_request()
    [proposal] = propose(support_request)
    services.proposal_decline(proposal=proposal, by=expert.user, reason="Not this term.")
    Proposal.objects.filter(pk=proposal.pk).update(remind_at=timezone.now() - timedelta(days=1))

    assert services.proposals_remind() == 0
    assert mailoutbox == []


# --- cancel --------------------------------------------------------------------------------------


def test_cancelling_a_request_withdraws_its_live_proposals_and_frees_the_experts():
    busy = make_expert(sessions_per_month=1)
    other = make_expert()
    support_request = make_request()
    propose(support_request)

    scheduling_services.support_request_cancel(
        support_request=support_request, by=support_request.created_by, reason="Resolved."
    )

    statuses = dict(
        Proposal.objects.filter(request=support_request).values_list("expert_id", "status")
    )
    assert statuses == {busy.pk: "withdrawn", other.pk: "withdrawn"}
    assert all(p.decided_at for p in Proposal.objects.filter(request=support_request))
    assert status_of(support_request) == "cancelled"
    # The withdrawn proposal no longer holds the one-session expert's capacity.
    next_request = make_request()
    propose(next_request)
    assert {p.expert for p in live_proposals(next_request)} == {busy, other}


def test_cancelling_an_accepted_request_frees_the_experts_capacity_and_the_schools_fairness():
    expert = make_expert(sessions_per_month=1)
    support_request = make_request()
    [accepted] = propose(support_request)
    services.proposal_accept(proposal=accepted, by=expert.user)

    scheduling_services.support_request_cancel(
        support_request=support_request, by=support_request.created_by, reason="Not needed."
    )

    accepted.refresh_from_db()
    assert accepted.status == "withdrawn"
    assert selectors.expert_loads(expert_ids=[expert.pk], today=local_today()) == {}
    assert (
        selectors.school_sessions_received(
            school_ids=[support_request.school_id], today=local_today()
        )
        == {}
    )
    # The expert's one session this month is free again: proposed, and it can be accepted.
    next_request = make_request()
    [proposal] = propose(next_request)
    assert proposal.expert == expert
    assert services.proposal_accept(proposal=proposal, by=expert.user).status == "accepted"


# --- matching rounds -----------------------------------------------------------------------------


def test_a_round_gives_a_one_session_expert_to_the_higher_scoring_request():
    expert = make_expert(sessions_per_month=1)
    urgent = make_request(urgency="urgent")
    routine = make_request(urgency="routine")
    far = make_request(km=100, video_acceptable=False)

    run = services.matching_round_run(trigger=RunTrigger.COMMAND)

    [proposal] = Proposal.objects.all()
    assert (proposal.request, proposal.expert, proposal.run, proposal.rank) == (
        urgent,
        expert,
        run,
        1,
    )
    assert proposal.status == "proposed"
    assert [c["criterion"] for c in proposal.breakdown] == CRITERIA
    assert run.status == RunStatus.SUCCEEDED
    assert (run.trigger, run.objective, run.policy.version) == ("command", "max_score", 1)
    assert run.requests_considered == 3
    assert run.experts_considered == 1
    assert run.candidate_pairs == 2
    assert (run.matched_count, run.unmatched_count) == (1, 2)
    assert run.objective_value == round(proposal.score * 100)
    assert set(run.timings_ms) == {
        *("load", "candidates", "solve", "write"),
        *(f"write.{step}" for step in ("lock", "explain", "proposals", "statuses")),
        *("write.unmatched", "write.commit"),
    }
    assert run.finished_at is not None
    assert run.duration_ms is not None
    assert run.error == ""
    reasons = {
        u.request_id: (u.reason, u.explanation) for u in UnmatchedRequest.objects.filter(run=run)
    }
    assert reasons == {
        routine.pk: (
            "capacity_taken",
            "Every suitable expert's capacity went to requests that scored higher.",
        ),
        far.pk: (
            "too_far",
            "No expert could take this request: "
            "1 the school is beyond their travel distance for a visit.",
        ),
    }


def test_a_round_moves_requests_to_proposed_or_unmatched_with_history():
    make_expert(sessions_per_month=1)
    served = make_request(urgency="urgent")
    left = make_request()

    run = services.matching_round_run(trigger=RunTrigger.SCHEDULE)

    assert status_of(served) == "proposed"
    assert status_of(left) == "unmatched"
    assert history_of(served) == [("draft", "submitted"), ("submitted", "proposed")]
    assert history_of(left) == [("draft", "submitted"), ("submitted", "unmatched")]
    assert last_reason(served) == f"Proposed by matching round #{run.pk} (policy v1)."
    assert last_reason(left) == f"No expert available in matching round #{run.pk}."


def test_a_round_leaves_requests_that_already_have_proposals_alone():
    make_expert()
    already = make_request()
    propose(already)
    changes = history_of(already)

    run = services.matching_round_run(trigger=RunTrigger.SCHEDULE)

    assert run.requests_considered == 0
    assert history_of(already) == changes
    assert Proposal.objects.filter(request=already).count() == 1


def test_a_round_never_proposes_an_expert_who_declined_the_request():
    # The repro: one expert, proposed, declines; the request is unmatched; a round runs.
    only = make_expert()
    support_request = make_request()
    [proposal] = propose(support_request)
    services.proposal_decline(proposal=proposal, by=only.user, reason="Too busy.")
    propose(support_request)  # the re-match the decline queues: nobody else, so unmatched
    assert status_of(support_request) == "unmatched"

    run = services.matching_round_run(trigger=RunTrigger.COMMAND)

    assert list(Proposal.objects.filter(request=support_request).values_list("status")) == [
        ("declined",)
    ]
    assert (run.candidate_pairs, run.matched_count, run.unmatched_count) == (0, 0, 1)
    unmatched = UnmatchedRequest.objects.get(run=run)
    assert (unmatched.request_id, unmatched.reason) == (support_request.pk, "proposed_before")
    assert unmatched.explanation == (
        "No expert could take this request: "
        "1 already proposed for it and declined or did not answer."
    )


@pytest.mark.parametrize("status", ["declined", "expired", "withdrawn"])
def test_a_round_proposes_the_next_best_expert_instead_of_one_proposed_before(status):
    one_proposal_per_request()
    before = make_expert(specialisms=[("ASD", "lead")])
    other = make_expert(km=15, specialisms=[("ASD", "practitioner")])
    support_request = make_request()
    [proposal] = propose(support_request)
    assert proposal.expert == before
    Proposal.objects.filter(pk=proposal.pk).update(
        status=status,
        decided_at=timezone.now(),
        decline_reason="Too busy." if status == "declined" else "",
        decline_reason_code="no_capacity" if status == "declined" else "",
    )
    SupportRequest.objects.filter(pk=support_request.pk).update(status="matching")

    run = services.matching_round_run(trigger=RunTrigger.COMMAND)

    assert list(Proposal.objects.filter(run=run).values_list("request_id", "expert_id")) == [
        (support_request.pk, other.pk)
    ]
    assert status_of(support_request) == "proposed"


def test_an_expert_declining_one_request_is_still_proposed_for_another():
    expert = make_expert()
    declined_request = make_request()
    [proposal] = propose(declined_request)
    services.proposal_decline(proposal=proposal, by=expert.user, reason="Not this one.")
    other_request = make_request()

    run = services.matching_round_run(trigger=RunTrigger.COMMAND)

    assert list(Proposal.objects.filter(run=run).values_list("request_id", "expert_id")) == [
        (other_request.pk, expert.pk)
    ]


def test_a_round_finds_a_far_feasible_expert_behind_many_near_infeasible_ones():
    # More near experts than the round scores per request (3 × 8), all at the requesting
    # school, which the default policy forbids.
    school = SchoolFactory(**place(0))
    for _ in range(25):
        make_expert(school=school)
    far = make_expert(km=15)
    support_request = make_request(school=school)

    run = services.matching_round_run(trigger=RunTrigger.COMMAND)

    assert list(Proposal.objects.filter(run=run).values_list("request_id", "expert_id")) == [
        (support_request.pk, far.pk)
    ]


def needs_only_policy(objective: str) -> MatchingPolicy:
    """Scores are then exactly the needs coverage: 100 for lead, 25 for aware."""
    zero = {f"weight_{name}": 0 for name in CRITERIA if name != "needs"}
    return services.matching_policy_publish(by=None, objective=objective, **zero)


@pytest.mark.parametrize(
    ("objective", "served", "objective_value"),
    [(Objective.MAX_SCORE, 1, 100_00), (Objective.MAX_SERVED, 2, 25_00 + 25_00)],
)
def test_most_served_serves_more_requests_than_highest_score(objective, served, objective_value):
    # X is the best expert for the ASD request and the only one for the SLCN request; Y can
    # take only the ASD request, and poorly. The highest total score gives X to ASD (100)
    # and leaves SLCN unserved; serving most gives ASD to Y (25) and SLCN to X (25).
    needs_only_policy(objective)
    x = make_expert(sessions_per_month=1, specialisms=[("ASD", "lead"), ("SLCN", "aware")])
    y = make_expert(sessions_per_month=1, specialisms=[("ASD", "aware")])
    asd = make_request(primary_need=need("ASD"))
    slcn = make_request(primary_need=need("SLCN"))

    run = services.matching_round_run(trigger=RunTrigger.COMMAND)

    pairs = dict(Proposal.objects.filter(run=run).values_list("request_id", "expert_id"))
    if objective == Objective.MAX_SCORE:
        assert pairs == {asd.pk: x.pk}
        assert status_of(slcn) == "unmatched"
        assert UnmatchedRequest.objects.get(run=run).reason == "capacity_taken"
    else:
        assert pairs == {asd.pk: y.pk, slcn.pk: x.pk}
        assert not UnmatchedRequest.objects.filter(run=run).exists()
    assert run.objective == objective
    assert run.matched_count == served
    assert run.objective_value == objective_value


def test_the_objective_can_be_overridden_for_one_round():
    needs_only_policy(Objective.MAX_SCORE)

    run = services.matching_round_run(trigger=RunTrigger.COMMAND, objective=Objective.MAX_SERVED)

    assert run.objective == "max_served"
    assert MatchingPolicy.objects.get(is_active=True).objective == "max_score"


def test_a_second_round_is_refused_while_one_is_running():
    policy = MatchingPolicy.objects.get(is_active=True)
    running = MatchingRun.objects.create(policy=policy, objective="max_score", trigger="schedule")
    make_expert()
    support_request = make_request()

    with pytest.raises(ConflictError) as error:
        services.matching_round_run(trigger=RunTrigger.ADMIN)

    assert error.value.code == "round_running"
    assert list(MatchingRun.objects.values_list("pk", "status")) == [(running.pk, "running")]
    assert status_of(support_request) == "submitted"
    assert not Proposal.objects.exists()


def test_a_round_running_for_over_thirty_minutes_is_marked_failed_and_a_new_one_runs():
    policy = MatchingPolicy.objects.get(is_active=True)
    stale = MatchingRun.objects.create(policy=policy, objective="max_score", trigger="schedule")
    MatchingRun.objects.filter(pk=stale.pk).update(
        started_at=timezone.now() - timedelta(minutes=31)
    )

    run = services.matching_round_run(trigger=RunTrigger.ADMIN)

    stale.refresh_from_db()
    assert stale.status == "failed"
    assert stale.error == "Abandoned: the worker stopped."
    assert run.status == "succeeded"


def test_a_round_started_under_thirty_minutes_ago_is_not_abandoned():
    policy = MatchingPolicy.objects.get(is_active=True)
    recent = MatchingRun.objects.create(policy=policy, objective="max_score", trigger="schedule")
    MatchingRun.objects.filter(pk=recent.pk).update(
        started_at=timezone.now() - timedelta(minutes=29)
    )

    with pytest.raises(ConflictError):
        services.matching_round_run(trigger=RunTrigger.ADMIN)

    recent.refresh_from_db()
    assert recent.status == "running"


def test_the_round_task_returns_zero_while_another_round_runs():
    policy = MatchingPolicy.objects.get(is_active=True)
    MatchingRun.objects.create(policy=policy, objective="max_score", trigger="schedule")

    assert tasks.run_round() == 0


def test_the_round_task_records_who_asked_for_it():
    admin = UserFactory(is_staff=True)

    run_id = tasks.run_round(trigger=RunTrigger.ADMIN, by_user_id=admin.pk)

    run = MatchingRun.objects.get(pk=run_id)
    assert (run.trigger, run.triggered_by, run.status) == ("admin", admin, "succeeded")


def test_the_management_command_runs_a_round_and_prints_its_figures():
    make_expert()
    make_request()
    out = StringIO()

    call_command("run_matching_round", "--objective", "max_served", stdout=out)

    run = MatchingRun.objects.get()
    assert (run.trigger, run.objective, run.matched_count) == ("command", "max_served", 1)
    printed = out.getvalue()
    assert printed.startswith(f"Round #{run.pk} (max_served, policy v1): 1 of 1 requests matched, ")
    assert "1 candidate pairs" in printed
    assert f"{run.duration_ms} ms" in printed


# --- tasks ---------------------------------------------------------------------------------------


def test_the_management_command_refuses_while_a_round_is_running():
    policy = MatchingPolicy.objects.get(is_active=True)
    MatchingRun.objects.create(policy=policy, objective="max_score", trigger="schedule")

    with pytest.raises(CommandError, match="A matching round is already running"):
        call_command("run_matching_round", stdout=StringIO())

    assert MatchingRun.objects.count() == 1


def test_the_propose_task_returns_how_many_proposals_it_made():
    make_expert()
    make_expert()
    support_request = make_request()

    assert tasks.propose_for_request(support_request_id=support_request.pk) == 2
    assert tasks.propose_for_request(support_request_id=support_request.pk) == 0


def test_the_expiry_task_reminds_and_expires(
    mailoutbox, django_capture_on_commit_callbacks, eager_tasks
):
    make_expert()
    support_request = make_request()
    [proposal] = propose(support_request)
    Proposal.objects.filter(pk=proposal.pk).update(
        remind_at=timezone.now() - timedelta(days=1), expires_at=timezone.now() - timedelta(hours=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.expire_proposals()

    assert result == {"reminded": 1, "expired": 1}
    assert [email.subject for email in mailoutbox] == [
        "A support request is waiting for your answer"
    ]


# --- policy versions -----------------------------------------------------------------------------


def test_publishing_a_policy_creates_the_next_version_and_keeps_the_old_one():
    admin = UserFactory(is_staff=True)
    first = MatchingPolicy.objects.get(is_active=True)
    before = {name: getattr(first, name) for name in services.POLICY_FIELDS}

    second = services.matching_policy_publish(by=admin, min_score=35, note="Stricter.")

    first.refresh_from_db()
    assert (second.version, second.is_active, second.created_by) == (first.version + 1, True, admin)
    assert (second.min_score, second.note) == (35, "Stricter.")
    assert second.proposals_per_request == first.proposals_per_request
    assert second.weights == first.weights
    assert first.is_active is False
    assert {name: getattr(first, name) for name in services.POLICY_FIELDS} == before
    assert list(MatchingPolicy.objects.filter(is_active=True)) == [second]


def test_an_invalid_policy_is_not_published():
    first = MatchingPolicy.objects.get(is_active=True)

    with pytest.raises(ValidationError):
        services.matching_policy_publish(by=None, weight_needs=101)
    with pytest.raises(ValidationError):
        services.matching_policy_publish(by=None, expiry_reminder_school_days=10)

    assert list(MatchingPolicy.objects.values_list("version", "is_active")) == [(1, True)]
    first.refresh_from_db()
    assert first.weight_needs == 30


def test_proposals_record_the_policy_version_that_made_them():
    make_expert()
    make_expert()
    before = make_request()
    propose(before)
    services.matching_policy_publish(by=None, proposals_per_request=1)
    after = make_request()

    propose(after)

    assert {p.policy.version for p in Proposal.objects.filter(request=before)} == {1}
    assert [p.policy.version for p in Proposal.objects.filter(request=after)] == [2]
    assert Proposal.objects.filter(request=before).count() == 2
    assert last_reason(after).endswith("proposed (policy v2).")

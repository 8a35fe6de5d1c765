"""The database prefilter (``selectors.candidate_experts``) is a coarse superset of what the
scoring accepts: on generated experts and requests it never drops a pair that
``scoring.evaluate`` would accept, and it still narrows (it is not everyone)."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.enums import CredentialKind, EducationPhase, Format, RequestFormat, VerificationStatus
from exchange.models import FORMAT_FLAGS, PHASE_FLAGS, Credential, ExpertProfile, SupportRequest
from matching import scoring, selectors
from matching.enums import ProposalStatus
from matching.models import Proposal
from matching.selectors import local_today
from tests.factories import (
    ExpertProfileFactory,
    SchoolFactory,
    SpecialSchoolFactory,
    SupportRequestFactory,
    TrustFactory,
    need,
)

pytestmark = pytest.mark.django_db

HOME_EASTING, HOME_NORTHING = 450_000, 250_000
NEEDS = ("ASD", "SLCN", "SEMH", "HI", "VI")
PHASES = tuple(EducationPhase)
# Kilometres east of the requesting school: either side of travel distances and the reach.
OFFSETS_KM = (0, 4, 20, 149, 151, 299, 301, 320)
LEVELS = ("aware", "practitioner", "specialist", "lead")


@st.composite
def locations(draw: st.DrawFn) -> dict[str, int | None]:
    km = draw(st.sampled_from(OFFSETS_KM))
    if draw(st.integers(0, 5)) == 0:
        return {"easting": None, "northing": None}
    return {"easting": HOME_EASTING + km * 1000, "northing": HOME_NORTHING}


@st.composite
def expert_fields(draw: st.DrawFn) -> dict:
    month = draw(st.integers(0, 2))
    return {
        "location": draw(locations()),
        "same_school": draw(st.integers(0, 7)) == 0,
        "in_trust": draw(st.booleans()),
        "is_verified": draw(st.sampled_from([True, True, True, False])),
        "is_suspended": draw(st.sampled_from([False, False, False, True])),
        "is_paused": draw(st.sampled_from([False, False, False, True])),
        "formats": draw(st.sets(st.sampled_from(list(Format)), min_size=1)),
        "phases": draw(st.sets(st.sampled_from(PHASES), min_size=1)),
        "max_travel_km": draw(st.sampled_from([0, 5, 20, 150, 300])),
        "sessions_per_month": month,
        "held": month > 0 and draw(st.booleans()),
        "safeguarding": draw(st.sampled_from([None, -1, 0, 30])),
        "needs": draw(st.dictionaries(st.sampled_from(NEEDS), st.sampled_from(LEVELS), min_size=1)),
        "credentials": draw(
            st.sets(st.sampled_from([CredentialKind.MQ_HEARING, CredentialKind.MQ_VISION]))
        ),
    }


@st.composite
def request_fields(draw: st.DrawFn) -> dict:
    primary = draw(st.sampled_from(NEEDS))
    return {
        "location": draw(locations()),
        "primary": primary,
        # The application always lists the primary need among the needs; the prefilter
        # does not rely on it.
        "others": draw(st.sets(st.sampled_from(NEEDS), max_size=2)) - {primary},
        "primary_listed": draw(st.booleans()),
        "phase": draw(st.sampled_from(PHASES)),
        "format": draw(st.sampled_from(list(RequestFormat))),
        "video_acceptable": draw(st.booleans()),
        "allow_own_school": draw(st.booleans()),
        "video_reach_km": draw(st.sampled_from([150, 300])),
    }


def create_expert(fields: dict, *, home, trust, holds_for, policy) -> ExpertProfile:
    today = local_today()
    location = fields["location"]
    school = home if fields["same_school"] else SpecialSchoolFactory(**location)
    if fields["in_trust"] and not fields["same_school"]:
        school.trust = trust
        school.save(update_fields=["trust"])
    days = fields["safeguarding"]
    expert = ExpertProfileFactory(
        school=school,
        specialisms=list(fields["needs"].items()),
        is_verified=fields["is_verified"],
        is_suspended=fields["is_suspended"],
        is_paused=fields["is_paused"],
        max_travel_km=fields["max_travel_km"],
        sessions_per_week=min(1, fields["sessions_per_month"]),
        sessions_per_month=fields["sessions_per_month"],
        safeguarding_expires_on=None if days is None else today + timedelta(days=days),
        **{flag: value in fields["formats"] for value, flag in FORMAT_FLAGS.items()},
        **{flag: value in fields["phases"] for value, flag in PHASE_FLAGS.items()},
    )
    for kind in fields["credentials"]:
        Credential.objects.create(expert=expert, kind=kind, status=VerificationStatus.VERIFIED)
    if fields["held"]:
        # A live proposal for another request holds a unit of this month's capacity.
        now = timezone.now()
        Proposal.objects.create(
            request=holds_for,
            expert=expert,
            policy=policy,
            status=ProposalStatus.PROPOSED,
            score=50,
            delivery_format=Format.VIDEO_CALL,
            expires_at=now + timedelta(days=5),
            remind_at=now + timedelta(days=3),
        )
    return expert


def create_request(fields: dict, *, home) -> SupportRequest:
    support_request = SupportRequestFactory(
        school=home,
        primary_need=need(fields["primary"]),
        needs=sorted(fields["others"]),
        phase=fields["phase"],
        format=fields["format"],
        video_acceptable=fields["video_acceptable"],
    )
    if not fields["primary_listed"]:
        support_request.needs.set([need(code) for code in sorted(fields["others"])])
    return support_request


def prefiltered_and_accepted(request_spec: dict, expert_specs: list[dict]) -> tuple[set, set]:
    """The experts the prefilter keeps, and those ``scoring.evaluate`` accepts among all."""
    policy = selectors.matching_policy_active()
    policy.allow_own_school = request_spec["allow_own_school"]
    policy.video_reach_km = request_spec["video_reach_km"]
    today = local_today()
    trust = TrustFactory()
    home = SchoolFactory(trust=trust, **request_spec["location"])
    support_request = create_request(request_spec, home=home)
    holds_for = SupportRequestFactory()
    for fields in expert_specs:
        create_expert(fields, home=home, trust=trust, holds_for=holds_for, policy=policy)

    kept = set(
        selectors.candidate_experts(
            support_request=support_request, policy=policy, today=today
        ).values_list("pk", flat=True)
    )
    [request] = selectors.request_facts(
        requests=SupportRequest.objects.filter(pk=support_request.pk), today=today
    )
    experts = selectors.expert_facts(
        experts=ExpertProfile.objects.all(), today=today, horizon_weeks=policy.availability_weeks
    )
    scoring_policy = policy.scoring_policy()
    accepted = {
        e.id
        for e in experts
        if isinstance(
            scoring.evaluate(request, e, scoring_policy, today, explain=False), scoring.Match
        )
    }
    return kept, accepted


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request_fields(), st.lists(expert_fields(), min_size=1, max_size=5))
def test_the_prefilter_never_drops_an_expert_the_scoring_accepts(db, request_spec, expert_specs):
    # Each example in a savepoint of its own, rolled back: examples do not see each other.
    with transaction.atomic():
        kept, accepted = prefiltered_and_accepted(request_spec, expert_specs)
        transaction.set_rollback(True)

    assert accepted <= kept


BASE_EXPERT = {
    "location": {"easting": HOME_EASTING + 10_000, "northing": HOME_NORTHING},
    "same_school": False,
    "in_trust": False,
    "is_verified": True,
    "is_suspended": False,
    "is_paused": False,
    "formats": {Format.VIDEO_CALL},
    "phases": {EducationPhase.PRIMARY},
    "max_travel_km": 20,
    "sessions_per_month": 2,
    "held": 0,
    "safeguarding": 30,
    "needs": {"ASD": "lead"},
    "credentials": set(),
}
BASE_REQUEST = {
    "location": {"easting": HOME_EASTING, "northing": HOME_NORTHING},
    "primary": "ASD",
    "others": set(),
    "primary_listed": True,
    "phase": EducationPhase.PRIMARY,
    "format": RequestFormat.VIDEO_CALL,
    "video_acceptable": True,
    "allow_own_school": False,
    "video_reach_km": 150,
}


def test_a_video_call_reaches_an_expert_whose_school_has_no_known_location():
    unplaced = {**BASE_EXPERT, "location": {"easting": None, "northing": None}}

    kept, accepted = prefiltered_and_accepted(BASE_REQUEST, [unplaced])

    assert len(accepted) == 1
    assert accepted <= kept


def test_an_expert_covering_only_the_primary_need_is_kept_when_it_is_not_listed_again():
    unlisted = {**BASE_REQUEST, "others": {"SLCN"}, "primary_listed": False}

    kept, accepted = prefiltered_and_accepted(unlisted, [BASE_EXPERT])

    assert len(accepted) == 1
    assert accepted <= kept


def test_the_prefilter_narrows_to_experts_who_could_fit():
    far = {
        **BASE_EXPERT,
        "location": {"easting": HOME_EASTING + 320_000, "northing": HOME_NORTHING},
    }
    secondary = {**BASE_EXPERT, "phases": {EducationPhase.SECONDARY}}

    kept, accepted = prefiltered_and_accepted(BASE_REQUEST, [BASE_EXPERT, far, secondary])

    assert len(accepted) == 1
    assert kept == accepted

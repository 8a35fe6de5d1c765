"""Demo data for the quick start, on top of the sample GIAS schools.

Builds a user for every role with a known password, experts at special schools with varied
specialisms, credentials and availability, and support requests from mainstream schools in
several statuses. Deterministic (a fixed random seed) and safe to run again: what exists is
kept. Never run in production: the demo users share a known password.
"""

import math
import random
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import gias
from accounts.enums import Role, SchoolKind
from accounts.models import LocalAuthority, Membership, School, Trust, User
from accounts.services import ImportSummary, schools_import_from_gias
from config import csv_files
from demo.analytics import analytics_history_seed
from demo.history import request_history_seed
from demo.knowledge import past_work_seed
from demo.library import library_seed
from exchange import services
from exchange.enums import (
    MANDATORY_QUALIFICATION_FOR_NEED,
    CredentialKind,
    EducationPhase,
    Format,
    Level,
    RequestStatus,
    VerificationStatus,
)
from exchange.models import Credential, ExpertProfile, Need, SupportRequest, Topic
from exchange.taxonomy import TOPICS_BY_NEED
from insights import sen_statistics
from insights.services import SenImportSummary, sen_statistics_import
from library.enums import ResourceStatus
from library.models import Resource
from matching.enums import ProposalStatus, RunTrigger
from matching.models import Proposal
from matching.services import matching_round_run, proposal_accept
from scheduling import services as scheduling
from scheduling.models import Session

SAMPLE_GIAS_FILE = Path(settings.BASE_DIR) / "data" / "gias_sample.csv"
SAMPLE_SEN_FILE = Path(settings.BASE_DIR) / "data" / "sen_in_england_sample.csv"
DEMO_DOMAIN = "demo.exchange"
EXPERT_SCHOOLS = 12
REQUESTING_SCHOOLS = 10
COMMON_NEEDS = ["ASD", "SLCN", "SEMH", "SPLD", "MLD"]
REQUEST_STORIES = [
    (
        "ASD",
        "Sensory overload in a busy Year 3 class",
        "Two pupils cover their ears and leave the room during carpet time and assemblies; "
        "one stops speaking for the rest of the morning after a noisy transition.",
        "Ear defenders, a quiet corner and a visual timetable; two assess-plan-do-review "
        "cycles with little change.",
        "Staff can spot early signs of overload and plan sensory breaks and calmer transitions.",
    ),
    (
        "SEMH",
        "Dysregulation at lunchtimes in Year 8",
        "A small group escalate quickly in unstructured times: shouting, leaving the site, "
        "refusing to return to lessons. Incidents cluster after lunch.",
        "Lunchtime club, a key adult, reduced timetable for one pupil; behaviour logs kept.",
        "A shared approach to de-escalation and a plan for unstructured times.",
    ),
    (
        "SLCN",
        "Reception children with little expressive language",
        "Several children use single words or gestures; frustration shows as snatching and "
        "crying. Parents report the same at home.",
        "Speech and language screening, small-group talk sessions, Makaton signs for routines.",
        "Staff confident with core vocabulary boards and modelling language through play.",
    ),
    (
        "SPLD",
        "Phonics not sticking for a Year 5 group",
        "A group of readers are still decoding at phase 3 and avoid writing tasks; they are "
        "articulate orally and well liked.",
        "Daily catch-up phonics, coloured overlays, extra time; two review cycles.",
        "A structured multisensory reading intervention the TA team can run.",
    ),
    (
        "HI",
        "A deaf pupil joining Year 7 in January",
        "The pupil uses hearing aids and some sign; the classroom acoustics are poor and "
        "staff have had no deaf awareness training.",
        "Seating near the front; a radio aid has been ordered.",
        "Whole-staff deaf awareness and advice on the radio aid and classroom set-up.",
    ),
    (
        "PMLD",
        "Personal care and positioning for a Year 1 pupil",
        "A pupil with complex physical needs joins after the holiday; staff need safe moving "
        "and handling and a personal care plan.",
        "Risk assessment drafted with the family; equipment on order.",
        "Two staff trained in moving and handling and confident with the care plan.",
    ),
    (
        "VI",
        "Access to the curriculum for a pupil with low vision",
        "Worksheets and the board are hard to access; the pupil tires quickly and avoids "
        "group work.",
        "Enlarged print and seating near the board.",
        "Advice on access technology and adapting resources across subjects.",
    ),
    (
        "MLD",
        "Maths gaps widening in Year 9",
        "A cohort working several years below age-related expectations in maths are losing "
        "confidence and disengaging.",
        "Setting, a weekly intervention, concrete resources in lower sets.",
        "A sequenced intervention and adapted curriculum planning for the cohort.",
    ),
]

# The phase and year groups each story describes (None: fits any phase).
STORY_PHASES: list[tuple[str | None, list[int] | None]] = [
    ("primary", [3]),
    ("secondary", [8]),
    ("primary", [0]),
    ("primary", [5]),
    ("secondary", [7]),
    ("primary", [1]),
    (None, None),
    ("secondary", [9]),
]


@dataclass(frozen=True)
class DemoUser:
    email: str
    role: str
    where: str


@dataclass(frozen=True)
class DemoResult:
    schools: ImportSummary
    sen_statistics: SenImportSummary
    users: list[DemoUser]
    experts: int
    requests: int
    resources: int
    past_sessions: int


def demo_seed(*, password: str, gias_file: Path = SAMPLE_GIAS_FILE) -> DemoResult:
    """Imports the sample schools, then adds users, experts and requests (once)."""
    summary = schools_import_from_gias(
        rows=gias.iter_rows(csv_files.decode(gias_file.read_bytes()))
    )
    # DfE's pupils-by-need statistics for the sample's LAs: the prevalence behind the analytics.
    statistics = sen_statistics_import(
        rows=sen_statistics.iter_rows(csv_files.decode(SAMPLE_SEN_FILE.read_bytes()))
    )
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    with transaction.atomic():
        users = _role_users(password)
        seeded = ExpertProfile.objects.filter(user__email__endswith=f"@{DEMO_DOMAIN}").exists()
        if not seeded:
            _experts(rng, password)
            _requests(rng, password)
    if not seeded:
        # History first, so the round's explanations already quote real ratings.
        with transaction.atomic():
            past_work_seed(schools_of=_past_work_sencos())
            request_history_seed(rng=rng, near=_senco_school())
        matching_round_run(trigger=RunTrigger.COMMAND)
        _book_a_session()
        with transaction.atomic():
            analytics_history_seed(schools=_history_schools(), by=_past_work_sencos()[0])
    library_seed(
        admin=User.objects.get(email=f"admin@{DEMO_DOMAIN}"),
        authors=list(
            User.objects.filter(
                expert_profile__isnull=False, email__endswith=f"@{DEMO_DOMAIN}"
            ).order_by("pk")[:3]
        ),
    )
    return DemoResult(
        schools=summary,
        sen_statistics=statistics,
        users=users,
        experts=ExpertProfile.objects.count(),
        requests=SupportRequest.objects.count(),
        resources=Resource.objects.filter(status=ResourceStatus.APPROVED).count(),
        past_sessions=Session.objects.filter(status="completed").count(),
    )


def _history_schools() -> list[School]:
    """The demo SENCO's school, its trust's other mainstream schools, then its neighbours."""
    first = _senco_school()
    trust = [s for s in _open(SchoolKind.MAINSTREAM) if s.trust_id == first.trust_id]
    near = _open(SchoolKind.MAINSTREAM, near=first)
    return list(dict.fromkeys([first, *trust, *near]))[:12]


def _past_work_sencos() -> list[User]:
    """The demo SENCO first (so signing in as them shows the loop), then three others."""
    emails = [f"senco@{DEMO_DOMAIN}", *(f"senco{i}@{DEMO_DOMAIN}" for i in range(1, 4))]
    by_email = {user.email: user for user in User.objects.filter(email__in=emails)}
    return [by_email[email] for email in emails if email in by_email]


def _book_a_session() -> None:
    """An expert accepts one of the demo SENCO's proposals and the SENCO confirms the first
    slot offered, so the demo has a booked session with its invitation and reminders."""

    senco = User.objects.get(email=f"senco@{DEMO_DOMAIN}")
    proposals = Proposal.objects.filter(
        status=ProposalStatus.PROPOSED, request__created_by=senco
    ).select_related("expert__user")
    for proposal in proposals.order_by("request_id", "rank"):
        if proposal.request.status != RequestStatus.PROPOSED:
            continue
        proposal_accept(proposal=proposal, by=proposal.expert.user)
        offered = scheduling.slots_offer(support_request_id=proposal.request_id)
        offered = offered or list(
            Session.objects.filter(request_id=proposal.request_id, status="offered")
        )
        if offered:
            scheduling.session_confirm(session=offered[0], by=senco)
            return


def _user(email: str, password: str, full_name: str, *, admin: bool = False) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, password, full_name=full_name, is_staff=admin, is_superuser=admin
        )
    return user


def _open(kind: str, near: School | None = None) -> list[School]:
    """Open schools of a kind, nearest to ``near`` first (so the demo's experts and
    requests are neighbours and matching has something to do)."""
    schools = list(
        School.objects.filter(is_active=True, kind=kind, easting__isnull=False)
        .prefetch_related("sen_provisions")
        .order_by("urn")
    )
    if near is not None and near.easting is not None and near.northing is not None:
        origin = (near.easting, near.northing)
        # Every school here has a location: the query filtered on it.
        schools.sort(key=lambda s: math.dist(origin, (s.easting or 0, s.northing or 0)))
    return schools


def _senco_school() -> School:
    return School.objects.get(
        memberships__user__email=f"senco@{DEMO_DOMAIN}", memberships__role=Role.SENCO
    )


def _role_users(password: str) -> list[DemoUser]:
    mainstream = next(school for school in _open(SchoolKind.MAINSTREAM) if school.trust_id)
    specials = _open(SchoolKind.SPECIAL)
    special = next((s for s in specials if s.region == mainstream.region), specials[0])
    people: list[tuple[str, str, str | None, School | Trust | LocalAuthority | None]] = [
        ("admin", "Platform Admin", None, None),
        ("senco", "Sam Senco", Role.SENCO, mainstream),
        ("staff", "Jo Teacher", Role.SCHOOL_STAFF, mainstream),
        ("expert", "Alex Expert", Role.EXPERT, special),
        ("coordinator", "Chris Coordinator", Role.TRUST_COORDINATOR, mainstream.trust),
        ("la", "Lee Officer", Role.LA_OFFICER, mainstream.local_authority),
    ]
    # The membership's place field: a trust or an LA for those roles, a school for the rest.
    places: dict[str, str] = {Role.TRUST_COORDINATOR: "trust", Role.LA_OFFICER: "local_authority"}
    result = []
    for local_part, full_name, role, place in people:
        email = f"{local_part}@{DEMO_DOMAIN}"
        user = _user(email, password, full_name, admin=role is None)
        if role is not None:
            where: dict[str, Any] = {places.get(role, "school"): place}
            Membership.objects.get_or_create(user=user, role=role, **where)
        result.append(DemoUser(email, role or "platform admin", str(place or "all")))
    return result


def _experts(rng: random.Random, password: str) -> None:
    today = timezone.localdate()
    taxonomy = Taxonomy(
        needs={need.code: need for need in Need.objects.all()},
        topics={topic.slug: topic for topic in Topic.objects.all()},
    )
    demo_expert = User.objects.get(email=f"expert@{DEMO_DOMAIN}")
    home = School.objects.get(memberships__user=demo_expert, memberships__role=Role.EXPERT)
    nearby = [s for s in _open(SchoolKind.SPECIAL, near=_senco_school()) if s != home]
    schools = [home, *nearby[: EXPERT_SCHOOLS - 1]]
    for index, school in enumerate(schools):
        if index == 0:
            user = demo_expert
        else:
            user = _user(f"expert{index}@{DEMO_DOMAIN}", password, f"Expert {index}")
            Membership.objects.get_or_create(user=user, role=Role.EXPERT, school=school)
        provided = [p.need_code for p in school.sen_provisions.all()]
        # Outreach teams cover the commonest needs as well as their school's own.
        codes = list(dict.fromkeys([*provided[:2], *rng.sample(COMMON_NEEDS, 2)]))
        specialisms = _specialisms(rng, codes, taxonomy)  # before the other draws: the seed's order
        expert = services.expert_profile_create(
            user=user,
            school=school,
            bio=f"Outreach teacher at {school.name}.",
            formats=rng.sample(list(Format), rng.randint(2, 4)),
            phases=rng.sample(
                [EducationPhase.PRIMARY, EducationPhase.SECONDARY], rng.randint(1, 2)
            ),
            max_travel_km=rng.choice([10, 20, 30, 50]),
            sessions_per_week=rng.randint(1, 2),
            sessions_per_month=rng.randint(3, 6),
            days_per_term=rng.randint(4, 10),
            specialisms=specialisms,
        )
        _standing(expert, index, by=user, today=today)
        _credentials(expert, codes, by=user)
        _availability(rng, expert, index, today=today)


@dataclass(frozen=True)
class Taxonomy:
    """The needs and topics by code, read once for every expert."""

    needs: dict[str, Need]
    topics: dict[str, Topic]


def _specialisms(
    rng: random.Random, codes: list[str], taxonomy: Taxonomy
) -> list[dict[str, object]]:
    """A level in each need, and in two of the topics those needs touch."""
    specialisms: list[dict[str, object]] = [
        {"need": taxonomy.needs[code], "level": rng.choice([Level.SPECIALIST, Level.LEAD])}
        for code in codes
    ]
    topic_slugs = sorted({slug for code in codes for slug in TOPICS_BY_NEED[code]})
    chosen = rng.sample(topic_slugs, min(2, len(topic_slugs)))
    specialisms += [
        {"topic": taxonomy.topics[slug], "level": rng.choice(list(Level))} for slug in chosen
    ]
    return specialisms


def _standing(expert: ExpertProfile, index: int, *, by: User, today: date) -> None:
    """Most are verified with current safeguarding; a few show the other states."""
    if index % 6 != 5:
        services.expert_verify(expert=expert)
    if index % 5 != 4:
        services.expert_confirm_safeguarding(
            expert=expert, confirmed_by=by, expires_on=today + timedelta(days=300)
        )
    if index == 7:
        services.expert_profile_update(expert=expert, is_paused=True)


def _credentials(expert: ExpertProfile, codes: list[str], *, by: User) -> None:
    """A verified QTS, and the mandatory qualification (unverified) a sensory need asks for."""
    qts = services.credential_add(expert=expert, kind=CredentialKind.QTS)
    services.credentials_set_status(
        credentials=Credential.objects.filter(pk=qts.pk),
        status=VerificationStatus.VERIFIED,
        by=by,
    )
    for code in codes:
        if code in MANDATORY_QUALIFICATION_FOR_NEED:
            services.credential_add(
                expert=expert,
                kind=MANDATORY_QUALIFICATION_FOR_NEED[code],
                title="Mandatory qualification",
            )


def _availability(rng: random.Random, expert: ExpertProfile, index: int, *, today: date) -> None:
    for weekday in sorted(rng.sample(range(5), rng.randint(1, 3))):
        start = rng.choice([time(9), time(13)])
        end = time(12) if start == time(9) else time(15, 30)
        services.availability_window_create(
            expert=expert, weekday=weekday, start_time=start, end_time=end
        )
    services.availability_exception_create(
        expert=expert, date=today + timedelta(days=14 + index), kind="unavailable"
    )


def _requests(rng: random.Random, password: str) -> None:
    topics = {topic.slug: topic for topic in Topic.objects.all()}
    needs = {need.code: need for need in Need.objects.all()}
    senco = User.objects.get(email=f"senco@{DEMO_DOMAIN}")
    first = _senco_school()
    schools = [first, *[s for s in _open(SchoolKind.MAINSTREAM, near=first) if s != first]]
    statuses = [
        RequestStatus.DRAFT,
        RequestStatus.SUBMITTED,
        RequestStatus.SUBMITTED,
        RequestStatus.CANCELLED,
        RequestStatus.UNMATCHED,
    ]
    today = timezone.localdate()
    for index, school in enumerate(schools[:REQUESTING_SCHOOLS]):
        if index == 0:
            owner = senco
        else:
            owner = _user(f"senco{index}@{DEMO_DOMAIN}", password, f"SENCO {index}")
            Membership.objects.get_or_create(user=owner, role=Role.SENCO, school=school)
        for offset in range(2):
            phases = {"primary": {"primary"}, "secondary": {"secondary"}}.get(
                school.phase, {"primary", "secondary"}
            )
            fitting = [i for i, (p, _) in enumerate(STORY_PHASES) if p is None or p in phases]
            story = fitting[(index + offset) % len(fitting)]
            code, title, context, tried, outcome = REQUEST_STORIES[story]
            phase, years = STORY_PHASES[story]
            phase = phase or ("primary" if "primary" in phases else "secondary")
            secondary = phase == "secondary"
            years = years or ([rng.randint(7, 9)] if secondary else [rng.randint(1, 6)])
            request = services.support_request_create(
                school=school,
                created_by=owner,
                title=title,
                scope=rng.choice(["class", "cohort", "whole_school"]),
                needs=[needs[code], *([needs["SLCN"]] if code == "ASD" else [])],
                primary_need=needs[code],
                topics=[topics[slug] for slug in TOPICS_BY_NEED[code][:2]],
                phase=EducationPhase.SECONDARY if secondary else EducationPhase.PRIMARY,
                year_groups=years,
                sen_status=rng.choice(["ehcp", "sen_support", "mixed"]),
                context=context,
                tried_so_far=tried,
                desired_outcome=outcome,
                format=rng.choice(["any", "observation_visit", "staff_training", "video_call"]),
                staff_attending=rng.randint(1, 12),
                urgency=rng.choice(["routine", "soon", "urgent"]),
                video_acceptable=True,
                # One of each school's two shares its pupil details with the LA officer.
                shares_details_with_local_authority=offset == 0,
                preferred_windows=[
                    {
                        "date": today + timedelta(days=7 * week + 1),
                        "start_time": time(9),
                        "end_time": time(15),
                    }
                    for week in range(1, 4)
                ],
            )
            _move_to(request, statuses[(index * 2 + offset) % len(statuses)], owner)


def _move_to(request: SupportRequest, target: str, by: User) -> None:
    paths: dict[str, list[str]] = {
        RequestStatus.DRAFT: [],
        RequestStatus.SUBMITTED: [RequestStatus.SUBMITTED],
        RequestStatus.CANCELLED: [RequestStatus.SUBMITTED, RequestStatus.CANCELLED],
        RequestStatus.UNMATCHED: [
            RequestStatus.SUBMITTED,
            RequestStatus.MATCHING,
            RequestStatus.UNMATCHED,
        ],
    }
    reasons: dict[str, str] = {
        RequestStatus.CANCELLED: "The pupils' needs are now met by the LA's outreach team.",
        RequestStatus.UNMATCHED: "No verified expert within travel distance has capacity.",
    }
    for status in paths[target]:
        services.support_request_transition(
            support_request_id=request.pk, to_status=status, by=by, reason=reasons.get(status, "")
        )

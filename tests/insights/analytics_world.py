"""A small world whose analytics are worked out by hand in the tests.

Trust T: mainstream schools A and B in Cambridgeshire (873, East of England), special school
S (Cambridgeshire) with experts. Trust U: mainstream school C and special school S2 in Camden
(202, London). An LA officer for each of the two LAs. Requests are written straight to the
tables (analytics only read them), each submitted at noon London time on the 15th unless
said otherwise.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from accounts.enums import Role
from accounts.models import LocalAuthority, School, User
from exchange.constants import LONDON
from exchange.models import ExpertProfile, StatusChange, SupportRequest
from matching.models import MatchingPolicy, MatchingRun, Proposal, UnmatchedRequest
from scheduling.models import Session
from tests import factories


def london(year: int, month: int, day: int = 15, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@dataclass
class World:
    a: School
    b: School
    c: School
    s: School
    s2: School
    coordinator_t: User
    coordinator_u: User
    officer_cambs: User
    officer_camden: User
    senco_a: User
    experts: dict[str, ExpertProfile] = field(default_factory=dict)
    requests: dict[str, list[SupportRequest]] = field(default_factory=dict)


def build() -> World:
    cambs, _ = LocalAuthority.objects.get_or_create(code="873", defaults={"name": "Cambridgeshire"})
    camden, _ = LocalAuthority.objects.get_or_create(code="202", defaults={"name": "Camden"})
    t, u = factories.TrustFactory(name="Trust T"), factories.TrustFactory(name="Trust U")
    east, london_region = "East of England", "London"
    a = factories.SchoolFactory(local_authority=cambs, region=east, trust=t, name="A")
    b = factories.SchoolFactory(local_authority=cambs, region=east, trust=t, name="B")
    c = factories.SchoolFactory(local_authority=camden, region=london_region, trust=u, name="C")
    s = factories.SpecialSchoolFactory(local_authority=cambs, region=east, trust=t, name="S")
    s2 = factories.SpecialSchoolFactory(
        local_authority=camden, region=london_region, trust=u, name="S2"
    )
    return World(
        a=a,
        b=b,
        c=c,
        s=s,
        s2=s2,
        coordinator_t=factories.TrustCoordinatorMembershipFactory(trust=t).user,
        coordinator_u=factories.TrustCoordinatorMembershipFactory(trust=u).user,
        officer_cambs=factories.LaOfficerMembershipFactory(local_authority=cambs).user,
        officer_camden=factories.LaOfficerMembershipFactory(local_authority=camden).user,
        senco_a=factories.MembershipFactory(school=a, role=Role.SENCO).user,
    )


def raise_requests(
    world: World,
    label: str,
    school: School,
    need: str,
    count: int,
    *,
    submitted: datetime | None,
    status: str = "submitted",
    phase: str = "primary",
    format: str = "observation_visit",
) -> list[SupportRequest]:
    made = []
    for _ in range(count):
        request = factories.SupportRequestFactory(
            school=school,
            created_by=world.senco_a,
            primary_need=factories.need(need),
            phase=phase,
            format=format,
        )
        SupportRequest.objects.filter(pk=request.pk).update(submitted_at=submitted, status=status)
        request.refresh_from_db()
        made.append(request)
    world.requests.setdefault(label, []).extend(made)
    return made


def history(request: SupportRequest, *moves: tuple[str, str]) -> None:
    StatusChange.objects.bulk_create(
        StatusChange(request=request, from_status=f, to_status=t) for f, t in moves
    )


def policy() -> MatchingPolicy:
    return MatchingPolicy.objects.get_or_create(version=1, defaults={"is_active": True})[0]


def propose(
    request: SupportRequest,
    expert: ExpertProfile,
    *,
    after: timedelta,
    status: str = "proposed",
    decline_reason: str = "",
    decline_reason_code: str = "",
) -> Proposal:
    proposal = Proposal.objects.create(
        request=request,
        expert=expert,
        policy=policy(),
        status=status,
        score=50,
        delivery_format="observation_visit",
        expires_at=request.submitted_at + timedelta(days=30),
        remind_at=request.submitted_at + timedelta(days=20),
        decline_reason=decline_reason,
        decline_reason_code=decline_reason_code or ("other" if status == "declined" else ""),
    )
    Proposal.objects.filter(pk=proposal.pk).update(created_at=request.submitted_at + after)
    return proposal


def session(
    request: SupportRequest,
    expert: ExpertProfile,
    *,
    starts: datetime,
    status: str,
    format: str = "observation_visit",
    **fields: object,
) -> Session:
    return Session.objects.create(
        request=request,
        expert=expert,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        status=status,
        format=format,
        **fields,
    )


def unmatched_in_round(request: SupportRequest, reason: str) -> UnmatchedRequest:
    run = MatchingRun.objects.create(
        policy=policy(), objective="max_score", trigger="command", status="succeeded"
    )
    return UnmatchedRequest.objects.create(run=run, request=request, reason=reason)

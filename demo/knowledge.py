"""The demo's history: requests whose sessions were held weeks ago, with the school's goals
and confidence before, feedback from both sides, the expert's report and, where due, the
SENCO's outcome review with its GAS T-score; so a newcomer sees the whole loop, and
matching's explanations already quote real ratings ("rated 4.7/5 after 3 sessions").

Everything goes through the services, as a user would; only the sessions' times are
moved into the past (a session cannot be booked there), before they are marked held.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.enums import Role
from accounts.models import School, User
from exchange import services as exchange
from exchange.enums import EducationPhase
from exchange.models import Need, Topic
from exchange.taxonomy import TOPICS_BY_NEED
from knowledge import services as knowledge
from knowledge.enums import Side
from matching.enums import ProposalStatus
from matching.models import Proposal
from matching.services import proposal_accept, proposals_create_for_request
from scheduling import services as scheduling
from scheduling.models import Session


@dataclass(frozen=True)
class PastCase:
    title: str
    need: str
    goals: tuple[tuple[str, str, int], ...]  # description, expected outcome, baseline
    weeks_ago: int
    confidence_before: int
    school_ratings: tuple[int, int, int]  # useful, practical, would recommend
    covered: str
    next_steps: str
    # The level each goal reached; None: the review is not due yet; a str: skipped, why.
    review: tuple[int, ...] | str | None
    confidence_after: int = 4


CASES = (
    PastCase(
        title="Calmer transitions for a Year 2 class",
        need="ASD",
        goals=(
            (
                "Pupils move between activities without leaving the room",
                "Most transitions in a day happen with a visual prompt only",
                -1,
            ),
            (
                "Sensory breaks are planned, not reactive",
                "Each pupil has two planned breaks on their timetable",
                -2,
            ),
        ),
        weeks_ago=10,
        confidence_before=2,
        school_ratings=(5, 5, 5),
        covered="Observed the morning routine and two transitions; modelled a now/next board.",
        next_steps="Class teacher trials a visual timetable for two weeks; TA logs breaks.",
        review=(1, 0),
    ),
    PastCase(
        title="De-escalation at lunchtimes",
        need="SEMH",
        goals=(
            ("Fewer incidents after lunch", "No more than one incident a week after lunch", -2),
            ("A shared script for de-escalation", "All lunchtime staff use the same script", -1),
            ("A calm space at lunchtime", "A supervised calm room is open every lunchtime", -1),
        ),
        weeks_ago=9,
        confidence_before=2,
        school_ratings=(4, 5, 4),
        covered="Trained eight staff in co-regulation; planned unstructured times with the SLT.",
        next_steps="A review of incident logs after half term; the calm room opens Monday.",
        review=(0, 1, 2),
        confidence_after=5,
    ),
    PastCase(
        title="Core vocabulary boards in Reception",
        need="SLCN",
        goals=(
            (
                "Children use core vocabulary boards",
                "Most children point to the board to ask for help",
                -1,
            ),
        ),
        weeks_ago=2,
        confidence_before=3,
        school_ratings=(4, 4, 5),
        covered="Modelled aided language during play; made two boards with the team.",
        next_steps="Boards in every area of the classroom; the EYFS lead models daily.",
        review=None,
    ),
    PastCase(
        title="Phonics catch-up for a Year 5 group",
        need="SPLD",
        goals=(
            ("Readers decode phase 5 words", "The group reads phase 5 words with 80% accuracy", -2),
        ),
        weeks_ago=12,
        confidence_before=3,
        school_ratings=(3, 4, 3),
        covered="Assessed the group and set up a multisensory programme for the TAs.",
        next_steps="TAs run the programme daily; the SENCO re-assesses in six weeks.",
        review="The group was split across two new classes in January.",
    ),
)


def past_work_seed(*, schools_of: list[User]) -> int:
    """Plays each case through for one of ``schools_of``'s SENCOs' schools; returns how many
    sessions were held. A case no expert could take (or with no free time) is left out."""
    held = 0
    for case, senco in zip(CASES, schools_of, strict=False):
        if _play(case, senco):
            held += 1
    return held


def _play(case: PastCase, senco: User) -> bool:
    school = School.objects.get(memberships__user=senco, memberships__role=Role.SENCO)
    need = Need.objects.get(code=case.need)
    request = exchange.support_request_create(
        school=school,
        created_by=senco,
        title=case.title,
        scope="class",
        needs=[need],
        primary_need=need,
        topics=list(Topic.objects.filter(slug__in=TOPICS_BY_NEED[case.need][:1])),
        phase=EducationPhase.PRIMARY,
        year_groups=[2],
        sen_status="sen_support",
        context="Staff describe the needs as they present in class; see the request.",
        tried_so_far="Two assess-plan-do-review cycles.",
        desired_outcome="Staff confident to meet the needs in class.",
        format="video_call",
        staff_attending=2,
        urgency="routine",
        video_acceptable=True,
        preferred_windows=[],
    )
    for description, expected, baseline in case.goals:
        knowledge.goal_create(
            support_request=request,
            by=senco,
            description=description,
            expected_outcome=expected,
            baseline=baseline,
        )
    knowledge.confidence_rate(support_request=request, by=senco, rating=case.confidence_before)
    exchange.support_request_submit(support_request=request, by=senco)
    proposals_create_for_request(support_request_id=request.pk)
    proposal = (
        Proposal.objects.filter(request=request, status=ProposalStatus.PROPOSED)
        .select_related("expert__user")
        .order_by("rank")
        .first()
    )
    if proposal is None:
        return False
    proposal_accept(proposal=proposal, by=proposal.expert.user)
    offered = scheduling.slots_offer(support_request_id=request.pk)
    if not offered:
        return False
    session = scheduling.session_confirm(session=offered[0], by=senco)
    # Whole weeks back, so the session keeps its school-day weekday and time of day.
    ahead = (session.starts_at - timezone.now()).days // 7 + 1
    back = timedelta(weeks=case.weeks_ago + ahead)
    Session.objects.filter(pk=session.pk).update(
        starts_at=session.starts_at - back, ends_at=session.ends_at - back
    )
    session = scheduling.session_complete(session=session, by=senco)
    useful, practical, recommend = case.school_ratings
    knowledge.feedback_give(
        session=session,
        by=senco,
        side=Side.SCHOOL,
        useful=useful,
        practical=practical,
        would_recommend=recommend,
        comments="Practical ideas we could use the next morning.",
    )
    knowledge.feedback_give(
        session=session,
        by=proposal.expert.user,
        side=Side.EXPERT,
        useful=4,
        practical=4,
        would_recommend=5,
        covered=case.covered,
        next_steps=case.next_steps,
    )
    if isinstance(case.review, str):
        knowledge.review_skip(support_request=request, by=senco, reason=case.review)
    elif case.review is not None:
        goals = list(request.goals.order_by("position"))
        knowledge.review_record(
            support_request=request,
            by=senco,
            attainments={g.pk: level for g, level in zip(goals, case.review, strict=True)},
            confidence_after=case.confidence_after,
            practice_changed=True,
            practice_change="The strategies are now part of the class's daily routine.",
            more_support_needed=False,
            specialist_placement_considered=False,
        )
    return True

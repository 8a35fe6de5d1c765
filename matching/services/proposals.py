"""Writing proposals — one path for a request's own proposals and for rounds — and a
submitted request's proposals (the per-request worker)."""

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple, Protocol

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from config.bulk import bulk_insert, insert_values, pk_batches
from exchange import notifications
from exchange.constants import LONDON
from exchange.enums import NotificationKind, RequestStatus
from exchange.models import ExpertProfile, Notification, SupportRequest
from exchange.school_days import add_school_days
from exchange.selectors import closed_days_by_school
from exchange.services import support_request_transition
from matching import scoring, selectors
from matching.enums import ProposalStatus
from matching.models import MatchingPolicy, MatchingRun, Proposal
from matching.selectors import WAITING_STATUSES, local_today

# Proposals expire at the end of the school day.
EXPIRY_TIME = time(17, 0)
# Far enough ahead to hold the policy's longest expiry (60 school days) across the
# summer holiday.
EXPIRY_LOOKAHEAD = timedelta(days=200)
PROPOSE_TASK = "matching.propose_for_request"


def _expiry(
    policy: MatchingPolicy, today: date, closed: frozenset[date]
) -> tuple[datetime, datetime]:
    """When a proposal made today expires, and when its expert is reminded: school days of
    the expert's school, so a proposal made before a holiday waits for the term."""
    expires = add_school_days(today, policy.proposal_expiry_school_days, closed)
    remind = add_school_days(
        today, policy.proposal_expiry_school_days - policy.expiry_reminder_school_days, closed
    )
    return (
        datetime.combine(expires, EXPIRY_TIME, tzinfo=LONDON),
        datetime.combine(remind, EXPIRY_TIME, tzinfo=LONDON),
    )


def _breakdown(match: scoring.Match) -> list[dict[str, Any]]:
    return [
        {
            "criterion": c.criterion,
            "label": scoring.CRITERION_LABELS[c.criterion],
            "weight": c.weight,
            "value": round(c.value, 3),
            "points": round(c.points, 2),
            "explanation": c.explanation,
        }
        for c in match.criteria
    ]


def _lock_experts(expert_ids: list[int], today: date) -> tuple[dict[int, int], dict[int, int]]:
    """Locks the experts' rows (in id order, so two writers cannot deadlock) and returns each
    one's capacity left this month, counted under the lock, and their school."""
    capacity: dict[int, int] = {}
    school_of: dict[int, int] = {}
    for chunk in pk_batches(expert_ids):
        for pk, sessions, school_id in (
            ExpertProfile.objects.select_for_update()
            .filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", "sessions_per_month", "school_id")
        ):
            capacity[pk], school_of[pk] = sessions, school_id
    loads = {}
    for chunk in pk_batches(expert_ids):
        loads.update(selectors.expert_loads(expert_ids=chunk, today=today))
    return {pk: cap - loads.get(pk, 0) for pk, cap in capacity.items()}, school_of


class NewProposal(NamedTuple):
    """A proposal to write, as the values of its fields (the others take their defaults)."""

    request_id: int
    expert_id: int
    policy_id: int
    run_id: int | None
    rank: int
    score: float
    delivery_format: str
    distance_km: float | None
    breakdown: list[dict[str, Any]]
    summary: str
    expires_at: datetime
    remind_at: datetime


def proposals_write(
    *,
    matches: Sequence[scoring.Match],
    policy: MatchingPolicy,
    today: date,
    per_request: dict[int, int],
    ranked_before: int = 0,
) -> list[Proposal]:
    """Creates proposals from ``matches`` (best first), at most ``per_request[id]`` per
    request and never beyond an expert's capacity, ranked after the ``ranked_before``
    proposals a request already has, and returns them. Call inside a transaction.

    The experts' rows are locked (in id order, so two writers cannot deadlock) and their
    holds recounted, so a concurrent writer's proposals or accepts are seen.
    """
    chosen = _proposals_choose(
        matches=matches,
        policy=policy,
        today=today,
        per_request=per_request,
        run=None,
        ranked_before=ranked_before,
    )
    created = bulk_insert([Proposal(**proposal._asdict()) for proposal in chosen])
    _notify_experts(created)
    return created


def proposals_write_rows(
    *,
    matches: Sequence[scoring.Match],
    policy: MatchingPolicy,
    today: date,
    run: MatchingRun,
) -> list[NewProposal]:
    """``proposals_write`` for a matching round: one proposal per request, written as
    plain rows (``config.bulk.insert_values``: a round writes thousands, and building a
    model instance each cost more than writing it). Returns what was written."""
    chosen = _proposals_choose(
        matches=matches,
        policy=policy,
        today=today,
        per_request={m.request_id: 1 for m in matches},
        run=run,
        ranked_before=0,
    )
    insert_values(Proposal, NewProposal._fields, chosen)
    _notify_experts(chosen)
    return chosen


def _proposals_choose(
    *,
    matches: Sequence[scoring.Match],
    policy: MatchingPolicy,
    today: date,
    per_request: dict[int, int],
    run: MatchingRun | None,
    ranked_before: int,
) -> list[NewProposal]:
    """The proposals to write (``proposals_write``'s rules), under the experts' locks."""
    remaining, school_of = _lock_experts(sorted({m.expert_id for m in matches}), today)
    closed = closed_days_by_school(
        school_ids=set(school_of.values()), start=today, end=today + EXPIRY_LOOKAHEAD
    )
    # Schools sharing a term calendar share its set of closed days, so this is computed
    # once a calendar, not once an expert.
    expiry_for = {days: _expiry(policy, today, days) for days in set(closed.values())}
    wanted = dict(per_request)
    ranks: Counter[int] = Counter(dict.fromkeys(wanted, ranked_before))
    run_id = None if run is None else run.pk
    chosen = []
    for match in matches:
        if wanted.get(match.request_id, 0) <= 0 or remaining.get(match.expert_id, 0) <= 0:
            continue
        wanted[match.request_id] -= 1
        remaining[match.expert_id] -= 1
        ranks[match.request_id] += 1
        expires_at, remind_at = expiry_for[closed[school_of[match.expert_id]]]
        chosen.append(
            NewProposal(
                request_id=match.request_id,
                expert_id=match.expert_id,
                policy_id=policy.pk,
                run_id=run_id,
                rank=ranks[match.request_id],
                score=match.score,
                delivery_format=match.delivery_format,
                distance_km=None if match.distance_km is None else round(match.distance_km, 2),
                breakdown=_breakdown(match),
                summary=match.summary,
                expires_at=expires_at,
                remind_at=remind_at,
            )
        )
    return chosen


class _Told(Protocol):
    """What a proposal's notification reads of it (a ``Proposal`` or a ``NewProposal``)."""

    @property
    def request_id(self) -> int: ...
    @property
    def expert_id(self) -> int: ...
    @property
    def summary(self) -> str: ...
    @property
    def expires_at(self) -> datetime: ...


def _notify_experts(proposals: Sequence[_Told]) -> None:
    """Tells each proposed expert, in-app and by email (after commit): one notification for
    one proposal, and one digest for an expert a round proposed for several requests."""
    by_expert: dict[int, list[_Told]] = {}
    for proposal in proposals:
        by_expert.setdefault(proposal.expert_id, []).append(proposal)
    users = dict(ExpertProfile.objects.filter(pk__in=by_expert.keys()).values_list("pk", "user_id"))
    notifications.notify_many(
        [_proposal_notification(users[expert_id], mine) for expert_id, mine in by_expert.items()]
    )


def _proposal_notification(user_id: int, proposals: Sequence[_Told]) -> Notification:
    # An expert's proposals written together expire together.
    answer_by = f"Please accept or decline by {answer_deadline(proposals[0])}."
    if len(proposals) == 1:
        return Notification(
            user_id=user_id,
            kind=NotificationKind.PROPOSAL_NEW,
            title="You have been proposed for a support request",
            body=f"{proposals[0].summary}\n{answer_by}",
            request_id=proposals[0].request_id,
        )
    listed = "\n".join(f"- Request #{p.request_id}: {p.summary}" for p in proposals)
    return Notification(
        user_id=user_id,
        kind=NotificationKind.PROPOSAL_NEW,
        title=f"You have been proposed for {len(proposals)} support requests",
        body=f"{listed}\n{answer_by} Each is in your proposals inbox.",
    )


def answer_deadline(proposal: _Told) -> str:
    return f"{timezone.localtime(proposal.expires_at, LONDON):%A %d %B at %H:%M}"


def proposals_create_for_request(*, support_request_id: int) -> list[Proposal]:
    """Tops a waiting request up to the policy's N live proposals (``submitted | matching |
    unmatched | proposed → proposed``), or records why no expert could take it
    (``→ unmatched``). Safe to run twice: a request with N live proposals is left alone.
    """
    policy = selectors.matching_policy_active()
    today = local_today()
    with transaction.atomic():
        # Lock the request: a redelivered task or a round waits here, then sees our work.
        support_request = (
            SupportRequest.objects.select_for_update()
            .select_related("school")
            .get(pk=support_request_id)
        )
        if support_request.status not in (*WAITING_STATUSES, RequestStatus.PROPOSED):
            return []
        if support_request.status == RequestStatus.SUBMITTED:
            support_request = support_request_transition(
                support_request_id=support_request.pk, to_status=RequestStatus.MATCHING, by=None
            )
        previous = Proposal.objects.filter(request=support_request)
        live = previous.filter(status=ProposalStatus.PROPOSED).count()
        wanted = policy.proposals_per_request - live
        if wanted <= 0:
            return []
        # Never the same expert twice for one request: not after a decline or expiry.
        before = previous.values_list("expert_id", flat=True)
        ranking = _rank_candidates(support_request, policy, today, exclude_expert_ids=before)
        eligible = [m for m in ranking.matches if m.score >= policy.min_score]
        created = proposals_write(
            matches=eligible,
            policy=policy,
            today=today,
            per_request={support_request.pk: wanted},
            # A top-up after a decline ranks below the proposals still live.
            ranked_before=previous.aggregate(rank=Max("rank"))["rank"] or 0,
        )
        if created and support_request.status != RequestStatus.PROPOSED:
            support_request_transition(
                support_request_id=support_request.pk,
                to_status=RequestStatus.PROPOSED,
                by=None,
                reason=f"{len(created)} experts proposed (policy v{policy.version}).",
            )
        elif not created and not live and support_request.status != RequestStatus.UNMATCHED:
            exclusions = (
                selectors.candidate_funnel(
                    support_request=support_request,
                    policy=policy,
                    today=today,
                    exclude_expert_ids=before,
                )
                + ranking.exclusions
                + Counter({scoring.Exclusion.LOW_SCORE: len(ranking.matches) - len(eligible)})
            )
            support_request_transition(
                support_request_id=support_request.pk,
                to_status=RequestStatus.UNMATCHED,
                by=None,
                reason=scoring.describe_exclusions(exclusions)[:500],
            )
    return created


def _rank_candidates(
    support_request: SupportRequest,
    policy: MatchingPolicy,
    today: date,
    *,
    exclude_expert_ids: Iterable[int],
) -> scoring.Ranking:
    """The request's candidates (narrowed in the database), scored and ranked."""
    experts = selectors.candidate_experts(
        support_request=support_request,
        policy=policy,
        today=today,
        exclude_expert_ids=exclude_expert_ids,
    )
    return scoring.rank(
        selectors.request_facts(
            requests=SupportRequest.objects.filter(pk=support_request.pk), today=today
        )[0],
        selectors.expert_facts(
            experts=experts, today=today, horizon_weeks=policy.availability_weeks
        ),
        policy.scoring_policy(),
        today,
    )

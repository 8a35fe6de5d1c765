"""Reads for matching: the active policy, candidate experts narrowed in the database, the
facts the pure scoring needs (built in a fixed number of queries, however many rows), and
proposal and run querysets scoped to the caller."""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from django.db.models import (
    Count,
    Exists,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from accounts.access import CallerScope, caller_scope
from accounts.models import User
from exchange.constants import LONDON, MAX_TRAVEL_KM
from exchange.enums import (
    IN_PERSON_FORMATS,
    LEVEL_RANK,
    ExceptionKind,
    RequestStatus,
    VerificationStatus,
)
from exchange.models import (
    ACCEPTING_WORK,
    FORMAT_FLAGS,
    PHASE_FLAGS,
    AvailabilityException,
    AvailabilityWindow,
    Credential,
    ExpertProfile,
    PreferredWindow,
    Specialism,
    SupportRequest,
)
from exchange.selectors import closed_days_by_school
from matching import access
from matching.enums import ProposalStatus, RunStatus
from matching.models import MatchingPolicy, MatchingRun, Proposal, UnmatchedRequest
from matching.scoring import Exclusion, ExpertFacts, RequestFacts, acceptable_formats

# Requests a matching round (or a retry) may serve: not yet proposed to anyone.
WAITING_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.MATCHING, RequestStatus.UNMATCHED)
# The furthest any expert travels for a visit (the profile's validator): the outer bounding box.
# Fairness across schools counts the sessions a school was given in this many days.
SCHOOL_FAIRNESS_DAYS = 90
# A round still "running" after this long died with its worker.
STALE_RUN = timedelta(minutes=30)


def local_today() -> date:
    return timezone.localdate(timezone=LONDON)


def month_start(today: date) -> datetime:
    return datetime.combine(today.replace(day=1), time.min, tzinfo=LONDON)


def matching_policy_active() -> MatchingPolicy:
    policy = MatchingPolicy.objects.filter(is_active=True).first()
    if policy is None:
        # The data migration creates version 1; this only guards a hand-emptied table.
        policy, _ = MatchingPolicy.objects.get_or_create(version=1, defaults={"is_active": True})
    return policy


# --- capacity -----------------------------------------------------------------------------


def holds_filter(today: date, prefix: str = "") -> Q:
    """Proposals that hold a unit of an expert's capacity this month: undecided ones, and
    ones accepted this month."""
    return Q(**{f"{prefix}status": ProposalStatus.PROPOSED}) | Q(
        **{
            f"{prefix}status": ProposalStatus.ACCEPTED,
            f"{prefix}decided_at__gte": month_start(today),
        }
    )


def expert_loads(*, expert_ids: Iterable[int] | Expression, today: date) -> dict[int, int]:
    """Holds per expert this month; ``expert_ids`` may also be a subquery expression."""
    ids = expert_ids if isinstance(expert_ids, Expression) else list(expert_ids)
    rows = (
        Proposal.objects.filter(holds_filter(today), expert_id__in=ids)
        .values("expert_id")
        .annotate(n=Count("id"))
        .values_list("expert_id", "n")
    )
    return dict(rows)


def _load_subquery(today: date) -> Subquery:
    return Subquery(
        Proposal.objects.filter(holds_filter(today), expert_id=OuterRef("pk"))
        .order_by()
        .values("expert_id")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )


def experts_accepting_work(*, today: date) -> QuerySet[ExpertProfile]:
    """Verified, unsuspended, unpaused experts with capacity left this month."""
    return (
        ExpertProfile.objects.accepting_work()
        .annotate(load=Coalesce(_load_subquery(today), 0))
        .filter(load__lt=F("sessions_per_month"))
    )


def candidate_experts(
    *,
    support_request: SupportRequest,
    policy: MatchingPolicy,
    today: date,
    exclude_expert_ids: Iterable[int] = (),
) -> QuerySet[ExpertProfile]:
    """A coarse superset, narrowed in the database, of the experts who could take the
    request: accepting work with capacity left, not at its school (unless the policy
    allows it), covering one of its needs, serving its phase, offering an acceptable
    format, and inside a bounding box on the British National Grid around the school.

    It only saves reading and scoring experts who cannot fit; it decides nothing. It never
    drops an expert the scoring would accept (a property tested in
    ``tests/matching/test_prefilter.py``), and scoring then applies every hard constraint
    exactly (``scoring.HARD_CONSTRAINTS`` and the delivery format's rules)."""
    experts: QuerySet[ExpertProfile] = ExpertProfile.objects.exclude(
        pk__in=list(exclude_expert_ids)
    )
    if not policy.allow_own_school:
        experts = experts.exclude(school_id=support_request.school_id)
    for _, narrow in _candidate_stages(support_request, policy, today):
        experts = narrow(experts)
    return experts


def candidate_funnel(
    *,
    support_request: SupportRequest,
    policy: MatchingPolicy,
    today: date,
    exclude_expert_ids: Iterable[int] = (),
) -> Counter[str]:
    """How many experts each of ``candidate_experts``' database narrowing steps removed (an
    ``Exclusion`` code each): the reasons a request had no candidate at all, in one count
    query per step. Experts in ``exclude_expert_ids`` (proposed for it before) are counted
    last, as their own reason. Coarse, as the narrowing is: an expert outside the bounding
    box is counted as beyond reach even when a closer look would find another reason."""
    experts = ExpertProfile.objects.all()
    before = experts.count()
    removed: Counter[str] = Counter()
    excluded = list(exclude_expert_ids)
    stages = [
        *_candidate_stages(support_request, policy, today),
        (Exclusion.PROPOSED_BEFORE, lambda qs: qs.exclude(pk__in=excluded)),
    ]
    for reason, narrow in stages:
        experts = narrow(experts)
        after = experts.count()
        removed[reason] += before - after
        before = after
    return +removed


Narrowing = Callable[[QuerySet[ExpertProfile]], QuerySet[ExpertProfile]]


def _candidate_stages(
    support_request: SupportRequest, policy: MatchingPolicy, today: date
) -> list[tuple[str, Narrowing]]:
    """``candidate_experts``' narrowing steps, each looser than (or equal to) the hard
    constraint it is named after. The needs include the primary need, as the scoring's do."""
    need_ids = {
        *support_request.needs.values_list("pk", flat=True),
        support_request.primary_need_id,
    }
    formats = acceptable_formats(support_request.format, support_request.video_acceptable)
    stages: list[tuple[str, Narrowing]] = [
        (
            Exclusion.NOT_ACCEPTING,
            lambda qs: qs.filter(ACCEPTING_WORK),
        ),
        (
            Exclusion.NO_CAPACITY,
            lambda qs: qs.annotate(load=Coalesce(_load_subquery(today), 0)).filter(
                load__lt=F("sessions_per_month")
            ),
        ),
        (
            Exclusion.NO_NEED_OVERLAP,
            lambda qs: qs.filter(
                Exists(Specialism.objects.filter(expert=OuterRef("pk"), need_id__in=need_ids))
            ),
        ),
        (Exclusion.PHASE, lambda qs: qs.filter(**{PHASE_FLAGS[support_request.phase]: True})),
        (Exclusion.FORMAT, lambda qs: qs.filter(_any_flag(FORMAT_FLAGS[f] for f in formats))),
    ]
    return stages + _reach_stages(support_request, policy, formats)


def _reach_stages(
    support_request: SupportRequest, policy: MatchingPolicy, formats: Sequence[str]
) -> list[tuple[str, Narrowing]]:
    """Bounding boxes around the school (none when its location is unknown): the policy's
    video reach for a remote format, the furthest anyone travels for a visit, and, when
    only visits will do, each expert's own travel distance. A remote format also reaches an
    expert whose school's location is unknown, as the scoring lets it."""
    school = support_request.school
    if school.easting is None or school.northing is None:
        return []
    east, north = school.easting, school.northing
    remote = any(f not in IN_PERSON_FORMATS for f in formats)
    in_person = any(f in IN_PERSON_FORMATS for f in formats)
    reach_m = max(policy.video_reach_km if remote else 0, MAX_TRAVEL_KM if in_person else 0)
    reach_m *= 1000
    inside = Q(
        school__easting__range=(east - reach_m, east + reach_m),
        school__northing__range=(north - reach_m, north + reach_m),
    )
    if remote:
        inside |= Q(school__easting__isnull=True) | Q(school__northing__isnull=True)
    stages: list[tuple[str, Narrowing]] = [
        (Exclusion.OUT_OF_REACH if remote else Exclusion.TOO_FAR, lambda qs: qs.filter(inside))
    ]
    if not remote:
        # Each expert's own travel distance, still as a box: the exact circle is scoring's.
        travel_m = F("max_travel_km") * 1000
        stages.append(
            (
                Exclusion.TOO_FAR,
                lambda qs: qs.filter(
                    school__easting__gte=east - travel_m,
                    school__easting__lte=east + travel_m,
                    school__northing__gte=north - travel_m,
                    school__northing__lte=north + travel_m,
                ),
            )
        )
    return stages


def _any_flag(flags: Iterable[str]) -> Q:
    condition = Q()
    for flag in flags:
        condition |= Q(**{flag: True})
    return condition


# --- facts for scoring --------------------------------------------------------------------


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def expert_facts(
    *, experts: QuerySet[ExpertProfile], today: date, horizon_weeks: int
) -> list[ExpertFacts]:
    """Scoring facts for the experts, in six queries however many there are."""
    rows = list(
        experts.values(
            "pk",
            "school_id",
            "school__trust_id",
            "school__easting",
            "school__northing",
            "is_verified",
            "is_suspended",
            "is_paused",
            "age_min",
            "age_max",
            "max_travel_km",
            "safeguarding_expires_on",
            "sessions_per_month",
            # The track record the knowledge app keeps (a left join: none, no feedback yet).
            "track_record__feedback_sum",
            "track_record__feedback_count",
            "track_record__reviews_count",
            "track_record__reviews_met_count",
            *FORMAT_FLAGS.values(),
            *PHASE_FLAGS.values(),
        )
    )
    ids = [row["pk"] for row in rows]
    # The same experts as a subquery: thousands of ids bound one by one cost more to send
    # and parse than the server takes to select them again.
    same = experts.order_by().values("pk")
    needs, topics = _specialism_levels(same)
    credentials = _verified_credentials(same)
    windows = _weekly_windows(same)
    horizon_end = today + timedelta(weeks=horizon_weeks)
    days_off = _whole_days_off(same, today, horizon_end)
    # Nor can they work when their school is closed: its term calendar's holidays and INSET
    # days, and its own.
    closed = closed_days_by_school(
        school_ids={row["school_id"] for row in rows}, start=today, end=horizon_end
    )
    loads = expert_loads(expert_ids=ids, today=today)
    return [
        ExpertFacts(
            id=row["pk"],
            school_urn=row["school_id"],
            trust_id=row["school__trust_id"],
            easting=row["school__easting"],
            northing=row["school__northing"],
            is_verified=row["is_verified"],
            is_suspended=row["is_suspended"],
            is_paused=row["is_paused"],
            formats=frozenset(f for f, flag in FORMAT_FLAGS.items() if row[flag]),
            phases=frozenset(p for p, flag in PHASE_FLAGS.items() if row[flag]),
            age_min=row["age_min"],
            age_max=row["age_max"],
            max_travel_km=row["max_travel_km"],
            need_levels=needs[row["pk"]],
            topic_levels=topics[row["pk"]],
            verified_credentials=frozenset(credentials[row["pk"]]),
            safeguarding_expires_on=row["safeguarding_expires_on"],
            capacity=row["sessions_per_month"],
            load=loads.get(row["pk"], 0),
            weekly_windows=tuple(windows[row["pk"]]),
            unavailable_dates=closed.get(row["school_id"], frozenset()) | days_off[row["pk"]],
            feedback_sum=row["track_record__feedback_sum"] or 0.0,
            feedback_count=row["track_record__feedback_count"] or 0,
            outcome_reviews=row["track_record__reviews_count"] or 0,
            outcomes_met=row["track_record__reviews_met_count"] or 0,
        )
        for row in rows
    ]


# The experts as a subquery of their ids (``.values("pk")``).
Experts = QuerySet[ExpertProfile, Any]


def _specialism_levels(experts: Experts) -> tuple[dict[int, dict[str, int]], ...]:
    """Each expert's need codes and topic slugs, with their level's rank."""
    needs: dict[int, dict[str, int]] = defaultdict(dict)
    topics: dict[int, dict[str, int]] = defaultdict(dict)
    for expert_id, need_code, topic_slug, level in Specialism.objects.filter(
        expert_id__in=experts
    ).values_list("expert_id", "need__code", "topic__slug", "level"):
        if need_code:
            needs[expert_id][need_code] = LEVEL_RANK[level]
        else:
            topics[expert_id][topic_slug] = LEVEL_RANK[level]
    return needs, topics


def _verified_credentials(experts: Experts) -> dict[int, set[str]]:
    credentials: dict[int, set[str]] = defaultdict(set)
    for expert_id, kind in Credential.objects.filter(
        expert_id__in=experts, status=VerificationStatus.VERIFIED
    ).values_list("expert_id", "kind"):
        credentials[expert_id].add(kind)
    return credentials


def _weekly_windows(experts: Experts) -> dict[int, list[tuple[int, int, int]]]:
    """``(weekday, start minute, end minute)`` of each expert's weekly availability."""
    windows: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for expert_id, weekday, start, end in AvailabilityWindow.objects.filter(
        expert_id__in=experts
    ).values_list("expert_id", "weekday", "start_time", "end_time"):
        windows[expert_id].append((weekday, _minutes(start), _minutes(end)))
    return windows


def _whole_days_off(experts: Experts, start: date, end: date) -> dict[int, set[date]]:
    days_off: dict[int, set[date]] = defaultdict(set)
    for expert_id, day in AvailabilityException.objects.filter(
        expert_id__in=experts,
        kind=ExceptionKind.UNAVAILABLE,
        start_time__isnull=True,
        date__range=(start, end),
    ).values_list("expert_id", "date"):
        days_off[expert_id].add(day)
    return days_off


def ages_of_year_groups(year_groups: Sequence[int]) -> tuple[int, ...]:
    """Reception (0) pupils are 4–5; year N pupils are N+4 to N+5."""
    return tuple(sorted({age for year in year_groups for age in (year + 4, year + 5)}))


def request_facts(*, requests: QuerySet[SupportRequest], today: date) -> list[RequestFacts]:
    """Scoring facts for the requests, in five queries however many there are."""
    rows = list(
        requests.values(
            "pk",
            "school_id",
            "school__trust_id",
            "school__easting",
            "school__northing",
            "primary_need__code",
            "phase",
            "year_groups",
            "format",
            "video_acceptable",
            "urgency",
            "submitted_at",
        )
    )
    # The same requests as a subquery (see ``expert_facts``).
    same = requests.order_by().values("pk")
    needs: dict[int, set[str]] = defaultdict(set)
    for request_id, code in SupportRequest.needs.through.objects.filter(
        supportrequest_id__in=same
    ).values_list("supportrequest_id", "need__code"):
        needs[request_id].add(code)
    topics: dict[int, set[str]] = defaultdict(set)
    for request_id, slug in SupportRequest.topics.through.objects.filter(
        supportrequest_id__in=same
    ).values_list("supportrequest_id", "topic__slug"):
        topics[request_id].add(slug)
    windows: dict[int, list[tuple[date, int, int]]] = defaultdict(list)
    for request_id, day, start, end in PreferredWindow.objects.filter(
        request_id__in=same, date__gte=today
    ).values_list("request_id", "date", "start_time", "end_time"):
        windows[request_id].append((day, _minutes(start), _minutes(end)))
    received = school_sessions_received(
        school_ids=requests.order_by().values("school_id"), today=today
    )
    return [
        RequestFacts(
            id=row["pk"],
            school_urn=row["school_id"],
            trust_id=row["school__trust_id"],
            easting=row["school__easting"],
            northing=row["school__northing"],
            primary_need=row["primary_need__code"],
            needs=frozenset(needs[row["pk"]] | {row["primary_need__code"]}),
            topics=frozenset(topics[row["pk"]]),
            phase=row["phase"],
            ages=ages_of_year_groups(row["year_groups"] or []),
            format=row["format"],
            video_acceptable=row["video_acceptable"],
            urgency=row["urgency"],
            days_waiting=(
                (today - timezone.localdate(row["submitted_at"], timezone=LONDON)).days
                if row["submitted_at"]
                else 0
            ),
            preferred_windows=tuple(windows[row["pk"]]),
            school_sessions_received=received.get(row["school_id"], 0),
        )
        for row in rows
    ]


def school_sessions_received(
    *, school_ids: Iterable[int] | QuerySet[Any, Any], today: date
) -> dict[int, int]:
    """Accepted proposals per school over the fairness window (sessions, once booked)."""
    since = month_start(today) - timedelta(days=SCHOOL_FAIRNESS_DAYS)
    rows = (
        Proposal.objects.filter(
            status=ProposalStatus.ACCEPTED,
            decided_at__gte=since,
            request__school_id__in=(
                school_ids if isinstance(school_ids, QuerySet) else list(school_ids)
            ),
        )
        .values("request__school_id")
        .annotate(n=Count("id"))
        .values_list("request__school_id", "n")
    )
    return dict(rows)


def proposed_pairs(*, requests: QuerySet[SupportRequest]) -> tuple[np.ndarray, np.ndarray]:
    """Every (request, expert) pair that already has a proposal, of any status, for the
    requests: (request ids, expert ids) as two parallel arrays, in one query. A round never
    proposes such a pair again (declined, expired or withdrawn)."""
    rows = Proposal.objects.filter(request_id__in=requests.order_by().values("pk")).values_list(
        "request_id", "expert_id"
    )
    pairs = np.array(list(rows), dtype=np.int64).reshape(-1, 2)
    return pairs[:, 0].copy(), pairs[:, 1].copy()


def matching_run_outcome(*, run: MatchingRun, score_scale: int) -> tuple[int, int]:
    """What a round actually wrote: how many requests it recorded as unmatched, and the sum
    of its proposals' scores, each × ``score_scale`` and rounded as the solver counts it."""
    objective = Proposal.objects.filter(run=run).aggregate(
        total=Sum(Round(F("score") * score_scale))
    )["total"]
    unmatched = UnmatchedRequest.objects.filter(run=run).count()
    return unmatched, round(objective or 0)


def waiting_requests() -> QuerySet[SupportRequest]:
    """Requests waiting for an expert with no live proposal: what a matching round serves."""
    live = Proposal.objects.filter(
        request_id=OuterRef("pk"),
        status__in=(ProposalStatus.PROPOSED, ProposalStatus.ACCEPTED),
    )
    return SupportRequest.objects.filter(status__in=WAITING_STATUSES).exclude(Exists(live))


# --- scoped reads for the API ---------------------------------------------------------------


def proposals_visible_to(
    *, user: User, answering: bool = False, scope: CallerScope | None = None
) -> QuerySet[Proposal]:
    """The proposals the caller sees (``access.proposal_visibility``), with their requests;
    ``answering``: those they may accept or decline too (``access.proposal_answer_visibility``),
    so the answer to a proposal no longer open is its 409, and a decline shows its result.
    ``scope``: the caller's, when the view has read it already."""
    proposals = Proposal.objects.select_related(
        "expert__school", "request__school", "request__primary_need", "policy"
    ).prefetch_related("request__needs", "request__topics", "request__preferred_windows")
    scope = scope or caller_scope(user=user)
    visibility = access.proposal_answer_visibility if answering else access.proposal_visibility
    return proposals.filter(visibility(scope))


def proposals_of_request(
    *, support_request: SupportRequest | int, user: User, scope: CallerScope | None = None
) -> QuerySet[Proposal]:
    return proposals_visible_to(user=user, scope=scope).filter(request=support_request)


def matching_policies() -> QuerySet[MatchingPolicy]:
    return MatchingPolicy.objects.order_by("-version")


def matching_round_running() -> MatchingRun | None:
    """The round running now, if any (one that died with its worker does not count)."""
    return MatchingRun.objects.filter(
        status=RunStatus.RUNNING, started_at__gte=timezone.now() - STALE_RUN
    ).first()


def matching_runs() -> QuerySet[MatchingRun]:
    return MatchingRun.objects.select_related("policy", "triggered_by")

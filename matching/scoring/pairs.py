"""A pair's facts by name (``Pairs``): the protocol every rule reads, and ``PairFacts``, its
shape for one pair of plain numbers (``vectorised.TableView`` is the arrays' shape)."""

import math
from collections.abc import Sequence
from datetime import date
from typing import Protocol

from exchange.enums import IN_PERSON_FORMATS
from matching.scoring.arrays import Value, grid_distance_km
from matching.scoring.derived import (
    acceptable_formats,
    accepts_work,
    capacity_share,
    feedback_value,
    free_time_value,
    is_format_asked,
    is_safeguarded,
    preferred_fits,
    required_qualification,
    school_share,
    trust_code,
    urgency_value,
    usable_needs,
    wanted_times,
    weighted_needs,
)
from matching.scoring.facts import DEFAULT_POLICY, ExpertFacts, RequestFacts, ScoringPolicy


class Pairs(Protocol):
    """What the rules read of a pair: numbers for one pair (``PairFacts``), or parallel
    NumPy arrays for many (``vectorised.TableView``). Absent items read as 0 or False:
    a need the expert does not cover has level 0."""

    @property
    def policy(self) -> ScoringPolicy: ...
    @property
    def accepting(self) -> Value: ...  # ``accepts_work``
    @property
    def remaining(self) -> Value: ...  # sessions left this month
    @property
    def expert_school(self) -> Value: ...
    @property
    def request_school(self) -> Value: ...
    @property
    def expert_trust(self) -> Value: ...  # ``trust_code``
    @property
    def request_trust(self) -> Value: ...
    @property
    def qualification_required(self) -> Value: ...  # ``required_qualification`` is set
    @property
    def qualification_held(self) -> Value: ...  # the expert has that one, verified
    @property
    def need_importance(self) -> Sequence[Value]: ...  # ``weighted_needs``, need by need
    @property
    def need_levels(self) -> Sequence[Value]: ...  # the ``usable_needs`` level of each
    @property
    def need_total(self) -> Value: ...  # the sum of the importances
    @property
    def serves_phase(self) -> Value: ...
    @property
    def format_slots(self) -> Sequence[tuple[Value, Value]]: ...  # (offered, in person)
    @property
    def safeguarded(self) -> Value: ...  # ``is_safeguarded``
    @property
    def distance(self) -> Value: ...  # km, NaN when unknown
    @property
    def travel(self) -> Value: ...  # the expert's travel distance for visits, km
    @property
    def topic_levels(self) -> Sequence[Value]: ...  # each named topic's level (code order)
    @property
    def topic_count(self) -> Value: ...
    @property
    def ages(self) -> Sequence[Value]: ...
    @property
    def age_count(self) -> Value: ...
    @property
    def age_min(self) -> Value: ...
    @property
    def age_max(self) -> Value: ...
    @property
    def wanted_count(self) -> Value: ...  # how many ``wanted_times``
    @property
    def fits(self) -> Value: ...  # ``preferred_fits`` of them
    @property
    def free_value(self) -> Value: ...  # ``free_time_value``
    @property
    def urgency(self) -> Value: ...  # ``urgency_value``
    @property
    def feedback(self) -> Value: ...  # ``feedback_value``
    @property
    def capacity_share(self) -> Value: ...
    @property
    def school_share(self) -> Value: ...
    def asked_for(self, delivery: Value) -> Value: ...  # ``is_format_asked``
    def visits(self, delivery: Value) -> Value: ...  # the delivery format is in person


class PairFacts:
    """One pair's facts as ``Pairs``: plain numbers, read from the dataclasses at once.
    Those that depend on the day (safeguarding, availability) are read only when ``today``
    is given: the delivery format and availability need it."""

    safeguarded: bool
    wanted: list[tuple[int, int, int, bool]]  # ``wanted_times`` as (weekday, start, end, off)
    wanted_count: int
    fits: int
    free_value: float

    def __init__(
        self,
        request: RequestFacts,
        expert: ExpertFacts,
        policy: ScoringPolicy = DEFAULT_POLICY,
        today: date | None = None,
    ) -> None:
        self.request, self.expert, self.policy = request, expert, policy
        self.accepting = accepts_work(expert)
        self.remaining = expert.remaining
        self.expert_school, self.request_school = expert.school_urn, request.school_urn
        self.expert_trust = trust_code(expert.trust_id)
        self.request_trust = trust_code(request.trust_id)
        required = required_qualification(request)
        self.qualification_required = required is not None
        self.qualification_held = required in expert.verified_credentials
        self.serves_phase = request.phase in expert.phases
        self.weighted_needs = weighted_needs(request)
        self.need_importance = [importance for _, importance in self.weighted_needs]
        self.need_total = sum(self.need_importance)
        usable = usable_needs(expert)
        self.need_levels = [usable.get(code, 0) for code, _ in self.weighted_needs]
        self.formats = acceptable_formats(request.format, request.video_acceptable)
        r, e = request, expert
        self.distance: float = math.nan  # unknown
        if not (r.easting is None or r.northing is None or e.easting is None or e.northing is None):
            self.distance = grid_distance_km(r.easting - e.easting, r.northing - e.northing)
        self.travel = expert.max_travel_km
        self.topics = sorted(request.topics)
        self.topic_count = len(self.topics)
        self.ages, self.age_count = request.ages, len(request.ages)
        self.age_min, self.age_max = expert.age_min, expert.age_max
        self.urgency, self.feedback = urgency_value(request), feedback_value(expert)
        self.capacity_share, self.school_share = capacity_share(expert), school_share(request)
        if today is not None:
            self._read_dated(today)

    def _read_dated(self, today: date) -> None:
        expert, policy = self.expert, self.policy
        self.safeguarded = is_safeguarded(expert, today)
        days_off = expert.unavailable_dates
        self.wanted = [
            (day.weekday(), start, end, day in days_off)
            for day, start, end in wanted_times(self.request, today, policy.availability_weeks)
        ]
        self.wanted_count = len(self.wanted)
        self.fits = preferred_fits(self.wanted, expert.weekly_windows, policy.session_minutes)
        self.free_value = free_time_value(expert, policy, today)

    @property
    def format_slots(self) -> list[tuple[bool, bool]]:
        return [(f in self.expert.formats, f in IN_PERSON_FORMATS) for f in self.formats]

    @property
    def topic_levels(self) -> list[int]:
        return [self.expert.topic_levels.get(slug, 0) for slug in self.topics]

    def asked_for(self, delivery: str) -> bool:
        return is_format_asked(self.request.format, delivery)

    def visits(self, delivery: str) -> bool:
        return delivery in IN_PERSON_FORMATS

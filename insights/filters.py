"""The analytics filters: what a caller narrows the figures to, as a plain value.

Every figure concerns the **requests submitted in the period** (their ``submitted_at``, in
Europe/London) except supply, which concerns experts and the sessions held in the period.
``AnalyticsFilters`` is built from the query string by ``insights.serializers``; the
selectors turn it into ``Q`` objects across whatever relation leads to the request or the
expert (``prefix``), so each rule is written once.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q

from exchange.constants import LONDON
from exchange.enums import EducationPhase
from exchange.models import PHASE_FLAGS, Specialism, SupportRequest


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC-aware datetimes; either end may be open."""

    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def from_dates(cls, first: date | None, last: date | None) -> "Period":
        """From the first day to the last day, both included, in Europe/London."""

        def midnight(day: date) -> datetime:
            return datetime.combine(day, time(), tzinfo=LONDON)

        return cls(
            start=midnight(first) if first else None,
            end=midnight(last + timedelta(days=1)) if last else None,
        )

    def q(self, path: str) -> Q:
        q = Q()
        if self.start is not None:
            q &= Q(**{f"{path}__gte": self.start})
        if self.end is not None:
            q &= Q(**{f"{path}__lt": self.end})
        return q

    def months(self) -> list[str] | None:
        """Every month the period touches (``YYYY-MM``), or None when it is open."""
        if self.start is None or self.end is None:
            return None
        first = self.start.astimezone(LONDON)
        last = (self.end - timedelta(microseconds=1)).astimezone(LONDON)
        return month_range(f"{first:%Y-%m}", f"{last:%Y-%m}")


def month_range(first: str, last: str) -> list[str]:
    """``YYYY-MM`` keys from ``first`` to ``last`` inclusive."""
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass(frozen=True)
class AnalyticsFilters:
    """Narrowing shared by every analytics figure; an empty tuple means "any"."""

    period: Period = field(default_factory=Period)
    needs: tuple[str, ...] = ()
    broad_areas: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    phases: tuple[str, ...] = ()
    las: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    def requests(self, prefix: str = "") -> Q:
        """The submitted requests these filters keep, across ``prefix`` (``"request__"``)."""
        q = Q(**{f"{prefix}submitted_at__isnull": False}) & self.period.q(f"{prefix}submitted_at")
        q &= _school(self, f"{prefix}school__")
        if self.needs:
            q &= Q(**{f"{prefix}primary_need__code__in": self.needs})
        if self.broad_areas:
            q &= Q(**{f"{prefix}primary_need__broad_area__in": self.broad_areas})
        if self.phases:
            q &= Q(**{f"{prefix}phase__in": self.phases})
        if self.topics:
            # A subquery, not a join: a request with two chosen topics is still one request.
            topical = SupportRequest.topics.through.objects.filter(topic__slug__in=self.topics)
            q &= Q(**{f"{prefix}pk__in": topical.values("supportrequest_id")})
        return q

    def experts(self, prefix: str = "") -> Q:
        """The experts these filters keep (their home school, specialisms and phases),
        across ``prefix`` (``"expert__"`` on sessions). The period is not applied here."""
        q: Any = _school(self, f"{prefix}school__")
        expert = f"{prefix.removesuffix('__')}_id" if prefix else "pk"
        specialisms = Specialism.objects.filter(expert_id=OuterRef(expert))
        if self.needs:
            q &= Exists(specialisms.filter(need__code__in=self.needs))
        if self.broad_areas:
            q &= Exists(specialisms.filter(need__broad_area__in=self.broad_areas))
        if self.topics:
            q &= Exists(specialisms.filter(topic__slug__in=self.topics))
        if self.phases:
            serves = Q()
            for phase in self.phases:
                serves |= Q(**{f"{prefix}{PHASE_FLAGS[EducationPhase(phase)]}": True})
            q &= serves
        return q


def _school(filters: AnalyticsFilters, prefix: str) -> Q:
    q = Q()
    if filters.las:
        q &= Q(**{f"{prefix}local_authority__code__in": filters.las})
    if filters.regions:
        q &= Q(**{f"{prefix}region__in": filters.regions})
    return q

"""School terms, defined once (docs/analytics.md, *School terms*), by month: term dates
have no national source (LAs and trusts set their own, and our term calendars hold only
closures). Autumn September to
December, spring January to March, summer April to August. Easter moves between late March
and late April, so a request in the week after Easter can fall on either side; August has no
teaching, and its requests (few) count in summer. Capacity counts teaching months only
(``TEACHING_MONTHS``: 4, 3 and 4).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Case, IntegerField, QuerySet, Value, When

from insights.projection import TERMS_PER_YEAR, Term

LONDON = ZoneInfo("Europe/London")
TERM_START_MONTHS = {Term.AUTUMN: 9, Term.SPRING: 1, Term.SUMMER: 4}
TEACHING_MONTHS = {Term.AUTUMN: 4, Term.SPRING: 3, Term.SUMMER: 4}


@dataclass(frozen=True, order=True)
class SchoolTerm:
    """A term of a school year, numbered consecutively: ``index = year × 3 + term``, where
    ``year`` is the calendar year the school year starts in (2026 for 2026/27)."""

    index: int

    @classmethod
    def of(cls, day: date) -> "SchoolTerm":
        if day.month >= TERM_START_MONTHS[Term.AUTUMN]:
            return cls(day.year * TERMS_PER_YEAR + Term.AUTUMN)
        term = Term.SPRING if day.month < TERM_START_MONTHS[Term.SUMMER] else Term.SUMMER
        return cls((day.year - 1) * TERMS_PER_YEAR + term)

    @property
    def school_year(self) -> int:
        return self.index // TERMS_PER_YEAR

    @property
    def term(self) -> Term:
        return Term(self.index % TERMS_PER_YEAR)

    @property
    def starts_on(self) -> date:
        year = self.school_year + (self.term != Term.AUTUMN)
        return date(year, TERM_START_MONTHS[self.term], 1)

    @property
    def ends_on(self) -> date:
        return (self + 1).starts_on - timedelta(days=1)

    @property
    def school_year_label(self) -> str:
        return f"{self.school_year}/{(self.school_year + 1) % 100:02d}"

    @property
    def label(self) -> str:
        return f"{self.term.name.title()} {self.starts_on.year}"

    def __add__(self, steps: int) -> "SchoolTerm":
        return SchoolTerm(self.index + steps)

    def start_datetime(self) -> datetime:
        return datetime.combine(self.starts_on, datetime.min.time(), tzinfo=LONDON)


def with_term(queryset: QuerySet, field_name: str, first: SchoolTerm, last: SchoolTerm) -> QuerySet:
    """Annotates ``term``: ``SchoolTerm.of(field).index`` for rows from ``first`` to ``last``
    (the caller filters to them), for grouping by term in the database. Compared with each
    term's start, an aware Europe/London midnight (clock changes included): plain timestamp
    comparisons, several times faster on PostgreSQL than extracting the month in the time
    zone (numeric arithmetic on every row)."""
    whens = [
        When(**{f"{field_name}__lt": (term + 1).start_datetime()}, then=Value(term.index))
        for term in (SchoolTerm(index) for index in range(first.index, last.index))
    ]
    return queryset.annotate(
        term=Case(*whens, default=Value(last.index), output_field=IntegerField())
    )

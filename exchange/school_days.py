"""Counting school days: weekdays that are not bank holidays in England, nor any of the
``closed`` days a caller passes (a school's holidays and INSET days, from its term calendar:
``exchange.selectors.closed_days_by_school``).
"""

from collections.abc import Collection
from datetime import date, timedelta
from functools import cache

import holidays


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    # Always pass the subdivision: Scotland and Northern Ireland have other bank holidays.
    return frozenset(holidays.UK(subdiv="ENG", years=year))


def is_school_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_school_days(start: date, days: int, closed: Collection[date] = frozenset()) -> date:
    """The date ``days`` school days after ``start`` (which need not be a school day),
    skipping ``closed`` days too."""
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_school_day(day) and day not in closed:
            counted += 1
    return day

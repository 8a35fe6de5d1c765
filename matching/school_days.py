"""Counting school days: weekdays that are not bank holidays in England.

School holidays and INSET days come from term calendars, which scheduling adds; deadlines
counted here (a proposal's expiry) only need to skip weekends and bank holidays.
"""

from datetime import date, timedelta
from functools import cache

import holidays


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    # Always pass the subdivision: Scotland and Northern Ireland have other bank holidays.
    return frozenset(holidays.UK(subdiv="ENG", years=year))


def is_school_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_school_days(start: date, days: int) -> date:
    """The date ``days`` school days after ``start`` (which need not be a school day)."""
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_school_day(day):
            counted += 1
    return day

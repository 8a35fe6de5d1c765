"""Counting school days (``exchange.school_days``): weekends, bank holidays in England and a
school's closed days are skipped."""

from datetime import date

from exchange.school_days import add_school_days, is_school_day


def test_weekends_are_not_counted():
    # Friday 4 December 2026 + 1 school day is Monday 7 December.
    assert add_school_days(date(2026, 12, 4), 1) == date(2026, 12, 7)


def test_bank_holidays_in_england_are_not_counted():
    # Thursday 24 December 2026 + 1: Christmas Day (Fri) and Boxing Day substitute (Mon 28).
    assert not is_school_day(date(2026, 12, 25))
    assert add_school_days(date(2026, 12, 24), 1) == date(2026, 12, 29)


def test_a_schools_closed_days_are_not_counted():
    closed = {date(2026, 12, 7), date(2026, 12, 8)}
    assert add_school_days(date(2026, 12, 4), 1, closed) == date(2026, 12, 9)
    assert add_school_days(date(2026, 12, 4), 3, closed) == date(2026, 12, 11)


def test_counting_starts_after_the_start_day_even_when_it_is_closed():
    assert add_school_days(date(2026, 12, 6), 1, {date(2026, 12, 6)}) == date(2026, 12, 7)

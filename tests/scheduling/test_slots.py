"""Slot finding: wall-clock windows in London, school days, notice, horizon, gaps between
sessions (buffer and travel), weekly and monthly limits, preferred windows and ranking.

Pure functions over dataclasses, so no database. ``now`` is always a fixed aware datetime.
Most examples use the weeks after Wednesday 25 November 2026 (GMT); the clock changes are
on Sunday 25 October 2026 and Sunday 28 March 2027.
"""

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from math import hypot

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from exchange.school_days import is_school_day
from scheduling.slots import (
    LONDON,
    Commitment,
    DatedWindow,
    Slot,
    SlotQuery,
    SlotRules,
    WeeklyWindow,
    find_slots,
    notice_deadline,
)

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=LONDON)  # a Wednesday
HOUR = timedelta(hours=1)
RULES = SlotRules(min_notice_school_days=0, buffer=timedelta(minutes=15), max_slots=3)
NINE_TO_TEN = tuple(WeeklyWindow(weekday, time(9), time(10)) for weekday in range(5))
NINE_TO_FIVE = tuple(WeeklyWindow(weekday, time(9), time(17)) for weekday in range(5))
THURSDAYS = (WeeklyWindow(3, time(9), time(17)),)


def query(**changes: object) -> SlotQuery:
    """A one-hour session, the expert free 09:00–17:00 on weekdays, no notice needed."""
    base = SlotQuery(now=NOW, duration=HOUR, weekly=NINE_TO_FIVE, rules=RULES)
    return replace(base, **changes)  # type: ignore[arg-type]


def rules(**changes: object) -> SlotRules:
    return replace(RULES, **changes)  # type: ignore[arg-type]


def local(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), tzinfo=LONDON)


def starts(slots: list[Slot]) -> list[str]:
    """Local start times, readable in assertions."""
    return [slot.start.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") for slot in slots]


def commitment(
    day: str, start: int, end: int, location: tuple[int, int] | None = None
) -> Commitment:
    return Commitment(local(day, start), local(day, end), location)


# --- Windows and wall-clock time -------------------------------------------------------


def test_slot_lies_inside_weekly_window_from_first_allowed_day() -> None:
    slots = find_slots(
        query(
            weekly=(WeeklyWindow(4, time(13), time(15)),),
            rules=rules(min_notice_school_days=2),
        )
    )
    assert starts(slots) == ["2026-11-27 13:00", "2026-12-04 13:00", "2026-12-11 13:00"]
    assert all(slot.end - slot.start == HOUR for slot in slots)
    assert not any(slot.preferred for slot in slots)


def test_slots_are_utc_and_nine_local_in_gmt_week() -> None:
    [slot] = find_slots(query(weekly=NINE_TO_TEN, rules=rules(max_slots=1)))
    assert slot.start.utcoffset() == timedelta(0)
    assert slot.start == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert slot.end == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_slots_are_utc_and_nine_local_in_bst_week() -> None:
    now = datetime(2026, 6, 10, 10, 0, tzinfo=LONDON)
    [slot] = find_slots(query(now=now, weekly=NINE_TO_TEN, rules=rules(max_slots=1)))
    assert slot.start.utcoffset() == timedelta(0)
    assert slot.start == datetime(2026, 6, 11, 8, 0, tzinfo=UTC)
    assert starts([slot]) == ["2026-06-11 09:00"]


def test_spring_clock_change_keeps_nine_local_in_week_of_28_march_2027() -> None:
    # Good Friday (26 March) and Easter Monday (29 March) are bank holidays, so the first
    # school day after the change is Tuesday 30 March.
    now = datetime(2027, 3, 24, 10, 0, tzinfo=LONDON)
    slots = find_slots(query(now=now, weekly=NINE_TO_TEN, rules=rules(max_slots=3)))
    assert [slot.start for slot in slots] == [
        datetime(2027, 3, 25, 9, 0, tzinfo=UTC),  # GMT
        datetime(2027, 3, 30, 8, 0, tzinfo=UTC),  # BST
        datetime(2027, 3, 31, 8, 0, tzinfo=UTC),
    ]
    assert starts(slots) == ["2027-03-25 09:00", "2027-03-30 09:00", "2027-03-31 09:00"]


def test_autumn_clock_change_keeps_nine_local_in_week_of_25_october_2026() -> None:
    now = datetime(2026, 10, 22, 10, 0, tzinfo=LONDON)
    slots = find_slots(query(now=now, weekly=NINE_TO_TEN, rules=rules(max_slots=3)))
    assert [slot.start for slot in slots] == [
        datetime(2026, 10, 23, 8, 0, tzinfo=UTC),  # Friday, BST
        datetime(2026, 10, 26, 9, 0, tzinfo=UTC),  # Monday after the change, GMT
        datetime(2026, 10, 27, 9, 0, tzinfo=UTC),
    ]


def test_start_times_follow_local_step_grid() -> None:
    slots = find_slots(
        query(
            weekly=(WeeklyWindow(3, time(9, 10), time(11)),),
            rules=rules(step=timedelta(minutes=20), max_slots=1),
        )
    )
    assert starts(slots) == ["2026-11-26 09:20"]


def test_touching_weekly_windows_join_into_one_free_interval() -> None:
    weekly = (WeeklyWindow(3, time(9), time(10)), WeeklyWindow(3, time(10), time(11)))
    slots = find_slots(query(weekly=weekly, duration=2 * HOUR, rules=rules(max_slots=1)))
    assert starts(slots) == ["2026-11-26 09:00"]


# --- Which days --------------------------------------------------------------------------


def test_christmas_and_boxing_day_bank_holidays_are_skipped() -> None:
    now = datetime(2026, 12, 23, 12, 0, tzinfo=LONDON)
    slots = find_slots(query(now=now, weekly=NINE_TO_TEN))
    # 25 December (Friday) and 28 December (Boxing Day observed) are bank holidays.
    assert starts(slots) == ["2026-12-24 09:00", "2026-12-29 09:00", "2026-12-30 09:00"]


def test_early_may_bank_holiday_is_skipped() -> None:
    now = datetime(2027, 4, 29, 12, 0, tzinfo=LONDON)
    slots = find_slots(query(now=now, weekly=NINE_TO_TEN))
    assert starts(slots) == ["2027-04-30 09:00", "2027-05-04 09:00", "2027-05-05 09:00"]


def test_closed_days_of_either_school_are_skipped() -> None:
    inset_day = {date(2026, 11, 26)}
    term_holiday = {date(2026, 11, 30) + timedelta(days=n) for n in range(5)}
    slots = find_slots(query(weekly=NINE_TO_TEN, closed_days=frozenset(inset_day | term_holiday)))
    assert starts(slots) == ["2026-11-27 09:00", "2026-12-07 09:00", "2026-12-08 09:00"]


def test_weekend_is_skipped_even_when_expert_is_free() -> None:
    every_day = tuple(WeeklyWindow(weekday, time(9), time(10)) for weekday in range(7))
    now = datetime(2026, 11, 27, 12, 0, tzinfo=LONDON)  # Friday, after the window
    slots = find_slots(query(now=now, weekly=every_day, rules=rules(max_slots=1)))
    assert starts(slots) == ["2026-11-30 09:00"]


def test_whole_day_unavailability_skips_the_day() -> None:
    slots = find_slots(query(weekly=NINE_TO_TEN, unavailable=(DatedWindow(date(2026, 11, 26)),)))
    assert starts(slots) == ["2026-11-27 09:00", "2026-11-30 09:00", "2026-12-01 09:00"]


def test_part_day_unavailability_leaves_the_rest_of_the_day() -> None:
    slots = find_slots(
        query(
            weekly=(WeeklyWindow(3, time(9), time(12)),),
            unavailable=(DatedWindow(date(2026, 11, 26), time(9), time(10, 30)),),
            rules=rules(max_slots=1),
        )
    )
    assert starts(slots) == ["2026-11-26 10:30"]


def test_extra_availability_adds_a_day_and_joins_weekly_window() -> None:
    mondays = (WeeklyWindow(0, time(9), time(10)),)
    extra = (
        DatedWindow(date(2026, 11, 26), time(14), time(16)),  # a Thursday
        DatedWindow(date(2026, 11, 30), time(10), time(11)),  # extends Monday's window
    )
    slots = find_slots(query(weekly=mondays, extra=extra, duration=2 * HOUR))
    assert starts(slots) == ["2026-11-26 14:00", "2026-11-30 09:00"]


def test_minimum_notice_counts_school_days_across_weekend() -> None:
    now = datetime(2026, 11, 27, 8, 0, tzinfo=LONDON)  # Friday
    slots = find_slots(query(now=now, rules=rules(min_notice_school_days=2, max_slots=1)))
    assert starts(slots) == ["2026-12-01 09:00"]  # Monday is one, Tuesday two


def test_minimum_notice_counts_school_days_across_bank_holidays() -> None:
    now = datetime(2026, 12, 24, 8, 0, tzinfo=LONDON)
    slots = find_slots(query(now=now, rules=rules(min_notice_school_days=1, max_slots=1)))
    assert starts(slots) == ["2026-12-29 09:00"]


def test_minimum_notice_skips_closed_days() -> None:
    slots = find_slots(
        query(
            closed_days=frozenset({date(2026, 11, 26)}),
            rules=rules(min_notice_school_days=1, max_slots=1),
        )
    )
    assert starts(slots) == ["2026-11-27 09:00"]


def in_london(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("day", "notice", "closed", "deadline"),
    [
        # Two school days' notice for Friday: Wednesday is the last day it can be confirmed.
        ("2026-11-27", 2, (), "2026-11-26 00:00"),
        # Across the weekend: for Monday, Thursday is the last day.
        ("2026-11-30", 2, (), "2026-11-27 00:00"),
        # A closed day (INSET on Friday) does not count as notice.
        ("2026-11-30", 2, ("2026-11-27",), "2026-11-26 00:00"),
        # One day's notice for a Monday: the Sunday before will do.
        ("2026-11-30", 1, (), "2026-11-30 00:00"),
        # New Year's Day (a bank holiday) does not count: Wednesday 30 December is the last.
        ("2027-01-04", 2, (), "2026-12-31 00:00"),
    ],
)
def test_notice_deadline_is_the_end_of_the_last_day_with_enough_notice(
    day: str, notice: int, closed: tuple[str, ...], deadline: str
) -> None:
    q = query(
        rules=rules(min_notice_school_days=notice),
        closed_days=frozenset(date.fromisoformat(d) for d in closed),
    )
    slot = Slot(local(day, 9), local(day, 10), preferred=False)

    moment = notice_deadline(q, slot)

    assert in_london(moment) == deadline
    assert moment.utcoffset() == timedelta(0)
    # Just before it the finder still offers the slot, at it no longer.
    window = (DatedWindow(date.fromisoformat(day), time(9), time(10)),)
    before = replace(q, now=moment - timedelta(minutes=1), preferred=window)
    at = replace(q, now=moment, preferred=window)
    assert starts(find_slots(before)) == [f"{day} 09:00"]
    assert find_slots(at) == []


def test_notice_deadline_without_notice_is_the_start() -> None:
    slot = Slot(local("2026-11-26", 9), local("2026-11-26", 10), preferred=False)
    assert notice_deadline(query(), slot) == slot.start


def test_zero_notice_allows_today_but_only_after_now() -> None:
    slots = find_slots(query(rules=rules(min_notice_school_days=0, max_slots=1)))
    assert starts(slots) == ["2026-11-25 10:30"]  # 10:00 is now, not after it


def test_horizon_is_inclusive_of_its_last_day() -> None:
    mondays = (WeeklyWindow(0, time(9), time(10)),)
    # Monday 7 December is 12 days after Wednesday 25 November.
    assert starts(find_slots(query(weekly=mondays, rules=rules(horizon_days=12)))) == [
        "2026-11-30 09:00",
        "2026-12-07 09:00",
    ]
    assert starts(find_slots(query(weekly=mondays, rules=rules(horizon_days=11)))) == [
        "2026-11-30 09:00"
    ]


# --- Gaps between sessions --------------------------------------------------------------


def test_buffer_keeps_slot_clear_of_commitment() -> None:
    slots = find_slots(
        query(
            weekly=THURSDAYS,
            commitments=(commitment("2026-11-26", 9, 10),),
            rules=rules(max_slots=1),
        )
    )
    assert starts(slots) == ["2026-11-26 10:30"]  # 10:15 is off the grid


def test_buffer_applies_before_a_commitment_too() -> None:
    weekly = (WeeklyWindow(3, time(9), time(12)),)
    slots = find_slots(
        query(
            weekly=weekly,
            commitments=(commitment("2026-11-26", 10, 12),),
            rules=rules(buffer=timedelta(minutes=30), step=timedelta(minutes=15), max_slots=1),
        )
    )
    # 09:00–10:00 would leave no 30-minute gap before 10:00, so next Thursday is first.
    assert starts(slots) == ["2026-12-03 09:00"]


def test_travel_between_distant_in_person_sessions_pushes_slot_later() -> None:
    # 30 km at 30 km/h is an hour, plus 10 minutes' overhead and the 15-minute buffer.
    slots = find_slots(
        query(
            weekly=THURSDAYS,
            location=(530_000, 180_000),
            commitments=(commitment("2026-11-26", 9, 10, (500_000, 180_000)),),
            rules=rules(max_slots=1),
        )
    )
    assert starts(slots) == ["2026-11-26 11:30"]


def test_travel_needed_before_a_later_in_person_session() -> None:
    def first(held: Commitment) -> list[str]:
        found = find_slots(
            query(
                weekly=THURSDAYS,
                duration=timedelta(minutes=30),
                location=(530_000, 180_000),
                commitments=(held,),
                rules=rules(max_slots=1),
            )
        )
        return starts(found)

    # Travel, overhead and buffer need 1 h 25: ending at 09:30 leaves 1 h 30 before 11:00.
    assert first(commitment("2026-11-26", 11, 12, (500_000, 180_000))) == ["2026-11-26 09:00"]
    # Before 10:00 there is no room, so the slot goes after: 12:00 + 1 h 25, on the grid.
    assert first(commitment("2026-11-26", 10, 12, (500_000, 180_000))) == ["2026-11-26 13:30"]


@pytest.mark.parametrize(
    ("slot_location", "commitment_location"),
    [
        pytest.param((530_000, 180_000), None, id="video-commitment"),
        pytest.param(None, (500_000, 180_000), id="video-slot"),
        pytest.param((530_000, 180_000), (530_000, 180_000), id="same-place"),
    ],
)
def test_only_buffer_is_needed_without_travel(
    slot_location: tuple[int, int] | None, commitment_location: tuple[int, int] | None
) -> None:
    slots = find_slots(
        query(
            weekly=THURSDAYS,
            location=slot_location,
            commitments=(commitment("2026-11-26", 9, 10, commitment_location),),
            rules=rules(max_slots=1),
        )
    )
    assert starts(slots) == ["2026-11-26 10:30"]


def test_back_to_back_sessions_allowed_with_zero_buffer() -> None:
    weekly = (WeeklyWindow(3, time(9), time(11)),)
    zero = rules(buffer=timedelta(0), max_slots=1)
    after = find_slots(
        query(weekly=weekly, commitments=(commitment("2026-11-26", 9, 10),), rules=zero)
    )
    assert starts(after) == ["2026-11-26 10:00"]
    before = find_slots(
        query(weekly=weekly, commitments=(commitment("2026-11-26", 10, 11),), rules=zero)
    )
    assert starts(before) == ["2026-11-26 09:00"]


def test_back_to_back_refused_with_a_buffer() -> None:
    weekly = (WeeklyWindow(3, time(9), time(11)),)
    slots = find_slots(
        query(weekly=weekly, commitments=(commitment("2026-11-26", 9, 10),), rules=rules())
    )
    assert "2026-11-26 10:00" not in starts(slots)


# --- Limits -----------------------------------------------------------------------------


def test_week_limit_counts_existing_commitments() -> None:
    held = (commitment("2026-11-23", 9, 10),)  # Monday of this week: the week is full
    slots = find_slots(
        query(commitments=held, rules=rules(min_notice_school_days=2, per_week_limit=1))
    )
    assert starts(slots) == ["2026-11-30 09:00", "2026-12-01 09:00", "2026-12-02 09:00"]


def test_slots_offered_together_do_not_use_up_each_others_limits() -> None:
    # Only one of the alternatives can be booked, so with room for one more session this
    # week, every slot may fall in it.
    slots = find_slots(query(rules=rules(min_notice_school_days=0, per_week_limit=1)))
    assert starts(slots) == ["2026-11-25 10:30", "2026-11-26 09:00", "2026-11-27 09:00"]


def test_one_requests_offers_count_once_towards_the_week_limit() -> None:
    # Next week: two offers of request 7 and one booked session; a limit of three leaves
    # room for one more session only if the two offers count as one.
    offers = tuple(
        replace(commitment(day, 9, 10), offer_of=7) for day in ("2026-11-30", "2026-12-01")
    )
    held = (*offers, commitment("2026-12-02", 9, 10))
    limit = rules(min_notice_school_days=3, per_week_limit=3, max_slots=2)

    counted_once = find_slots(query(commitments=held, rules=limit))
    as_two_sessions = find_slots(
        query(commitments=(*[replace(c, offer_of=None) for c in offers], held[2]), rules=limit)
    )

    assert starts(counted_once) == ["2026-11-30 10:30", "2026-12-01 10:30"]
    assert starts(as_two_sessions) == ["2026-12-07 09:00", "2026-12-08 09:00"]


def test_offers_of_different_requests_count_separately() -> None:
    offers = (
        replace(commitment("2026-11-30", 9, 10), offer_of=7),
        replace(commitment("2026-12-01", 9, 10), offer_of=8),
    )
    slots = find_slots(
        query(
            commitments=offers,
            rules=rules(min_notice_school_days=3, per_week_limit=2, max_slots=1),
        )
    )
    assert starts(slots) == ["2026-12-07 09:00"]


def test_one_requests_offers_count_in_every_month_they_fall_in() -> None:
    # Whichever of the request's offers is confirmed, neither month may overflow.
    offers = (
        replace(commitment("2026-11-30", 9, 10), offer_of=7),
        replace(commitment("2026-12-01", 9, 10), offer_of=7),
    )
    slots = find_slots(
        query(
            commitments=offers,
            rules=rules(min_notice_school_days=0, per_month_limit=1, max_slots=2),
        )
    )
    assert starts(slots) == ["2027-01-04 09:00", "2027-01-05 09:00"]


def test_month_limit_counts_existing_commitments() -> None:
    held = (commitment("2026-11-23", 9, 10),)
    slots = find_slots(
        query(
            commitments=held,
            rules=rules(min_notice_school_days=2, per_month_limit=2, max_slots=5),
        )
    )
    assert starts(slots) == [
        "2026-11-27 09:00",
        "2026-11-30 09:00",
        "2026-12-01 09:00",
        "2026-12-02 09:00",
        "2026-12-03 09:00",
    ]
    full = find_slots(
        query(
            commitments=(*held, commitment("2026-11-24", 9, 10)),
            rules=rules(min_notice_school_days=2, per_month_limit=2, max_slots=1),
        )
    )
    assert starts(full) == ["2026-12-01 09:00"]


def test_limits_count_commitments_by_local_date() -> None:
    # 23:30 UTC on 30 September is 00:30 on 1 October in London (BST): October is full.
    late = Commitment(
        datetime(2026, 9, 30, 23, 30, tzinfo=UTC), datetime(2026, 10, 1, 0, 30, tzinfo=UTC)
    )
    now = datetime(2026, 9, 29, 18, 0, tzinfo=LONDON)
    slots = find_slots(query(now=now, commitments=(late,), rules=rules(per_month_limit=1)))
    assert starts(slots) == ["2026-09-30 09:00", "2026-11-02 09:00", "2026-11-03 09:00"]


# --- Preferred windows and ranking -----------------------------------------------------


def test_preferred_windows_restrict_slots_and_flag_them() -> None:
    preferred = (
        DatedWindow(date(2026, 12, 1), time(10), time(11, 30)),
        DatedWindow(date(2026, 12, 3)),  # the whole day
        DatedWindow(date(2026, 12, 5)),  # a Saturday: still no slot
    )
    slots = find_slots(query(preferred=preferred))
    assert starts(slots) == ["2026-12-01 10:00", "2026-12-03 09:00"]
    assert all(slot.preferred for slot in slots)


def test_slot_must_fit_inside_one_preferred_window() -> None:
    preferred = (
        DatedWindow(date(2026, 12, 1), time(9), time(10)),
        DatedWindow(date(2026, 12, 1), time(10), time(11)),
    )
    assert find_slots(query(preferred=preferred, duration=2 * HOUR)) == []


def test_at_most_one_slot_per_day_earliest_days_first() -> None:
    slots = find_slots(query(rules=rules(min_notice_school_days=2)))
    assert starts(slots) == ["2026-11-27 09:00", "2026-11-30 09:00", "2026-12-01 09:00"]


def test_fewer_days_than_max_slots_returns_fewer_slots() -> None:
    slots = find_slots(query(rules=rules(horizon_days=2, max_slots=5)))
    assert starts(slots) == ["2026-11-25 10:30", "2026-11-26 09:00", "2026-11-27 09:00"]


def test_nothing_fits_returns_empty_list() -> None:
    assert find_slots(query(duration=9 * HOUR)) == []
    assert find_slots(query(weekly=())) == []
    assert find_slots(query(rules=rules(max_slots=0))) == []


# --- Bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"duration": timedelta(0)}, id="zero-duration"),
        pytest.param({"duration": -HOUR}, id="negative-duration"),
        pytest.param({"now": datetime(2026, 11, 25, 10, 0)}, id="naive-now"),  # noqa: DTZ001
        pytest.param(
            {
                "commitments": (
                    Commitment(datetime(2026, 11, 26, 9), datetime(2026, 11, 26, 10)),  # noqa: DTZ001
                )
            },
            id="naive-commitment",
        ),
        pytest.param({"rules": rules(step=timedelta(0))}, id="zero-step"),
    ],
)
def test_bad_input_raises_value_error(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must"):
        find_slots(query(**bad))


# --- Properties -------------------------------------------------------------------------
# Every generated time is on a 15-minute grid, so coverage is checked quarter by quarter.

QUARTER = timedelta(minutes=15)
FIRST_DAY, LAST_DAY = date(2026, 1, 1), date(2027, 12, 31)


def quarters(start: int, length: int) -> tuple[time, time]:
    """Wall-clock times ``start`` and ``start + length`` quarter-hours after midnight."""
    end = min(start + length, 95)
    return time(start // 4, start % 4 * 15), time(end // 4, end % 4 * 15)


@st.composite
def windows_on(draw: st.DrawFn, days: list[date], most: int) -> tuple[DatedWindow, ...]:
    """Up to ``most`` dated windows, half of them whole days."""
    found: list[DatedWindow] = []
    for _ in range(draw(st.integers(0, most))):
        day = draw(st.sampled_from(days))
        if draw(st.booleans()):
            found.append(DatedWindow(day))
        else:
            found.append(
                DatedWindow(day, *quarters(draw(st.integers(28, 72)), draw(st.integers(1, 16))))
            )
    return tuple(found)


@st.composite
def queries(draw: st.DrawFn) -> SlotQuery:
    day = draw(st.dates(FIRST_DAY, LAST_DAY))
    now = datetime.combine(
        day, time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 20]))), LONDON
    )
    rules = SlotRules(
        min_notice_school_days=draw(st.integers(0, 3)),
        horizon_days=draw(st.integers(0, 42)),
        buffer=QUARTER * draw(st.integers(0, 2)),
        step=QUARTER * draw(st.sampled_from([1, 2, 4])),
        travel_overhead=QUARTER * draw(st.integers(0, 1)),
        per_week_limit=draw(st.none() | st.integers(1, 3)),
        per_month_limit=draw(st.none() | st.integers(1, 6)),
        max_slots=draw(st.integers(1, 5)),
    )
    days = [day + timedelta(days=n) for n in range(-7, 45)]
    weekly = tuple(
        WeeklyWindow(
            draw(st.integers(0, 6)), *quarters(draw(st.integers(28, 68)), draw(st.integers(2, 24)))
        )
        for _ in range(draw(st.integers(0, 8)))
    )
    location = st.none() | st.tuples(st.integers(0, 40_000), st.integers(0, 40_000))
    commitments = []
    for _ in range(draw(st.integers(0, 15))):
        start = datetime.combine(draw(st.sampled_from(days)), time(), LONDON) + QUARTER * draw(
            st.integers(24, 76)
        )
        end = start + QUARTER * draw(st.integers(0, 12))
        commitments.append(
            Commitment(
                start.astimezone(UTC),
                end.astimezone(UTC),
                draw(location),
                counts=draw(st.booleans()),
                offer_of=draw(st.none() | st.integers(1, 2)),
            )
        )
    return SlotQuery(
        now=now,
        duration=QUARTER * draw(st.integers(1, 8)),
        weekly=weekly,
        unavailable=draw(windows_on(days, most=4)),
        extra=draw(windows_on(days, most=4)),
        commitments=tuple(commitments),
        preferred=draw(st.just(()) | windows_on(days[7 : 8 + rules.horizon_days], most=12)),
        closed_days=frozenset(draw(st.lists(st.sampled_from(days), max_size=10))),
        location=draw(location),
        rules=rules,
    )


def offset(t: time | None, default: timedelta) -> timedelta:
    return (
        default
        if t is None
        else datetime.combine(FIRST_DAY, t) - datetime.combine(FIRST_DAY, time())
    )


def span(window: WeeklyWindow | DatedWindow) -> tuple[timedelta, timedelta]:
    return offset(window.start, timedelta(0)), offset(window.end, timedelta(days=1))


def since_midnight(day: date, moment: datetime) -> timedelta:
    """Wall-clock time from ``day``'s local midnight to ``moment`` (24h at the next one)."""
    return moment.astimezone(LONDON).replace(tzinfo=None) - datetime.combine(day, time())


def free_at(query: SlotQuery, day: date, start: datetime, end: datetime) -> bool:
    """Whether the expert (and the school, if it gave windows) is free for [start, end),
    checked quarter by quarter against the raw windows: an independent reading of the rules."""
    windows = [span(w) for w in query.weekly if w.weekday == day.weekday()]
    windows += [span(w) for w in query.extra if w.day == day]
    off = [span(w) for w in query.unavailable if w.day == day]
    moment = start
    while moment < end:
        a, b = since_midnight(day, moment), since_midnight(day, moment + QUARTER)
        if not any(lo <= a and b <= hi for lo, hi in windows):
            return False
        if any(a < off_end and off_start < b for off_start, off_end in off):
            return False
        moment += QUARTER
    a, b = since_midnight(day, start), since_midnight(day, end)
    return not query.preferred or any(
        lo <= a and b <= hi for lo, hi in (span(w) for w in query.preferred if w.day == day)
    )


def gap(query: SlotQuery, held: Commitment) -> timedelta:
    if query.location is None or held.location is None or query.location == held.location:
        return query.rules.buffer
    km = hypot(query.location[0] - held.location[0], query.location[1] - held.location[1]) / 1000
    return (
        query.rules.buffer
        + timedelta(hours=km / query.rules.travel_speed_kmh)
        + query.rules.travel_overhead
    )


def usable(query: SlotQuery, day: date) -> bool:
    return is_school_day(day) and day not in query.closed_days


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@settings(max_examples=200, deadline=None)
@given(queries())
def test_property_no_slot_overlaps_or_crowds_a_commitment(query: SlotQuery) -> None:
    slots = find_slots(query)
    assume(slots)  # a property of the slots found: an empty answer proves nothing here
    for slot in slots:
        for held in query.commitments:
            assert slot.end <= held.start or held.end <= slot.start
            assert (
                slot.end + gap(query, held) <= held.start
                or held.end + gap(query, held) <= slot.start
            )


@settings(max_examples=200, deadline=None)
@given(queries())
def test_property_slots_lie_in_free_time_on_the_local_grid(query: SlotQuery) -> None:
    slots = find_slots(query)
    assume(slots)  # a property of the slots found: an empty answer proves nothing here
    for slot in slots:
        assert slot.start.utcoffset() == timedelta(0)
        assert slot.end - slot.start == query.duration
        assert slot.preferred == bool(query.preferred)
        local_start = slot.start.astimezone(LONDON)
        assert free_at(query, local_start.date(), slot.start, slot.end)
        assert since_midnight(local_start.date(), slot.start) % query.rules.step == timedelta(0)


@settings(max_examples=200, deadline=None)
@given(queries())
def test_property_slots_on_usable_days_after_notice_within_horizon(query: SlotQuery) -> None:
    today = query.now.astimezone(LONDON).date()
    slots = find_slots(query)
    assume(slots)  # a property of the slots found: an empty answer proves nothing here
    for slot in slots:
        day = slot.start.astimezone(LONDON).date()
        assert usable(query, day)
        assert slot.start > query.now
        between = sum(
            usable(query, today + timedelta(days=n)) for n in range(1, (day - today).days + 1)
        )
        assert between >= query.rules.min_notice_school_days
        assert day <= today + timedelta(days=query.rules.horizon_days)


@settings(max_examples=200, deadline=None)
@given(queries())
def test_property_count_days_and_limits_hold(query: SlotQuery) -> None:
    slots = find_slots(query)
    days = [slot.start.astimezone(LONDON).date() for slot in slots]
    assert len(slots) <= query.rules.max_slots
    assert days == sorted(set(days))  # sorted, one a day
    weeks, months = sessions_held(query)
    # The slots are alternatives: booking any one of them keeps within the limits.
    for day in days:
        if query.rules.per_week_limit is not None:
            assert weeks[week_of(day)] + 1 <= query.rules.per_week_limit
        if query.rules.per_month_limit is not None:
            assert months[day.year, day.month] + 1 <= query.rules.per_month_limit


def test_the_generated_queries_find_slots_in_at_least_a_third_of_examples() -> None:
    """The properties above say something only about queries that find slots (they
    ``assume`` some). The generator is a fair mix — about half find slots (246 of 500 when
    measured) — and this keeps a floor under that share, so a generator that drifted to
    queries where nothing fits fails here instead of leaving the properties vacuous."""
    found: Counter[bool] = Counter()

    @settings(max_examples=300, deadline=None, derandomize=True, database=None)
    @given(queries())
    def sample(query: SlotQuery) -> None:
        found[bool(find_slots(query))] += 1

    sample()
    assert found[True] >= found.total() / 3, found


def sessions_held(query: SlotQuery) -> tuple[Counter[date], Counter[tuple[int, int]]]:
    """Sessions per week and month: each counted commitment once, except one request's
    offers, which are one session in each week and month they fall in."""
    weeks: set[tuple[date, object]] = set()
    months: set[tuple[tuple[int, int], object]] = set()
    for n, c in enumerate(query.commitments):
        if c.counts:
            day = c.start.astimezone(LONDON).date()
            whose = n if c.offer_of is None else f"request {c.offer_of}"
            weeks.add((week_of(day), whose))
            months.add(((day.year, day.month), whose))
    return Counter(w for w, _ in weeks), Counter(m for m, _ in months)


def reference(query: SlotQuery) -> list[Slot]:
    """Brute force: try every grid start of every day against every rule."""
    rules = query.rules
    today = query.now.astimezone(LONDON).date()
    weeks, months = sessions_held(query)
    found: list[Slot] = []
    for n in range(rules.horizon_days + 1):
        day = today + timedelta(days=n)
        notice = sum(usable(query, today + timedelta(days=k)) for k in range(1, n + 1))
        if (
            len(found) == rules.max_slots
            or not usable(query, day)
            or notice < rules.min_notice_school_days
        ):
            continue
        if (rules.per_week_limit is not None and weeks[week_of(day)] >= rules.per_week_limit) or (
            rules.per_month_limit is not None
            and months[day.year, day.month] >= rules.per_month_limit
        ):
            continue
        for k in range(timedelta(days=1) // rules.step):
            start = (datetime.combine(day, time(), LONDON) + k * rules.step).astimezone(UTC)
            end = start + query.duration
            if (
                start > query.now
                and free_at(query, day, start, end)
                and all(
                    end + gap(query, c) <= c.start or c.end + gap(query, c) <= start
                    for c in query.commitments
                )
            ):
                found.append(Slot(start, end, bool(query.preferred)))
                break
    return found


@settings(max_examples=200, deadline=None)
@given(queries())
def test_property_matches_brute_force_reference(query: SlotQuery) -> None:
    assert find_slots(query) == reference(query)


def test_a_blocked_time_that_is_no_session_does_not_count_towards_the_limits():
    first = find_slots(
        SlotQuery(
            now=NOW,
            duration=timedelta(hours=1),
            weekly=NINE_TO_FIVE,
            rules=SlotRules(per_week_limit=1, max_slots=1),
        )
    )[0]
    turned_down = Commitment(first.start, first.end, counts=False)

    [slot] = find_slots(
        SlotQuery(
            now=NOW,
            duration=timedelta(hours=1),
            weekly=NINE_TO_FIVE,
            commitments=(turned_down,),
            rules=SlotRules(per_week_limit=1, max_slots=1),
        )
    )

    assert slot.start >= first.end
    assert slot.start.astimezone(LONDON).date() == first.start.astimezone(LONDON).date()

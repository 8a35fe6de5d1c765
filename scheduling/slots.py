"""Slot finding: when can an expert hold a session for a school? Pure functions over plain
data (no ORM), so they are unit-tested and benchmarked without a database.

Every wall-clock time here (weekly windows, dated windows) is Europe/London local time;
every instant (``now``, commitments, the slots returned) is a timezone-aware datetime, and
the slots come back in UTC. A 09:00 window is 09:00 in London in GMT and in BST alike.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from math import hypot

from exchange.constants import LONDON
from exchange.school_days import is_school_day


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """The expert is free every ``weekday`` (0 = Monday … 4 = Friday) from start to end."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class DatedWindow:
    """A window on one date. ``start``/``end`` both None means the whole day."""

    day: date
    start: time | None = None
    end: time | None = None


@dataclass(frozen=True, slots=True)
class Commitment:
    """A live session the expert already holds. ``location`` is where it happens (British
    National Grid easting/northing in metres), or None for a video call."""

    start: datetime
    end: datetime
    location: tuple[int, int] | None = None
    # False: the time is blocked (e.g. a slot the school turned down) but it is no session,
    # so it does not count towards the weekly and monthly limits.
    counts: bool = True
    # An offered slot: the request it is offered for. A request's offers are alternatives
    # (only one can be confirmed), so together they count as one session in each week and
    # month they fall in: whichever is confirmed, the limit holds.
    offer_of: int | None = None


@dataclass(frozen=True, slots=True)
class SlotRules:
    min_notice_school_days: int = 2
    horizon_days: int = 42
    buffer: timedelta = timedelta(minutes=15)
    # Candidate start times are on this grid (local time).
    step: timedelta = timedelta(minutes=30)
    # Travel between two in-person commitments: distance / speed, plus a fixed overhead
    # (parking, signing in).
    travel_speed_kmh: float = 30.0
    travel_overhead: timedelta = timedelta(minutes=10)
    # Sessions per Monday–Sunday week and per calendar month, counting commitments
    # (None: no limit).
    per_week_limit: int | None = None
    per_month_limit: int | None = None
    max_slots: int = 3


@dataclass(frozen=True, slots=True)
class SlotQuery:
    now: datetime
    duration: timedelta
    # The expert's side.
    weekly: tuple[WeeklyWindow, ...]
    unavailable: tuple[DatedWindow, ...] = ()
    extra: tuple[DatedWindow, ...] = ()
    commitments: tuple[Commitment, ...] = ()
    # The school's side: dated windows that suit it (empty: any time the expert is free).
    preferred: tuple[DatedWindow, ...] = ()
    # Non-school days of either school (holidays, INSET); weekends and England's bank
    # holidays are excluded here, whatever this holds.
    closed_days: frozenset[date] = frozenset()
    # Where the session happens (for travel time), or None for a video call.
    location: tuple[int, int] | None = None
    rules: SlotRules = field(default_factory=SlotRules)


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime  # UTC
    end: datetime  # UTC
    preferred: bool  # inside one of the school's preferred windows


# Wall-clock intervals are offsets from local midnight; instants are aware UTC datetimes.
type _Span = tuple[timedelta, timedelta]
type _Instants = tuple[datetime, datetime]

_WHOLE_DAY = timedelta(days=1)


def _offset(t: time | None, default: timedelta) -> timedelta:
    if t is None:
        return default
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _span(window: WeeklyWindow | DatedWindow) -> _Span:
    # A dated window with only one end given runs from midnight or to midnight.
    return _offset(window.start, timedelta(0)), _offset(window.end, _WHOLE_DAY)


def _union(spans: list[_Span]) -> list[_Span]:
    """Merge overlapping and touching spans, so 09:00–10:00 and 10:00–11:00 hold 09:30."""
    merged: list[_Span] = []
    for start, end in sorted(s for s in spans if s[0] < s[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(spans: list[_Span], holes: list[_Span]) -> list[_Span]:
    for hole_start, hole_end in holes:
        spans = [
            piece
            for start, end in spans
            for piece in ((start, min(end, hole_start)), (max(start, hole_end), end))
            if piece[0] < piece[1]
        ]
    return spans


def _to_utc(day: date, offset: timedelta) -> datetime:
    # Aware arithmetic with one tzinfo is wall-clock arithmetic, so this is local time
    # ``offset`` after midnight (24h gives the next midnight), whatever the UTC offset.
    return (datetime.combine(day, time(), tzinfo=LONDON) + offset).astimezone(UTC)


def _is_aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() is not None


def _validate(query: SlotQuery) -> None:
    rules = query.rules
    if query.duration <= timedelta(0):
        raise ValueError("duration must be positive")
    if rules.step <= timedelta(0):
        raise ValueError("step must be positive")
    if rules.buffer < timedelta(0) or rules.travel_overhead < timedelta(0):
        raise ValueError("buffer and travel overhead must not be negative")
    if rules.travel_speed_kmh <= 0:
        raise ValueError("travel speed must be positive")
    if not _is_aware(query.now):
        raise ValueError("now must be timezone-aware")
    for commitment in query.commitments:
        if not (_is_aware(commitment.start) and _is_aware(commitment.end)):
            raise ValueError("commitment datetimes must be timezone-aware")
        if commitment.end < commitment.start:
            raise ValueError("a commitment must not end before it starts")


def _gap(query: SlotQuery, commitment: Commitment) -> timedelta:
    rules = query.rules
    if query.location is None or commitment.location is None:
        return rules.buffer
    (x1, y1), (x2, y2) = query.location, commitment.location
    km = hypot(x1 - x2, y1 - y2) / 1000
    if km == 0:
        return rules.buffer
    return rules.buffer + timedelta(hours=km / rules.travel_speed_kmh) + rules.travel_overhead


def _blocked(query: SlotQuery) -> list[_Instants]:
    """Each commitment widened by its gap, merged into disjoint spans sorted by start (and so
    by end), which lets each day bisect to the few that matter instead of scanning all."""
    widened = sorted(
        (c.start - gap, c.end + gap) for c in query.commitments for gap in [_gap(query, c)]
    )
    merged: list[_Instants] = []
    for start, end in widened:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _clear_pieces(
    start: datetime, end: datetime, blocked: list[_Instants], ends: list[datetime]
) -> list[_Instants]:
    """``[start, end]`` less the blocked spans. A slot may touch a blocked span but not enter
    it; a zero-length one (a point) still splits the piece, so no slot straddles it."""
    pieces: list[_Instants] = []
    cursor = start
    for block_start, block_end in blocked[bisect_right(ends, start) :]:
        if block_start >= end:
            break
        if block_start > cursor:
            pieces.append((cursor, block_start))
        cursor = max(cursor, block_end)
    if cursor < end:
        pieces.append((cursor, end))
    return pieces


def _first_start(day: date, piece: _Instants, after: datetime, query: SlotQuery) -> datetime | None:
    """The earliest start on the local step grid in ``piece`` that is later than ``after``
    and leaves room for the whole session, or None."""
    step = query.rules.step
    midnight = datetime.combine(day, time(), tzinfo=LONDON)
    earliest = max(piece[0], after).astimezone(LONDON)
    # Naive difference: wall-clock time since midnight, the grid's own measure.
    index = -(-(earliest.replace(tzinfo=None) - midnight.replace(tzinfo=None)) // step)
    start = (midnight + index * step).astimezone(UTC)
    if start <= after:
        start = (midnight + (index + 1) * step).astimezone(UTC)
    return start if start + query.duration <= piece[1] else None


def _usable(query: SlotQuery, day: date) -> bool:
    return is_school_day(day) and day not in query.closed_days


def _days(query: SlotQuery) -> list[date]:
    """Usable days from the end of the minimum notice to the horizon, in order."""
    today = query.now.astimezone(LONDON).date()
    last = today + timedelta(days=query.rules.horizon_days)
    # The notice counts usable days after today: with 0, today itself is allowed.
    first, notice = today, query.rules.min_notice_school_days
    while notice > 0 and first <= last:
        first += timedelta(days=1)
        if _usable(query, first):
            notice -= 1
    return [
        day
        for day in (first + timedelta(days=n) for n in range((last - first).days + 1))
        if _usable(query, day)
    ]


def notice_deadline(query: SlotQuery, slot: Slot) -> datetime:
    """The last moment ``slot`` still has the minimum notice: the local midnight that ends
    the latest day from which it lies ``min_notice_school_days`` usable days ahead (the slot's
    start itself when no notice is needed). An offer must lapse by then, or a school could
    confirm it at short notice. In UTC."""
    notice = query.rules.min_notice_school_days
    if notice <= 0:
        return slot.start
    # Walk back from the slot's day until ``notice`` usable days lie after ``day``: from
    # any time on ``day`` the slot's day is still far enough ahead, from the next day not.
    day = slot.start.astimezone(LONDON).date()
    while notice > 0:
        if _usable(query, day):
            notice -= 1
        day -= timedelta(days=1)
    return _to_utc(day, _WHOLE_DAY)


def _group(windows: tuple[DatedWindow, ...]) -> dict[date, list[_Span]]:
    grouped: dict[date, list[_Span]] = defaultdict(list)
    for window in windows:
        grouped[window.day].append(_span(window))
    return grouped


def _sessions_held(
    commitments: Iterable[Commitment],
) -> tuple[Counter[date], Counter[tuple[int, int]]]:
    """Sessions already held per Monday and per (year, month), by local start date; one
    request's offers count once in each week and month."""
    weeks: set[tuple[date, tuple[str, int]]] = set()
    months: set[tuple[tuple[int, int], tuple[str, int]]] = set()
    for index, commitment in enumerate(commitments):
        if not commitment.counts:
            continue
        held = commitment.start.astimezone(LONDON).date()
        whose = ("offer", commitment.offer_of) if commitment.offer_of is not None else ("", index)
        weeks.add((held - timedelta(days=held.weekday()), whose))
        months.add(((held.year, held.month), whose))
    return Counter(week for week, _ in weeks), Counter(month for month, _ in months)


def find_slots(query: SlotQuery) -> list[Slot]:
    """The best few slots, at most ``rules.max_slots``: the earliest slot on each of the
    earliest days that have one, skipping days whose week or month is already full.

    When the school gave preferred windows every slot lies in one and is flagged preferred;
    otherwise none is, so "preferred first" never has to reorder anything.
    """
    _validate(query)
    rules = query.rules
    weekly: dict[int, list[_Span]] = defaultdict(list)
    for window in query.weekly:
        weekly[window.weekday].append(_span(window))
    extra, unavailable, preferred = (
        _group(query.extra),
        _group(query.unavailable),
        _group(query.preferred),
    )
    blocked = _blocked(query)
    ends = [end for _, end in blocked]

    per_week, per_month = _sessions_held(query.commitments)

    slots: list[Slot] = []
    for day in _days(query):
        if len(slots) >= rules.max_slots:
            break
        week, month = day - timedelta(days=day.weekday()), (day.year, day.month)
        if (rules.per_week_limit is not None and per_week[week] >= rules.per_week_limit) or (
            rules.per_month_limit is not None and per_month[month] >= rules.per_month_limit
        ):
            continue
        free = _subtract(_union(weekly[day.weekday()] + extra[day]), unavailable[day])
        if query.preferred:
            # Intersect with each preferred window separately: a slot sits inside one.
            free = [
                (max(start, p_start), min(end, p_end))
                for p_start, p_end in preferred[day]
                for start, end in free
                if max(start, p_start) < min(end, p_end)
            ]
        starts = [
            start
            for span in free
            for piece in _clear_pieces(_to_utc(day, span[0]), _to_utc(day, span[1]), blocked, ends)
            if (start := _first_start(day, piece, query.now, query)) is not None
        ]
        if starts:
            start = min(starts)
            # The slots found are alternatives, only one of which can be booked: they do not
            # count against each other's limits.
            slots.append(Slot(start, start + query.duration, preferred=bool(query.preferred)))
    return slots

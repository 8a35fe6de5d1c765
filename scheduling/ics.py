"""iCalendar (RFC 5545) files for sessions, through the ``icalendar`` library. Pure: plain
data in, bytes out.

One event per session: its UID never changes, SEQUENCE goes up with every change, METHOD is
REQUEST for a live session and CANCEL for a cancelled one (iTIP, RFC 5546), and times are
written in Europe/London with its VTIMEZONE so calendars show them right across clock
changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import PARTSTAT, ROLE, STATUS, Calendar, Event, vCalAddress, vDuration, vText

from exchange.constants import LONDON, LONDON_TZID

PRODID = "-//Expertise Exchange//Sessions//EN"
TZID = LONDON_TZID
REFRESH = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    uid: str
    sequence: int
    start: datetime  # aware
    end: datetime  # aware
    summary: str
    description: str
    location: str
    organizer: Person
    attendees: tuple[Person, ...]
    cancelled: bool
    created: datetime
    last_modified: datetime
    url: str = ""
    # An offered slot the school has not confirmed yet.
    tentative: bool = False


def event_ics(event: CalendarEvent) -> bytes:
    """One session as an invitation: METHOD REQUEST, or CANCEL when ``event.cancelled``."""
    return _calendar([event], method="CANCEL" if event.cancelled else "REQUEST").to_ical()


def feed_ics(events: Iterable[CalendarEvent], *, name: str) -> bytes:
    """A subscription feed (METHOD PUBLISH) of many sessions."""
    cal = _calendar(list(events), method="PUBLISH")
    # The library types X-WR-CALNAME as unknown and would not escape commas and semicolons.
    cal.add("X-WR-CALNAME", vText(name))
    cal.add("X-WR-TIMEZONE", TZID)
    cal.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", vDuration(REFRESH))  # a bare timedelta would come out as 1:00:00
    return cal.to_ical()


def _calendar(events: Sequence[CalendarEvent], *, method: str) -> Calendar:
    cal = Calendar()
    cal.prodid = PRODID
    cal.version = "2.0"
    cal.calscale = "GREGORIAN"
    cal.method = method
    for event in events:
        cal.add_component(_vevent(event))
    if events:
        # Generated from the tz database: STANDARD and DAYLIGHT parts listing every clock
        # change (as RDATEs), limited to the years around the events to stay small.
        years = [t.astimezone(LONDON).year for e in events for t in (e.start, e.end)]
        cal.add_missing_timezones(
            first_date=date(min(years) - 1, 1, 1), last_date=date(max(years) + 2, 1, 1)
        )
    return cal


def _vevent(event: CalendarEvent) -> Event:
    return Event.new(
        uid=event.uid,
        sequence=event.sequence,
        stamp=event.last_modified.astimezone(UTC),
        created=event.created.astimezone(UTC),
        last_modified=event.last_modified.astimezone(UTC),
        start=event.start.astimezone(LONDON),
        end=event.end.astimezone(LONDON),
        summary=event.summary,
        description=event.description,
        location=event.location or None,
        url=event.url or None,
        status=STATUS.CANCELLED
        if event.cancelled
        else STATUS.TENTATIVE
        if event.tentative
        else STATUS.CONFIRMED,
        organizer=vCalAddress.new(event.organizer.email, cn=event.organizer.name),
        attendees=[
            vCalAddress.new(
                person.email,
                cn=person.name,
                role=ROLE.REQ_PARTICIPANT,
                partstat=PARTSTAT.NEEDS_ACTION,
                rsvp=True,
            )
            for person in event.attendees
        ],
    )

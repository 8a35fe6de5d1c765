from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event, Timezone

from scheduling.ics import CalendarEvent, Person, event_ics, feed_ics

LONDON = ZoneInfo("Europe/London")
ORGANISER = Person(name="Smith, Jo", email="jo@example.com")
ATTENDEES = (
    Person(name="Ann Lee", email="ann@example.com"),
    Person(name="Bob O'Neil", email="bob@example.com"),
)


def make_event(**changes) -> CalendarEvent:
    event = CalendarEvent(
        uid="session-42@expertise.example",
        sequence=0,
        start=datetime(2026, 10, 19, 8, 0, tzinfo=UTC),
        end=datetime(2026, 10, 19, 9, 0, tzinfo=UTC),
        summary="Pairing on Django",
        description="Bring a laptop.",
        location="Room 1",
        organizer=ORGANISER,
        attendees=ATTENDEES,
        cancelled=False,
        created=datetime(2026, 9, 1, 12, 0, tzinfo=UTC),
        last_modified=datetime(2026, 9, 2, 13, 30, tzinfo=UTC),
    )
    return replace(event, **changes)


def parse(data: bytes) -> tuple[Calendar, list[Event]]:
    cal = Calendar.from_ical(data)
    return cal, cal.events


def only_event(data: bytes) -> Event:
    _, events = parse(data)
    assert len(events) == 1
    return events[0]


def test_request_headers_and_identity():
    cal, events = parse(event_ics(make_event()))

    assert cal["PRODID"] == "-//Expertise Exchange//Sessions//EN"
    assert cal["VERSION"] == "2.0"
    assert cal["CALSCALE"] == "GREGORIAN"
    assert cal["METHOD"] == "REQUEST"
    [vevent] = events
    assert vevent["UID"] == "session-42@expertise.example"
    assert vevent["SEQUENCE"] == 0
    assert vevent["SUMMARY"] == "Pairing on Django"
    assert vevent["DESCRIPTION"] == "Bring a laptop."
    assert vevent["LOCATION"] == "Room 1"
    assert vevent["STATUS"] == "CONFIRMED"
    assert "URL" not in vevent


def test_timestamps_are_utc():
    vevent = only_event(
        event_ics(make_event(last_modified=datetime(2026, 9, 2, 14, 30, tzinfo=LONDON)))
    )

    assert vevent["DTSTAMP"].to_ical() == b"20260902T133000Z"
    assert vevent["LAST-MODIFIED"].to_ical() == b"20260902T133000Z"
    assert vevent["CREATED"].to_ical() == b"20260901T120000Z"


def test_organiser_and_attendees():
    vevent = only_event(event_ics(make_event()))

    organiser = vevent["ORGANIZER"]
    assert organiser == "mailto:jo@example.com"
    assert organiser.params["CN"] == "Smith, Jo"
    attendees = vevent["ATTENDEE"]
    assert [str(a) for a in attendees] == ["mailto:ann@example.com", "mailto:bob@example.com"]
    assert [a.params["CN"] for a in attendees] == ["Ann Lee", "Bob O'Neil"]
    for attendee in attendees:
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["RSVP"] == "TRUE"


def test_empty_location_and_url_are_omitted_and_url_written_when_set():
    assert "LOCATION" not in only_event(event_ics(make_event(location="")))
    vevent = only_event(event_ics(make_event(url="https://example.com/sessions/42")))
    assert vevent["URL"] == "https://example.com/sessions/42"


def test_text_with_commas_semicolons_and_newlines_round_trips():
    summary = "Tests, fixtures; and mocks"
    description = "Agenda:\n1. Fixtures, factories; mocks\n2. Back\\slash"
    data = event_ics(make_event(summary=summary, description=description))

    assert b"SUMMARY:Tests\\, fixtures\\; and mocks\r\n" in data
    vevent = only_event(data)
    assert vevent["SUMMARY"] == summary
    assert vevent["DESCRIPTION"] == description


def _vtimezones(cal: Calendar) -> list[Timezone]:
    return [tz for tz in cal.timezones if tz["TZID"] == "Europe/London"]


def test_vtimezone_present_once_with_dst_rules():
    cal, _ = parse(event_ics(make_event()))

    assert len(cal.timezones) == 1
    [vtimezone] = _vtimezones(cal)
    kinds = {sub.name for sub in vtimezone.subcomponents}
    assert {"STANDARD", "DAYLIGHT"} <= kinds


@pytest.mark.parametrize(
    ("local_start", "utc_start"),
    [
        # Autumn: clocks go back on Sunday 25 October 2026.
        (datetime(2026, 10, 19, 9, 0, tzinfo=LONDON), datetime(2026, 10, 19, 8, 0, tzinfo=UTC)),
        (datetime(2026, 10, 26, 9, 0, tzinfo=LONDON), datetime(2026, 10, 26, 9, 0, tzinfo=UTC)),
        # Spring: clocks go forward on Sunday 28 March 2027.
        (datetime(2027, 3, 22, 9, 0, tzinfo=LONDON), datetime(2027, 3, 22, 9, 0, tzinfo=UTC)),
        (datetime(2027, 3, 29, 9, 0, tzinfo=LONDON), datetime(2027, 3, 29, 8, 0, tzinfo=UTC)),
    ],
)
def test_times_are_london_wall_clock_across_clock_changes(local_start, utc_start):
    data = event_ics(make_event(start=utc_start, end=utc_start + timedelta(hours=1)))
    cal, [vevent] = parse(data)

    assert local_start == utc_start  # the same instant, seen from London
    stamp = local_start.strftime("%Y%m%dT%H%M%S").encode()
    assert b"DTSTART;TZID=Europe/London:" + stamp + b"\r\n" in data
    dtstart = vevent["DTSTART"]
    assert dtstart.params["TZID"] == "Europe/London"
    assert (dtstart.dt.date(), dtstart.dt.time()) == (local_start.date(), local_start.time())
    assert dtstart.dt.time().hour == 9
    assert dtstart.dt == utc_start
    assert vevent["DTEND"].dt == utc_start + timedelta(hours=1)
    # The embedded VTIMEZONE itself (not just the reader's tz database) gives the right offset.
    [vtimezone] = _vtimezones(cal)
    embedded = vtimezone.to_tz(lookup_tzid=False)
    assert local_start.replace(tzinfo=embedded).astimezone(UTC) == utc_start


def test_update_keeps_uid_and_raises_sequence():
    first = make_event()
    second = replace(
        first,
        sequence=first.sequence + 1,
        start=first.start + timedelta(days=1),
        end=first.end + timedelta(days=1),
        last_modified=first.last_modified + timedelta(hours=1),
    )
    old, new = only_event(event_ics(first)), only_event(event_ics(second))

    assert new["UID"] == old["UID"]
    assert new["SEQUENCE"] == old["SEQUENCE"] + 1 == 1
    assert new["DTSTART"].dt == second.start
    assert new["DTSTAMP"].dt > old["DTSTAMP"].dt


def test_cancelled_event_is_a_cancel_listing_the_attendees():
    cal, [vevent] = parse(event_ics(make_event(cancelled=True, sequence=2)))

    assert cal["METHOD"] == "CANCEL"
    assert vevent["STATUS"] == "CANCELLED"
    assert vevent["SEQUENCE"] == 2
    assert vevent["UID"] == "session-42@expertise.example"
    assert len(vevent["ATTENDEE"]) == 2


def test_feed_holds_every_event_with_one_timezone():
    events = [
        make_event(uid="a@x", start=datetime(2026, 10, 19, 8, tzinfo=UTC)),
        make_event(uid="b@x", start=datetime(2026, 10, 26, 9, tzinfo=UTC)),
        make_event(uid="c@x", start=datetime(2027, 3, 29, 8, tzinfo=UTC), cancelled=True),
    ]
    events = [replace(e, end=e.start + timedelta(hours=1)) for e in events]
    cal, vevents = parse(feed_ics(iter(events), name="Jo's sessions"))

    assert cal["METHOD"] == "PUBLISH"
    assert cal["X-WR-CALNAME"] == "Jo's sessions"
    assert cal["X-WR-TIMEZONE"] == "Europe/London"
    assert cal["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert cal["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert cal["X-PUBLISHED-TTL"] == "PT1H"
    assert [v["UID"] for v in vevents] == ["a@x", "b@x", "c@x"]
    assert [v["STATUS"] for v in vevents] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert len(cal.timezones) == 1
    assert len(_vtimezones(cal)) == 1


def test_feed_name_is_escaped():
    assert b"X-WR-CALNAME:Talks\\, tests\\; more\r\n" in feed_ics([], name="Talks, tests; more")


def test_empty_feed():
    cal, vevents = parse(feed_ics([], name="Nothing yet"))

    assert cal["METHOD"] == "PUBLISH"
    assert vevents == []


@pytest.mark.parametrize(
    "data",
    [
        event_ics(make_event(description="Lorem ipsum dolor sit amet, " * 20)),
        event_ics(make_event(summary="Café crème ☕ — " * 12, attendees=ATTENDEES * 3)),
        feed_ics([make_event(), make_event(uid="other")], name="Long " * 40),
    ],
)
def test_lines_are_crlf_terminated_and_folded_to_75_octets(data):
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert len(lines) > 20
    for line in lines:
        assert b"\r" not in line
        assert b"\n" not in line
        assert len(line) <= 75
    assert Calendar.from_ical(data).events  # and it still parses

"""Simultaneous bookings of overlapping times for one expert through gunicorn with two
workers, on PostgreSQL: exactly one wins, the rest are told 409, none fails, and no expert
is left with overlapping sessions. CI sends ``FAULTS_RACE_BURST`` (50). How fast the burst
settles is printed here but asserted nowhere: speed is a benchmark's business, and
``bench/race.py`` sends the full 200 and compares it with the same bookings sent one after
another in the same run."""

import os
from collections import Counter

from tests.faults.stack import book_at_once, book_one_after_another

BURST = int(os.environ.get("FAULTS_RACE_BURST", "50"))


def test_simultaneous_overlapping_bookings_through_gunicorn_book_exactly_one(stack, figures):
    stack.gunicorn(workers=2)

    outcome = book_at_once(stack, BURST)
    baseline = book_one_after_another(stack, outcome.scene)

    statuses = Counter(outcome.statuses)
    figures(
        f"{BURST} simultaneous bookings: {dict(statuses)}, settled in "
        f"{outcome.settled_seconds:.3f} s; one after another {baseline:.3f} s"
    )
    assert statuses == {201: 1, 409: BURST - 1}
    assert outcome.codes <= {"session_clash", "slot_unavailable", "concurrent_update"}
    assert outcome.overlapping == []

"""Simultaneous bookings of overlapping times for one expert through gunicorn with two
workers, on PostgreSQL: exactly one wins, the rest are told 409, none fails, and they settle
in under a second — or, on a machine too busy to serve that many requests in a second at
all, no slower than the same requests sent one after another (the baseline, measured in the
same run): racing adds no waiting. CI sends ``FAULTS_RACE_BURST`` (50); ``bench/race.py``
sends the full 200."""

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
    assert outcome.settled_seconds < max(1.0, baseline)

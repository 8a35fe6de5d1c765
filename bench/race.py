"""The booking race at full size (docs/benchmarks.md): 200 schools book one expert at
overlapping times at the same moment, through gunicorn with 2 workers, on a PostgreSQL
cluster and a Redis of the bench's own (the fault tests' stack, ``tests/faults/stack.py``;
needs the PostgreSQL server binaries and redis-server).

    .venv/bin/python bench/race.py            # 200 bookings
    .venv/bin/python bench/race.py --burst 50

Prints the outcome (exactly one 201, the rest 409, no 5xx), the time from the moment all
were sent to the last answer, and a baseline measured in the same run: the same bookings
sent again one after another (all refused now), so the ratio shows what racing costs over
the requests themselves on this machine. Exit status 1 when the outcome is wrong.
"""

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

# Run as a script: the repository on the path, so the tests' stack imports.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_SECONDS = 1.0


def out(line: str) -> None:
    sys.stdout.write(line + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    burst, workers = vars(parser.parse_args()).values()

    from tests.faults.stack import (
        Stack,
        book_at_once,
        book_one_after_another,
        migrated_cluster,
    )

    cluster = migrated_cluster()
    stack = Stack(cluster, Path(tempfile.mkdtemp(prefix="exchange-race-")))
    try:
        stack.gunicorn(workers=workers)
        outcome = book_at_once(stack, burst)
        sequential = book_one_after_another(stack, outcome.scene)
    finally:
        stack.close()
        cluster.remove()

    statuses = Counter(outcome.statuses)
    right = statuses == {201: 1, 409: burst - 1} and not outcome.overlapping
    out(f"{burst} simultaneous bookings of one expert, gunicorn with {workers} workers")
    out(f"  answers: {dict(sorted(statuses.items()))}; 409 codes: {sorted(outcome.codes)}")
    out(f"  overlapping live sessions afterwards: {len(outcome.overlapping)}")
    out(
        f"  settled in {outcome.settled_seconds:.3f} s (target < {TARGET_SECONDS:.0f} s); "
        f"baseline, the same {burst} sent one after another: {sequential:.3f} s; "
        f"ratio {outcome.settled_seconds / sequential:.2f}"
    )
    out(f"  outcome: {'right' if right else 'WRONG'}")
    return 0 if right else 1


if __name__ == "__main__":
    sys.exit(main())

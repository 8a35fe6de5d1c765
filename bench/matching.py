"""National-scale benchmark of a matching round (docs/benchmarks.md).

Builds a synthetic England in a throwaway database — 20,000 waiting requests from mainstream
schools, 5,000 experts at special schools, ~150 local authorities clustered around real
conurbations on the British National Grid — then runs ``matching_round_run`` end to end and
prints where the time went, the peak memory, the share of requests matched, the largest load
on any expert, and the exact objective against a greedy baseline solved on the same graph.

    .venv/bin/python bench/matching.py                       # SQLite, /tmp/exchange-bench.sqlite3
    .venv/bin/python bench/matching.py --check-small         # + exactness against SciPy
    .venv/bin/python bench/matching.py \\
        --database-url postgres://exchange:exchange@127.0.0.1:54330/exchange_bench

The database is dropped and built again on every run, so its name must contain "bench".
Each stage runs in its own process, so the peak memory printed is the round's alone:
  build    migrate and bulk-insert the instance;
  analyse  read the facts and build the candidate graph exactly as the round does, then time
           the exact solver (both objectives), the greedy baseline and, with --check-full, a
           second exact solver (SciPy's sparse LAPJV) on the national graph;
  round    ``matching_round_run(trigger="command")``: reads, candidates, solve, writes.
Exit status: 0 when the figures are a report (targets may fail), 1 when an exactness or
capacity check fails.
"""

import sys
from pathlib import Path

# Run as a script: the repository on the path, so the bench and the apps import.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.national.entry import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

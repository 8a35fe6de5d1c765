"""Where the bench lives, its default database, and the targets it reports against."""

from __future__ import annotations

from pathlib import Path

# The repository: bench/national/limits.py → three folders up.
ROOT = Path(__file__).resolve().parents[2]
# The script every stage runs in its own interpreter.
SCRIPT = ROOT / "bench" / "matching.py"

DEFAULT_DATABASE_URL = "sqlite:////tmp/exchange-bench.sqlite3"
BATCH = 2000
# Targets from the issue.
ROUND_TARGET_S = 10.0
ROUND_LIMIT_S = 30.0
SOLVE_TARGET_S = 1.0

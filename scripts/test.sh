#!/usr/bin/env bash
# Runs the test suite. With nothing set it uses SQLite and in-process tasks; set
# DATABASE_URL (PostgreSQL) and REDIS_URL to run the same tests against real services.
# Extra arguments go to pytest, e.g. scripts/test.sh -k gias
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python -m pytest "$@"

"""A production-like stack for each fault test (``tests/faults/stack.py``), on servers of
its own that the test may stop, hang and kill.

Runs only where the PostgreSQL server binaries and redis-server are installed; skipped
elsewhere, unless ``FAULTS_REQUIRED=1`` (CI, which installs them) makes that a failure.
``-m faults`` selects these tests, ``-m "not faults"`` leaves them.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import processes
from tests.faults.stack import Stack, migrated_cluster
from tests.processes import Postgres


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    missing = "Needs the PostgreSQL server binaries and redis-server."
    skip = pytest.mark.skip(reason=missing)
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.faults)
            if not processes.have_servers():
                if os.environ.get("FAULTS_REQUIRED") == "1":
                    raise pytest.UsageError(f"FAULTS_REQUIRED=1: {missing}")
                item.add_marker(skip)


_figures: list[str] = []


@pytest.fixture
def figures() -> Callable[[str], None]:
    """``figures("…")``: a measured figure, printed at the end of the run."""
    return _figures.append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _figures:
        terminalreporter.section("fault figures")
        for line in _figures:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Postgres]:
    postgres = migrated_cluster()
    try:
        yield postgres
    finally:
        postgres.remove()


@pytest.fixture
def stack(cluster: Postgres, tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(cluster, tmp_path)
    try:
        yield stack
    finally:
        stack.close()

"""What tests that need PostgreSQL share: the markers that run them only there, and for
real concurrency the committing database and the racer that sends API calls at the same
moment, one thread (and so one database connection) each."""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from django.db import connection
from rest_framework.test import APIClient

Test = TypeVar("Test", bound=Callable[..., Any])


REAL_CONCURRENCY = (
    "Real concurrency needs PostgreSQL: SQLite test databases are not shared between threads."
)


def _unless_postgres(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(connection.vendor != "postgresql", reason=reason)


def postgres_only(reason: str) -> Callable[[Test], Test]:
    """``@postgres_only("why")``: the test runs only on PostgreSQL (skipped elsewhere, with
    the reason) and carries the ``postgres`` marker, so ``-m postgres`` selects it."""
    skip = _unless_postgres(reason)

    def mark(test: Test) -> Test:
        return pytest.mark.postgres(skip(test))

    return mark


# Tests whose work commits (the racers, migrating) run outside a test transaction. The
# database is flushed before each such test; serialized_rollback restores what the
# migrations loaded (the needs and topics taxonomy, the default policy and term calendar).
committing_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def racing[T: Callable[..., Any]](test: T) -> T:
    """``@racing``: a real-concurrency test, on PostgreSQL only, outside a test transaction."""
    return postgres_only(REAL_CONCURRENCY)(committing_db(test))


# ``pytestmark = RACING``: every test of a module races.
RACING = [pytest.mark.postgres, _unless_postgres(REAL_CONCURRENCY), committing_db]


@dataclass(frozen=True)
class Call:
    """One API call of a race: who sends it, where, with what."""

    user: Any
    path: str
    data: dict[str, Any] | None = None
    method: str = "post"


@dataclass(frozen=True)
class Answer:
    call: Call
    status: int
    body: Any


def race(calls: Sequence[Call], *, timeout: float = 60) -> list[Answer]:
    """Sends every call at the same moment (a barrier releases all threads at once) and
    returns the answers in the order they came. A thread that crashed or hung fails the
    test, with the crash."""
    barrier = threading.Barrier(len(calls))
    answers: list[Answer] = []
    crashes: list[BaseException] = []
    lock = threading.Lock()

    def send(call: Call) -> None:
        try:
            client = APIClient()
            client.force_authenticate(call.user)
            barrier.wait(timeout=timeout)
            response = getattr(client, call.method)(call.path, call.data, format="json")
            with lock:
                answers.append(Answer(call, response.status_code, response.json()))
        except BaseException as error:  # reported below, so the test fails with it
            with lock:
                crashes.append(error)
        finally:
            # Each thread has its own connection; close it so the flush after the test is
            # not blocked and no connection leaks.
            connection.close()

    threads = [threading.Thread(target=send, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout * 2)
    assert not any(thread.is_alive() for thread in threads), "a racing call hung"
    assert crashes == []
    return answers

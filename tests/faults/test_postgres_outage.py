"""PostgreSQL stopped and started again under load: every call answers (503 with
Retry-After while it is down, never a 500), the API recovers by itself, and the worker and
beat survive and carry on."""

import threading
import time

from tests import processes
from tests.faults.stack import Answer, Stack

CLIENTS = 4
DOWN_SECONDS = 3.0


def _load(stack: Stack, token: str, stop: threading.Event, answers: list[tuple[float, Answer]]):
    """Each answer is stamped with the time its call was sent: a call sent before the stop
    may still finish with a 200 after it, on a busy machine."""
    while not stop.is_set():
        sent = time.monotonic()
        answers.append((sent, stack.api("GET", "/api/v1/requests", token)))


def test_postgres_stopped_and_restarted_under_load_is_503_then_recovers_by_itself(stack, figures):
    stack.gunicorn()
    worker = stack.worker()
    beat = stack.beat(OUTBOX_SWEEP_SECONDS="1")  # the worker sweeps during the outage too
    scene = stack.scene("draft")
    token, request_id = scene["token"], scene["request"]
    stack.warm_up(token)
    stop = threading.Event()
    answers: list[tuple[float, Answer]] = []
    clients = [
        threading.Thread(target=_load, args=(stack, token, stop, answers)) for _ in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    try:
        time.sleep(1)
        stack.postgres.stop()
        stopped_at = time.monotonic()
        time.sleep(DOWN_SECONDS)
        restarting_at = time.monotonic()  # it may answer before start() returns
        stack.postgres.start()
        started_at = time.monotonic()
        processes.wait_for(
            lambda: any(at > started_at and a.status == 200 for at, a in answers[-CLIENTS:]),
            "the API to recover",
            timeout=30,
        )
        time.sleep(1)
    finally:
        stop.set()
        for client in clients:
            client.join()

    statuses = {answer.status for _, answer in answers}
    assert statuses == {200, 503}, statuses
    unavailable = [answer for _, answer in answers if answer.status == 503]
    for answer in unavailable:
        assert answer.headers["Retry-After"] == "5"
        assert answer.body["code"] == "database_unavailable"
        assert set(answer.body) == {"status", "code", "message", "fields", "details"}
    down = [a for at, a in answers if stopped_at + 0.5 < at < restarting_at]
    assert down
    assert all(a.status == 503 for a in down)
    assert max(a.seconds for a in down) < 2  # refused at once, no hanging
    recovered = min(at for at, a in answers if at > started_at and a.status == 200) - started_at
    after = [a.status for at, a in answers if at > started_at + recovered]
    figures(
        f"PostgreSQL down {DOWN_SECONDS:.0f} s under load: {len(answers)} calls, "
        f"{len(unavailable)} × 503, the slowest {max(a.seconds for a in down):.3f} s; "
        f"first 200 {recovered:.2f} s after it started"
    )
    assert set(after) == {200}
    # No stack trace in any answer, and the outage was logged once per web process.
    assert "Traceback" not in stack.logs.joinpath("gunicorn.log").read_text()
    assert stack.logs.joinpath("gunicorn.log").read_text().count("PostgreSQL is unavailable") <= 2

    # The worker and beat lived through it and work again: a submit is matched.
    assert worker.process is not None
    assert worker.process.poll() is None
    assert beat.process is not None
    assert beat.process.poll() is None
    submitted = stack.api("POST", f"/api/v1/requests/{request_id}/submit", token, {})
    assert submitted.status == 200, submitted.body
    processes.wait_for(
        lambda: (
            stack.value("SELECT status FROM exchange_supportrequest WHERE id = %s", request_id)
            == "proposed"
        ),
        "the worker to propose experts",
    )

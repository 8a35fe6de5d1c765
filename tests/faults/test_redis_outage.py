"""Redis refused and Redis hung at submit: the API answers, the matching task waits in the
outbox, and once Redis is back it is dispatched and run exactly once.

Beat sweeps the outbox every 2 s here (``OUTBOX_SWEEP_SECONDS``; 20 s in production), so the
test measures the path back rather than the sweep's period."""

import time
from collections.abc import Callable

from tests import processes
from tests.faults.stack import Stack

PROPOSE = "matching.propose_for_request"
WORKERS = 2  # gunicorn's


def _outage_at_submit(
    stack: Stack,
    figures: Callable[[str], None],
    *,
    break_redis: Callable[[], None],
    fix_redis: Callable[[], None],
    limit: float,
) -> None:
    stack.gunicorn(workers=WORKERS)
    worker = stack.worker()
    stack.beat(OUTBOX_SWEEP_SECONDS="2")
    scene = stack.scene("draft")
    token, request_id = scene["token"], scene["request"]
    stack.warm_up(token)

    break_redis()
    submitted = stack.api("POST", f"/api/v1/requests/{request_id}/submit", token, {})
    during = [stack.api("GET", "/api/v1/requests", token) for _ in range(5)]
    ready = stack.api("GET", "/readyz")
    fixed_at = time.monotonic()
    fix_redis()

    assert submitted.status == 200, submitted.body
    assert submitted.seconds < limit
    assert submitted.body["status"] == "submitted"
    assert [answer.status for answer in during] == [200] * 5
    assert ready.status == 200
    assert ready.body == {
        "status": "degraded",
        "checks": {"database": "ok", "redis": "unavailable"},
    }
    waiting = stack.sql(
        "SELECT published_at FROM exchange_outboxmessage WHERE task_name = %s", PROPOSE
    )
    assert waiting == [(None,)]  # the task waits in the outbox

    processes.wait_for(
        lambda: (
            stack.value(
                "SELECT count(*) FROM exchange_outboxmessage WHERE published_at IS NOT NULL"
                " AND task_name = %s",
                PROPOSE,
            )
            == 1
        ),
        "the outbox to publish the task",
    )
    dispatched = time.monotonic() - fixed_at
    processes.wait_for(
        lambda: (
            stack.value("SELECT status FROM exchange_supportrequest WHERE id = %s", request_id)
            == "proposed"
        ),
        "the worker to propose experts",
    )
    figures(
        f"Redis {break_redis.__name__}: submit {submitted.status} in {submitted.seconds:.3f} s; "
        f"dispatched {dispatched:.1f} s after Redis came back (sweep every 2 s)"
    )
    assert dispatched < 60
    time.sleep(2.5)  # a second publication would have arrived by now (sweeps every 2 s)
    assert worker.output().count(f"Task {PROPOSE}[") == 2  # received, succeeded: once
    assert (
        stack.value("SELECT count(*) FROM matching_proposal WHERE request_id = %s", request_id) == 3
    )
    history = stack.sql(
        "SELECT to_status FROM exchange_statuschange WHERE request_id = %s ORDER BY id", request_id
    )
    assert history == [("submitted",), ("matching",), ("proposed",)]
    # Each web process logged the outage once, not once a request.
    assert stack.logs.joinpath("gunicorn.log").read_text().count("Redis is unavailable") <= WORKERS


def test_a_submit_while_redis_refuses_connections_answers_within_1_s_and_runs_once(stack, figures):
    _outage_at_submit(
        stack, figures, break_redis=stack.redis.stop, fix_redis=stack.redis.start, limit=1.0
    )


def test_a_submit_while_redis_hangs_answers_within_3_s_and_runs_once(stack, figures):
    _outage_at_submit(
        stack, figures, break_redis=stack.redis.hang, fix_redis=stack.redis.resume, limit=3.0
    )

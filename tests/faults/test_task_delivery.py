"""Tasks survive their worker and their broker: a worker killed with SIGKILL in the middle
of a task has it redelivered (``task_acks_late``; the broker gives an unacknowledged message
out again after ``CELERY_VISIBILITY_TIMEOUT``), and a message delivered twice has one
effect, because every task is idempotent."""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from tests import processes
from tests.faults.stack import Stack

VISIBILITY_SECONDS = 3


@dataclass(frozen=True)
class Case:
    task: str
    scene: tuple[Any, ...]
    effect: Callable[[Stack, int], tuple[Any, ...]]
    done: tuple[Any, ...]
    nothing: tuple[Any, ...]


def _proposals(stack: Stack, request_id: int) -> tuple[Any, ...]:
    proposals = stack.value(
        "SELECT count(*) FROM matching_proposal WHERE request_id = %s", request_id
    )
    history = stack.sql(
        "SELECT to_status FROM exchange_statuschange WHERE request_id = %s ORDER BY id", request_id
    )
    return proposals, [status for (status,) in history]


def _offers(stack: Stack, request_id: int) -> tuple[Any, ...]:
    offered = stack.value(
        "SELECT count(*) FROM exchange_session WHERE request_id = %s AND status = 'offered'",
        request_id,
    )
    told = stack.value(
        "SELECT count(*) FROM exchange_notification WHERE request_id = %s AND kind = %s",
        request_id,
        "slots_offered",
    )
    return offered, told


MATCHING = Case(
    task="matching.propose_for_request",
    scene=("draft", 1),
    effect=_proposals,
    done=(3, ["submitted", "matching", "proposed"]),
    nothing=(0, ["submitted"]),
)
SLOT_OFFER = Case(
    task="scheduling.offer_slots",
    scene=("accepted",),
    effect=_offers,
    done=(3, 1),  # three times held, the school's SENCO told once
    nothing=(0, 0),
)


def _waiting_on_a_lock(stack: Stack) -> bool:
    return (
        stack.value(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            stack.database,
        )
        == 1
    )


@pytest.mark.parametrize("case", [MATCHING, SLOT_OFFER], ids=["matching", "slot-offer"])
def test_a_worker_killed_mid_task_gets_it_again_and_does_it_once(stack, case):
    request_id = stack.scene(*case.scene)["request"]
    settings = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS)}
    first = stack.worker("first", **settings)

    # Hold the request's row, so the task stops in the middle: inside its transaction,
    # waiting for the lock. Then kill its worker there.
    with psycopg.connect(stack.postgres.url(stack.database)) as holder:
        holder.execute(
            "SELECT 1 FROM exchange_supportrequest WHERE id = %s FOR UPDATE", (request_id,)
        )
        sent_at = time.monotonic()
        stack.send_task(case.task, support_request_id=request_id)
        processes.wait_for(lambda: _waiting_on_a_lock(stack), "the task to reach the lock")
        first.kill()
        holder.rollback()
    assert case.effect(stack, request_id) == case.nothing

    # Once the message is visible again, a new worker takes it.
    time.sleep(max(0.0, sent_at + VISIBILITY_SECONDS - time.monotonic()))
    second = stack.worker("second", **settings)
    processes.wait_for(lambda: f"Task {case.task}[" in second.output(), "the redelivery")
    processes.wait_for(lambda: case.effect(stack, request_id) == case.done, "the task's effect")
    processes.wait_for(lambda: "succeeded" in second.output(), "the task to finish")
    assert second.output().count(f"Task {case.task}[") == 2  # received, succeeded
    assert case.effect(stack, request_id) == case.done


def test_the_same_task_message_delivered_twice_has_one_effect(stack):
    worker = stack.worker()
    scene = stack.scene("both")
    cases = [(MATCHING, scene["submitted"]["request"]), (SLOT_OFFER, scene["accepted"]["request"])]

    for case, request_id in cases:
        message_id = str(uuid.uuid4())
        for _ in range(2):
            stack.send_task(case.task, task_id=message_id, support_request_id=request_id)

    processes.wait_for(
        lambda: worker.output().count("succeeded") == 4, "both deliveries of both messages"
    )
    for case, request_id in cases:
        assert case.effect(stack, request_id) == case.done

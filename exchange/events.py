"""Domain events: how a lower layer causes work in a higher one without importing it.

A service records an event in the transaction that makes it true; each handler task of
the event is queued in the outbox in that same transaction (``exchange/outbox.py``), so the
work exists exactly when the change commits and survives a broker outage. Handlers are
named, not imported: the exchange does not build on matching or scheduling, it only knows
the names of their tasks. This table is the whole cross-app flow (docs/architecture.md).
"""

from enum import StrEnum
from typing import Any

from exchange import outbox


class Event(StrEnum):
    # A draft was submitted (payload: support_request_id).
    REQUEST_SUBMITTED = "support_request.submitted"
    # An expert accepted a proposal; the request is accepted (payload: support_request_id).
    PROPOSAL_ACCEPTED = "proposal.accepted"


HANDLERS: dict[Event, tuple[str, ...]] = {
    # matching: propose the best experts for the request.
    Event.REQUEST_SUBMITTED: ("matching.propose_for_request",),
    # scheduling: offer the school times that suit both.
    Event.PROPOSAL_ACCEPTED: ("scheduling.offer_slots",),
}


def record(event: Event, **payload: Any) -> None:
    """Queues every handler of ``event`` with ``payload``, once the transaction commits."""
    for task_name in HANDLERS[event]:
        outbox.enqueue(task_name, event=event, **payload)

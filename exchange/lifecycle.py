"""The support request lifecycle: the one place that says which status may follow which."""

from exchange.enums import RequestStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.CANCELLED}),
    # A worker picks a submitted request up (matching); a matching round may also serve it,
    # or find no expert for it, directly.
    S.SUBMITTED: frozenset({S.MATCHING, S.PROPOSED, S.UNMATCHED, S.CANCELLED}),
    S.MATCHING: frozenset({S.PROPOSED, S.UNMATCHED, S.CANCELLED}),
    # Back to matching when every proposed expert declined or the proposals expired.
    S.PROPOSED: frozenset({S.ACCEPTED, S.MATCHING, S.UNMATCHED, S.CANCELLED}),
    # Back to matching when the accepting expert withdraws before a session is booked.
    S.ACCEPTED: frozenset({S.SCHEDULED, S.MATCHING, S.CANCELLED}),
    # Back to accepted when the booked session is cancelled and must be rebooked.
    S.SCHEDULED: frozenset({S.COMPLETED, S.ACCEPTED, S.CANCELLED}),
    S.COMPLETED: frozenset({S.CLOSED}),
    # Retried (by a worker or a matching round) when new capacity appears; closed when the
    # school gives up.
    S.UNMATCHED: frozenset({S.MATCHING, S.PROPOSED, S.CANCELLED, S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Statuses in which the school may still edit the request's content.
EDITABLE = frozenset({S.DRAFT})


def allowed_next(status: str) -> list[str]:
    return sorted(TRANSITIONS[status])


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS[from_status]

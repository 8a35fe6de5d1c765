"""The exchange's writes on experts and requests: expert profiles and availability
(``experts``), support requests' content (``requests``) and their status
(``transitions``). Views validate input with a serializer and call exactly one of these;
callers import from here. Notifications are written by ``exchange.notifications``, the
outbox by ``exchange.outbox``; cancelling a request, which reaches every layer, is
``scheduling.services.support_request_cancel``."""

from exchange.services.experts import (
    availability_exception_create,
    availability_exception_delete,
    availability_window_create,
    availability_window_delete,
    availability_window_update,
    credential_add,
    credential_delete,
    credentials_set_status,
    expert_confirm_safeguarding,
    expert_profile_create,
    expert_profile_update,
    expert_suspend,
    expert_unsuspend,
    expert_verify,
)
from exchange.services.requests import (
    support_request_create,
    support_request_delete,
    support_request_update,
)
from exchange.services.track_records import expert_track_record_set
from exchange.services.transitions import (
    support_request_close,
    support_request_submit,
    support_request_transition,
    support_requests_transition_bulk,
)

__all__ = [
    "availability_exception_create",
    "availability_exception_delete",
    "availability_window_create",
    "availability_window_delete",
    "availability_window_update",
    "credential_add",
    "credential_delete",
    "credentials_set_status",
    "expert_confirm_safeguarding",
    "expert_profile_create",
    "expert_profile_update",
    "expert_suspend",
    "expert_track_record_set",
    "expert_unsuspend",
    "expert_verify",
    "support_request_close",
    "support_request_create",
    "support_request_delete",
    "support_request_submit",
    "support_request_transition",
    "support_request_update",
    "support_requests_transition_bulk",
]

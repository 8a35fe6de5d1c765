"""Matching policies: every change publishes a new active version."""

from typing import Any

from django.db import transaction

from accounts.models import User
from matching.models import MatchingPolicy

POLICY_FIELDS = [
    field.name
    for field in MatchingPolicy._meta.get_fields()
    if field.concrete
    and field.name not in {"id", "version", "is_active", "created_by", "created_at"}
]


def matching_policy_publish(*, by: User | None, **changes: Any) -> MatchingPolicy:
    """A new active version: the current one with ``changes`` applied. Old versions stay
    as they were, so every proposal still names the exact weights that produced it."""
    with transaction.atomic():
        current = _active_policy_locked()
        values = {name: getattr(current, name) for name in POLICY_FIELDS} if current else {}
        values.update({k: v for k, v in changes.items() if k in POLICY_FIELDS})
        latest = MatchingPolicy.objects.order_by("-version").values_list("version", flat=True)
        version = (latest.first() or 0) + 1
        MatchingPolicy.objects.filter(is_active=True).update(is_active=False)
        policy = MatchingPolicy(version=version, is_active=True, created_by=by, **values)
        policy.full_clean()
        policy.save()
    return policy


def _active_policy_locked() -> MatchingPolicy | None:
    """The active version, locked until the transaction ends; ``None`` only when no version
    is active at all.

    Two publishers queue on the active row's lock. When the first commits, that row is no
    longer active, so PostgreSQL skips it and the waiter's query returns nothing: building
    on that would silently reset the policy to the defaults. Asking again (a new statement
    sees what the first committed) locks the version the first published instead.
    """
    while True:
        current = MatchingPolicy.objects.select_for_update().filter(is_active=True).first()
        if current is not None or not MatchingPolicy.objects.filter(is_active=True).exists():
            return current

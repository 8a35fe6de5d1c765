"""Private calendar feeds: a secret, revocable token per user."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from scheduling.models import CalendarFeed


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_create(*, user: User) -> str:
    """A new private feed token (shown once); any earlier feed URL stops working."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        # Two creates at once queue here instead of both inserting a live feed.
        User.objects.select_for_update().values_list("pk").get(pk=user.pk)
        CalendarFeed.objects.filter(user=user, revoked_at=None).update(revoked_at=timezone.now())
        CalendarFeed.objects.create(user=user, token_digest=_digest(token))
    return token


def calendar_feed_revoke(*, user: User) -> int:
    return CalendarFeed.objects.filter(user=user, revoked_at=None).update(revoked_at=timezone.now())


def calendar_feed_user(*, token: str) -> User | None:
    feed = (
        CalendarFeed.objects.filter(token_digest=_digest(token), revoked_at=None)
        .select_related("user")
        .first()
    )
    if feed is None or not feed.user.is_active:
        return None
    return feed.user

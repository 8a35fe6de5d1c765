"""In-app notifications and their emails.

``notify`` writes the rows in the caller's transaction and queues their delivery through the
outbox, so an email goes out exactly when the change it announces commits. Delivery claims
each row (``emailed_at``) before sending, so a redelivered task sends nothing twice.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Membership, User
from config.bulk import bulk_insert
from exchange import outbox
from exchange.models import Notification, SupportRequest

logger = logging.getLogger(__name__)

DELIVER_TASK = "exchange.deliver_notifications"
DELIVERY_BATCH = 200


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes | str
    mimetype: str


class AboutSession(Protocol):
    """A session, as far as a notification about one needs it (scheduling's ``Session``)."""

    pk: int
    request_id: int


# What a notification's email carries beside its text, if anything. The exchange knows no
# attachments of its own; the task that delivers (scheduling/tasks.py) passes the session
# invitation, so notifications stay below scheduling.
Attacher = Callable[[Notification], Attachment | None]


def no_attachment(notification: Notification) -> None:
    return None


def school_people(support_request: SupportRequest) -> list[User]:
    """Who hears about a request on the school's side: whoever raised it and the school's
    SENCOs."""
    senco_ids = Membership.objects.filter(
        school_id=support_request.school_id, role=Role.SENCO
    ).values_list("user_id", flat=True)
    people = User.objects.filter(pk__in=[support_request.created_by_id, *senco_ids])
    return list(people.filter(is_active=True).order_by("pk"))


def notify(
    *,
    users: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    request_id: int | None = None,
    session: AboutSession | None = None,
) -> list[Notification]:
    """One notification per user (each user once), emailed after commit."""
    unique = {user.pk: user for user in users if user is not None}
    if request_id is None and session is not None:
        request_id = session.request_id
    return notify_many(
        [
            Notification(
                user=user,
                kind=kind,
                title=title[:200],
                body=body,
                request_id=request_id,
                session_id=None if session is None else session.pk,
            )
            for user in unique.values()
        ]
    )


def notify_many(notifications: list[Notification]) -> list[Notification]:
    """Stores prepared notifications and queues their emails, a batch per task."""
    rows = bulk_insert(notifications)
    for start in range(0, len(rows), DELIVERY_BATCH):
        batch = rows[start : start + DELIVERY_BATCH]
        outbox.enqueue(DELIVER_TASK, notification_ids=[row.pk for row in batch])
    return rows


def notifications_deliver(*, notification_ids: list[int], attach: Attacher = no_attachment) -> int:
    """Emails each notification not yet emailed, with what ``attach`` gives it (the
    session's ``.ics``, for one about a session). Returns how many were sent."""
    sent = 0
    for notification_id in notification_ids:
        with transaction.atomic():
            claimed = Notification.objects.filter(pk=notification_id, emailed_at=None).update(
                emailed_at=timezone.now()
            )
            if not claimed:
                continue
            notification = Notification.objects.select_related("user", "session").get(
                pk=notification_id
            )
            message = EmailMessage(
                subject=notification.title,
                body=notification.body,
                to=[notification.user.email],
            )
            attachment = attach(notification)
            if attachment is not None:
                message.attach(attachment.filename, attachment.content, attachment.mimetype)
            # Inside the claim's transaction: if sending fails the claim rolls back and the
            # task's retry sends it again.
            message.send()
            sent += 1
    return sent


def notification_mark_read(*, notification: Notification) -> Notification:
    Notification.objects.filter(pk=notification.pk, read_at=None).update(read_at=timezone.now())
    notification.refresh_from_db()
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at=None).update(read_at=timezone.now())

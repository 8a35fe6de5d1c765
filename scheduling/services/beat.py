"""What beat runs: reminders before sessions, and offers that lapsed."""

from django.db import transaction
from django.utils import timezone

from exchange.enums import NotificationKind, RequestStatus
from exchange.models import SupportRequest
from exchange.notifications import notify, school_people
from scheduling.enums import SessionStatus
from scheduling.models import NOTIFICATION_FOR_REMINDER, Reminder, Session
from scheduling.services.booking import live_sessions_cancel, spoken_time


def reminders_send(*, batch: int = 200) -> int:
    """Sends due reminders of confirmed sessions, each once: rows are claimed under
    ``select_for_update(skip_locked=True)`` and marked sent in the same transaction, so two
    beats (or a redelivered task) never send one twice."""
    now = timezone.now()
    sent = 0
    with transaction.atomic():
        # A reminder for a session that has already started (beat was down) helps nobody:
        # drop it rather than send it late or retry it for ever.
        Reminder.objects.filter(sent_at=None, due_at__lte=now, session__starts_at__lte=now).delete()
        due = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                sent_at=None,
                due_at__lte=now,
                session__status=SessionStatus.CONFIRMED,
                session__starts_at__gt=now,
            )
            .select_related("session__request")
            .order_by("due_at")[:batch]
        )
        for reminder in due:
            Reminder.objects.filter(pk=reminder.pk).update(sent_at=now)
            session = reminder.session
            notify(
                users=session.attendees.all(),
                kind=NOTIFICATION_FOR_REMINDER[reminder.kind],
                title=f"Reminder: session {spoken_time(session.starts_at)}",
                body=f"“{session.request.title}” starts {spoken_time(session.starts_at)}.",
                session=session,
            )
            sent += 1
    return sent


def offers_lapse(*, batch: int = 500) -> int:
    """Offers the school left unconfirmed past their hold → ``cancelled``, freeing the
    expert's time; the school is told it can ask for new times."""
    now = timezone.now()
    with transaction.atomic():
        lapsed = list(
            Session.objects.select_for_update(skip_locked=True)
            .filter(status=SessionStatus.OFFERED, offered_until__lte=now)
            .values_list("pk", flat=True)[:batch]
        )
        count = live_sessions_cancel(
            Session.objects.filter(pk__in=lapsed), by=None, reason="The offer lapsed."
        )
        # Told once, when the last of a request's offers has lapsed: while one is live the
        # school can still confirm it.
        requests = SupportRequest.objects.filter(
            pk__in=Session.objects.filter(pk__in=lapsed).values("request_id"),
            status=RequestStatus.ACCEPTED,
        ).exclude(pk__in=Session.objects.filter(status=SessionStatus.OFFERED).values("request_id"))
        for support_request in requests:
            notify(
                users=school_people(support_request),
                kind=NotificationKind.NO_SLOTS,
                title=f"Offered times lapsed for “{support_request.title}”",
                body="The times offered were not confirmed in time and have been released. "
                "Ask for new times when you are ready.",
                request_id=support_request.pk,
            )
    return count

"""Celery tasks of the knowledge app: one service call each, idempotent (the reminders'
unique keys)."""

from celery import shared_task

from config.celery import TASK_RETRY as RETRY
from knowledge import services


@shared_task(name="knowledge.send_reminders", **RETRY)
def send_reminders() -> int:
    """Beat: feedback reminders 3 and 10 school days after a session, review reminders
    when a review falls due; each sent once."""
    return services.feedback_reminders_send() + services.review_reminders_send()

"""Celery tasks for partnerships: thin, take primary keys, safe to run twice."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.utils import timezone

from . import selectors, services

# Transient failures of the mail server: retried with backoff. Anything else is a bug.
TRANSIENT_MAIL_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(soft_time_limit=60, time_limit=90)
def send_deliverable_reminders() -> dict[str, int]:
    """Daily (Celery beat): queue one reminder task per deliverable due soon or overdue.

    Scheduling the same day twice is harmless: each reminder task sends only if
    its deliverable's `*_sent_on` date is still empty (checked under a row lock).
    """
    due, overdue = selectors.deliverables_to_remind(today=timezone.localdate())
    for pk in due:
        send_deliverable_reminder.delay(pk, "due")
    for pk in overdue:
        send_deliverable_reminder.delay(pk, "overdue")
    return {"due": len(due), "overdue": len(overdue)}


@shared_task(
    autoretry_for=TRANSIENT_MAIL_ERRORS,
    retry_backoff=30,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=6,
    soft_time_limit=60,
    time_limit=90,
)
def send_deliverable_reminder(deliverable_id: int, kind: str) -> bool:
    """Send the "due" or "overdue" reminder of one deliverable, at most once."""
    return services.deliverable_send_reminder(deliverable_id=deliverable_id, kind=kind)

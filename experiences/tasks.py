"""Celery tasks of experiences: the export job.

Thin and idempotent: the task takes the job's primary key and calls the
service; the job row holds the state (pending, running, done, failed) and the
progress that the page polls. Only a database hiccup is retried. Time limits are the project's
(CELERY_TASK_SOFT_TIME_LIMIT / CELERY_TASK_TIME_LIMIT), which the broker's
visibility timeout is sized against.
"""

from __future__ import annotations

import logging
import smtplib

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _

from . import alerts, services
from .semantic.tasks import embed_experiences_task, embed_missing_experiences  # noqa: F401 - registered here

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError)


class ExportTask(Task):
    """Marks the job failed whenever Celery gives up on it (error, last retry, time limit)."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        job_id = kwargs.get("job_id") or (args[0] if args else None)
        if job_id is None:
            return
        if isinstance(exc, SoftTimeLimitExceeded):
            reason = _("L'export a pris trop de temps et a été arrêté ; réduisez la sélection.")
        elif isinstance(exc, TRANSIENT_ERRORS):
            reason = _("La base de données est restée indisponible ; relancez l'export.")
        else:
            reason = _("L'export a échoué (%(error)s).") % {"error": type(exc).__name__}
        logger.warning("Export job %s failed: %s", job_id, exc)
        services.export_job_fail(job_id=job_id, reason=reason)


@shared_task(
    bind=True,
    base=ExportTask,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=3,
)
def run_export_job(self, job_id: str) -> str:  # noqa: ARG001 - bound for retries
    """Build the file of one ExportJob."""
    job = services.export_job_run(job_id=job_id)
    return job.state if job is not None else "missing"


# --- Saved searches: the weekly alert (experiences/alerts.py) -------------------------------------

# Transient failures of the mail server or the database: retried with backoff.
TRANSIENT_MAIL_ERRORS = (*TRANSIENT_ERRORS, ConnectionError, TimeoutError, smtplib.SMTPException)


@shared_task(soft_time_limit=600, time_limit=660)
def rebuild_search_vocabulary() -> int:
    """Rebuild the suggestion vocabulary from the public fiches (idempotent: a full recomputation).

    Queued when a fiche leaves the public, and nightly (CELERY_BEAT_SCHEDULE).
    """
    from .search import rebuild_search_terms

    return rebuild_search_terms()


@shared_task(soft_time_limit=60, time_limit=90)
def send_saved_search_digests() -> int:
    """Weekly (Celery beat): queue one alert task per saved search that is due. Returns how many."""
    ids = alerts.due_saved_searches()
    for pk in ids:
        send_saved_search_digest.delay(pk)
    return len(ids)


@shared_task(
    autoretry_for=TRANSIENT_MAIL_ERRORS,
    retry_backoff=30,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=6,
    soft_time_limit=60,
    time_limit=90,
)
def send_saved_search_digest(saved_search_id: int) -> int:
    """Send one saved search's alert (new matches only, each fiche once). Returns the number of fiches sent."""
    return alerts.saved_search_send_digest(saved_search_id=saved_search_id).experiences

"""Celery tasks of studies (queue "reports", see CELERY_TASK_ROUTES).

Delivery guarantees come from the settings: acks_late + reject_on_worker_lost
(a killed pool child requeues its task), prefetch 1, soft and hard time limits,
a broker visibility timeout above the hard limit. The job row in PostgreSQL is
the source of truth; the task is thin and idempotent.
"""

from __future__ import annotations

import logging

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.pdf import collected_after

from . import services
from .worker import holder_identity

logger = logging.getLogger(__name__)

# Errors worth a retry: the database went away for a moment. Anything else
# (a bad document, a bug) fails the job at once with its reason.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def failure_reason(exc: BaseException, *, soft: int | None = None, hard: int | None = None) -> str:
    with override(settings.LANGUAGE_CODE):
        if isinstance(exc, TimeLimitExceeded):
            if exc.args and isinstance(exc.args[0], int | float):
                hard = int(exc.args[0])  # the limit that applied (the message's own, if it had one)
            return _(
                "Le rendu a dépassé la limite de %(s)s secondes et a été interrompu. "
                "Réduisez le nombre d'expériences ou contactez l'équipe technique."
            ) % {"s": hard or settings.CELERY_TASK_TIME_LIMIT}
        if isinstance(exc, SoftTimeLimitExceeded):
            return _("Le rendu a dépassé la limite de %(s)s secondes et a été arrêté.") % {
                "s": soft or settings.CELERY_TASK_SOFT_TIME_LIMIT
            }
        if isinstance(exc, TRANSIENT_ERRORS):
            return _("La base de données est restée indisponible malgré plusieurs tentatives.")
        return _("Erreur pendant le rendu : %(error)s") % {"error": f"{type(exc).__name__}: {exc}"[:300]}


class ReportTask(Task):
    """Marks the job failed whenever Celery gives up on it.

    Celery calls `on_failure` for an exception raised by the task, after the
    last retry, and — in the worker's main process — when the hard time limit
    kills the pool child, so even a render stuck in C code gets its reason.
    """

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        job_id = kwargs.get("job_id") or (args[0] if args else None)
        if job_id is None:
            return
        reason = failure_reason(exc, soft=self.soft_time_limit, hard=self.time_limit)
        logger.warning("Report job %s failed: %s", job_id, reason)
        services.report_job_fail(job_id=job_id, reason=reason)


@shared_task(
    bind=True,
    base=ReportTask,
    name="studies.tasks.render_study_report",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=4,
)
def render_study_report(self, job_id: int) -> int | None:
    """Render report job `job_id` into a new version (idempotent; returns the version id)."""
    try:
        with collected_after():  # the render's garbage is collected once the job is done
            return services.report_job_run(
                job_id=job_id, task_id=self.request.id or "", holder=holder_identity(self.request.hostname)
            )
    except SoftTimeLimitExceeded as exc:
        # The limit may have interrupted a query half-way: start from a fresh connection.
        connections.close_all()
        soft = (self.request.timelimit or (None, None))[1] or self.soft_time_limit
        services.report_job_fail(job_id=job_id, reason=failure_reason(exc, soft=soft))
        return None

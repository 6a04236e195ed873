"""Report jobs survive a lost worker (see README, "Reports").

Each worker process tree has an identity, "node name#instance": the main process
makes it when the worker starts and its pool children inherit it (environment),
so the job rows they claim record their holder. In the main process, the
`ReportJobsRecovery` step then, at start and every REPORT_HEARTBEAT_INTERVAL
seconds:

- writes a heartbeat on the jobs its pool is rendering;
- takes back (puts back in the queue, « reprise après interruption ») the running
  jobs whose holder is gone: an earlier life of a worker of the same name at once
  (node names are unique, so that one restarted), any holder silent for
  REPORT_HOLDER_STALE_AFTER seconds, and its own jobs its pool no longer renders;
- fails the jobs with no sign of life for REPORT_JOB_ABANDON_AFTER seconds.

So a worker killed whole and restarted resumes its job within seconds, whatever
the broker's visibility timeout (the broker's own redelivery, later, finds the
job done or held by a live worker and does nothing).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid

from celery import bootsteps

logger = logging.getLogger(__name__)

HOLDER_ENV = "PERISCOPE_REPORT_HOLDER"
TASK_NAME = "studies.tasks.render_study_report"


def holder_identity(hostname: str | None = None) -> str:
    """This worker's identity (set by its main process), else one for this process."""
    return os.environ.get(HOLDER_ENV) or f"{hostname or socket.gethostname()}#{os.getpid()}"


def active_job_ids() -> list[int]:
    """The report jobs this worker's pool is rendering (main process only)."""
    from celery.worker import state

    ids = []
    for request in list(state.active_requests):
        if request.name == TASK_NAME:
            job_id = request.kwargs.get("job_id") if request.kwargs else None
            if job_id is None and request.args:
                job_id = request.args[0]
            if isinstance(job_id, int):
                ids.append(job_id)
    return ids


class ReportJobsRecovery(bootsteps.StartStopStep):
    """Heartbeats, take-backs and abandonment of report jobs, in the worker's main process."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, w, **kwargs):
        super().__init__(w, **kwargs)
        self.identity = f"{w.hostname}#{uuid.uuid4().hex[:12]}"
        os.environ[HOLDER_ENV] = self.identity  # before the pool forks its children
        self.app = w.app
        self.tref = None

    def start(self, w):
        self.sweep()
        from django.conf import settings

        self.tref = w.timer.call_repeatedly(settings.REPORT_HEARTBEAT_INTERVAL, self.sweep)

    def stop(self, w):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    def queue(self) -> str | None:
        """Where to send a job taken back: its usual queue if this worker reads it, else one it reads."""
        consumed = list(self.app.amqp.queues.consume_from or {})
        if not consumed:
            return None
        routed = self.app.amqp.router.route({}, TASK_NAME).get("queue")
        name = getattr(routed, "name", routed)
        return name if name in consumed else consumed[0]

    def sweep(self) -> None:
        from django.db import close_old_connections

        from . import services

        try:
            close_old_connections()
            active = active_job_ids()
            services.report_jobs_heartbeat(holder=self.identity, job_ids=active)
            taken = services.report_jobs_take_back(me=self.identity, active_ids=active, queue=self.queue())
            if taken:
                logger.warning("Took back report jobs %s", taken)
            services.report_jobs_abandon()
        except Exception:  # the database is away for a moment: the next sweep tries again
            logger.exception("Report job sweep failed")

"""Celery tasks of semantic search: thin, idempotent, taking fiche ids.

Only named transient errors (the database going away) are retried, with exponential
backoff and jitter; anything else fails the task and the catch-up job
(`embed_missing_experiences`, every 15 minutes with beat) finds the fiche again.
Time limits sit under the broker's visibility timeout (settings: CELERY_VISIBILITY_TIMEOUT).
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from . import jobs

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError)
CATCH_UP_PER_RUN = 400  # ~1 min of embedding on a quiet 2-core machine, in TASK_BATCH tasks


@shared_task(
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=90,
    time_limit=120,
)
def embed_experiences_task(experience_ids: list[int]) -> dict[str, int]:
    """Embed these fiches (unchanged passages are skipped). Returns the counts."""
    ids = [int(pk) for pk in experience_ids]
    done: list[int] = []
    try:
        report = jobs.embed_experiences(ids, progress=lambda n: done.append(n))
    except SoftTimeLimitExceeded:
        # What was embedded is stored; the rest is checked again by a new task
        # (idempotent: the stored ones are skipped by their hash).
        logger.warning("Embedding of %s fiches hit the soft time limit; re-queued.", len(ids))
        embed_experiences_task.delay(ids)
        return {"handled": sum(done), "requeued": len(ids)}
    from .themes import theme_vectors

    theme_vectors()  # warms the shared cache of the thesaurus's vectors (theme suggestions)
    return report.as_dict()


@shared_task(soft_time_limit=60, time_limit=90)
def embed_missing_experiences() -> int:
    """Periodic catch-up: queue the fiches whose vector is missing or older than the fiche."""
    ids = jobs.stale_ids(limit=CATCH_UP_PER_RUN)
    for start in range(0, len(ids), jobs.TASK_BATCH):
        embed_experiences_task.delay(ids[start : start + jobs.TASK_BATCH])
    return len(ids)

"""A task for tests/production/test_logging.py's real-worker test (imported with `celery worker -I`)."""

import logging

from celery import shared_task

logger = logging.getLogger("periscope.tests.probe")


@shared_task(name="tests.production.log_probe")
def log_probe(job_id: int) -> int:
    logger.info("probe task ran")  # job_id comes from the task's arguments, bound by core.logging
    return job_id

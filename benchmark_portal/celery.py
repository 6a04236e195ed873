"""Celery application. Tasks live in each app's tasks.py."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmark_portal.settings.local")

app = Celery("benchmark_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _add_worker_steps() -> None:
    from studies.worker import ReportJobsRecovery

    app.steps["worker"].add(ReportJobsRecovery)


_add_worker_steps()


@worker_process_init.connect
def freeze_startup_objects(**_kwargs) -> None:
    """Keep what the pool child inherited (Django, modules, settings) out of every later collection."""
    gc.freeze()

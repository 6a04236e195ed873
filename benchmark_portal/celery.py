"""Celery application. Tasks live in each app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmark_portal.settings.local")

app = Celery("benchmark_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

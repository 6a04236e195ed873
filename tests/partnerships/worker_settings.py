"""Settings for the Celery worker started by test_tasks.py: test settings, real broker, mail to files."""

import os

from benchmark_portal.settings.test import *  # noqa: F403

MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": os.environ["PERISCOPE_TEST_MAIL_DIR"]},
    }
}
CELERY_TASK_ALWAYS_EAGER = False

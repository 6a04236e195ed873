"""The project's Celery app, for worker subprocesses started by the tests.

`celery -A tests.studies.celery_app worker` runs the real app
(benchmark_portal.celery, real settings, real tasks) with one test-only
addition: a study whose title contains PERISCOPE-SLOW renders 3 s slower (so a
test can kill the worker mid-render), and one whose title contains
PERISCOPE-HANG never finishes and ignores the soft time limit, like a render
stuck in C code (so the hard limit must end it). Production code has no such hook.
"""

import time

from celery.exceptions import SoftTimeLimitExceeded

from benchmark_portal.celery import app  # noqa: F401 - the app celery -A loads

SLOW_SECONDS = 3.0


def _install_faults() -> None:
    import django

    django.setup()
    from studies import reports

    real_render = reports.render_report

    def render_with_faults(document, **kwargs):
        html = document.html()
        if "PERISCOPE-HANG" in html:
            while True:
                try:
                    time.sleep(60)
                except SoftTimeLimitExceeded:
                    continue
        if "PERISCOPE-SLOW" in html:
            time.sleep(SLOW_SECONDS)
        return real_render(document, **kwargs)

    reports.render_report = render_with_faults


_install_faults()

"""Report jobs through a real Redis and a real Celery worker subprocess.

The worker runs `celery -A tests.studies.celery_app worker` (the project's app
plus two title-triggered faults, see that module) on Redis database 5, against
the pytest test database; tests are `transaction=True` so it sees their rows.
Time limits come through the environment (soft 30 s, hard 40 s: a loaded machine
must not turn a slow render into a failure); the hanging-render test sends its
job with short ones (6 s, 8 s), as a message carries its own limits. The
broker's visibility timeout is long (120 s): recovery from a worker killed whole
must come from the job rows (studies.worker), not from the broker's redelivery.

The machine may be loaded (CI runs the suite on two shared cores): waits for a
worker to pick a job up are generous, and the bounds under test are measured
from the moment they start (the job running, the worker ready). A failed wait
shows the end of the worker's log.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest
import redis
from django.db import connection
from django.test import Client

from accounts.roles import Role
from benchmark_portal.database import database_url
from studies import services
from studies.models import ReportJob, ReportVersion
from tests.factories import UserFactory
from tests.studies.helpers import make_study

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BROKER = "redis://127.0.0.1:6379/5"
# Other test runs (other engineers, CI) may use the same Redis database at the
# same time: a queue of our own keeps their workers off our messages.
QUEUE = f"reports-test-{os.getpid()}"
SOFT, HARD, VISIBILITY = 30, 40, 120
HANG_SOFT, HANG_HARD = 6, 8
PICKUP = 60  # seconds a loaded machine may take to hand a queued job to the worker
RECOVERY = 30  # the promise: a job is done within 30 s of a restarted worker being ready
ROOT = Path(__file__).resolve().parents[2]


class Worker:
    """A `celery worker` subprocess we can start, kill -9 and restart."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log, self.proc = env, log, None

    def start(self, timeout: float = 60) -> None:
        with self.log.open("a") as handle:
            handle.write("\n----- worker (re)started -----\n")
        handle = self.log.open("a")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.studies.celery_app",
                "worker",
                "-Q",
                QUEUE,
                "--concurrency=1",
                "--pool=prefork",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "info",
                "-n",
                f"studies-test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        offset = self.log.stat().st_size
        while time.monotonic() < deadline:
            if " ready." in self.log.read_text()[offset:]:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"worker did not start:\n{self.log.read_text()[-3000:]}")

    def child_pids(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def kill_child(self) -> None:
        for pid in self.child_pids():
            os.kill(pid, signal.SIGKILL)

    def kill_all(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, media_dir, tmp_path_factory):
    redis.Redis.from_url(BROKER).delete(QUEUE)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmark_portal.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_SOFT_TIME_LIMIT": str(SOFT),
        "REPORT_RENDER_PROCESSES": "2",  # the worker lays reports out in parts, as in production
        "CELERY_TASK_TIME_LIMIT": str(HARD),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
        "DJANGO_MEDIA_ROOT": str(media_dir),
        "DJANGO_PRIVATE_MEDIA_ROOT": str(media_dir.parent / "private"),
    }
    global WORKER_LOG
    w = Worker(env, Path(os.environ.get("PERISCOPE_WORKER_LOG", tmp_path_factory.mktemp("worker") / "worker.log")))
    WORKER_LOG = w.log
    w.start()
    yield w
    w.stop()
    redis.Redis.from_url(BROKER).delete(QUEUE)


@pytest.fixture
def broker(worker, settings, media_dir):
    """Point this process's Celery app at the test broker (it runs eagerly otherwise)."""
    from celery import _state

    from benchmark_portal.celery import app
    from studies.tasks import render_study_report

    # Another test may have created a Celery app that became "current": tasks
    # declared with @shared_task resolve against the current app, so make ours current.
    previous_app = _state.get_current_app()
    app.set_current()
    settings.MEDIA_ROOT = media_dir
    settings.PRIVATE_MEDIA_ROOT = media_dir.parent / "private"
    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager", "task_routes")}
    # Time limits travel in the message, taken from the *sender's* task options.
    limits = (render_study_report.soft_time_limit, render_study_report.time_limit)
    render_study_report.soft_time_limit, render_study_report.time_limit = SOFT, HARD
    render_study_report._exec_options = None  # Celery caches a task's message options at its first send
    _reset_connections(app)
    app.conf.update(
        broker_url=BROKER,
        result_backend=BROKER,
        task_always_eager=False,
        task_routes={"studies.tasks.*": {"queue": QUEUE}},
    )
    _reset_routes(app)
    yield app
    _reset_connections(app)
    app.conf.update(saved)
    _reset_routes(app)
    render_study_report.soft_time_limit, render_study_report.time_limit = limits
    render_study_report._exec_options = None
    previous_app.set_current()


def _reset_routes(app) -> None:
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)


def _reset_connections(app) -> None:
    # Drop (without closing: kombu keeps shared pools per URL) the cached
    # connections so the next publish uses the current broker_url.
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


WORKER_LOG: Path | None = None


def worker_log_tail(lines: int = 40) -> str:
    if WORKER_LOG is None or not WORKER_LOG.exists():
        return ""
    return "\n".join(WORKER_LOG.read_text(errors="replace").splitlines()[-lines:])


def wait_for(job: ReportJob, statuses: set[str], timeout: float, seen: list[str] | None = None) -> ReportJob:
    """Poll the job row until its status is one of `statuses`; `seen` collects its messages."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if seen is not None and (not seen or seen[-1] != job.message):
            seen.append(job.message)
        if job.status in statuses:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job stayed {job.status} ({job.message}) after {timeout}s; worker log:\n{worker_log_tail()}")


def pdf_pages_text(path: str) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True).stdout
    return out.split("\f")


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).replace("- ", "-")


def generate(study, staff) -> ReportJob:
    from django.db import transaction

    with transaction.atomic():
        job = services.report_job_request(study=study, by=staff)
    return job


def test_job_completes_with_every_experience_and_a_table_of_contents_giving_the_right_pages(broker):
    titles = ["Gare de Felletin", "Tiers-lieu de Ramillies", "Café de Gembloux", "Fablab de Guéret"]
    study, staff = make_study(titles=titles)
    job = wait_for(generate(study, staff), {"done", "failed"}, 60)
    assert job.status == "done", job.error
    version = ReportVersion.objects.get(job=job)
    assert version.number == 1 and version.pages > 8 and len(version.checksum) == 64

    pages = pdf_pages_text(version.file.path)
    whole = flat(" ".join(pages))
    for title in titles:
        assert title in whole
    toc = next(i for i, page in enumerate(pages) if "Sommaire" in page)
    entries = re.findall(r"^\s*(\d\d)\s+(.+?)\s*\.{3,}\s*(\d+)\s*$", pages[toc], flags=re.M)
    by_label = {label.strip(): int(page) for _num, label, page in entries}
    for title in titles:
        page = by_label[title]
        assert title in flat(pages[page - 1]), f"{title} not on page {page}"
    assert "Synthèse des expériences" in flat(pages[by_label["Synthèse des expériences"] - 1])
    assert f"page {by_label['Conclusions et recommandations']} / {version.pages}" in flat(
        pages[by_label["Conclusions et recommandations"] - 1]
    )
    # The worker's pool child laid it out in parts: its pages carry the stamps (page numbers) drawn after the merge.
    with pikepdf.open(version.file.path) as pdf:
        assert all(any(str(name).startswith("/Stamps") for name in page.Resources.XObject) for page in pdf.pages)


def test_a_job_delivered_twice_yields_one_version(broker):
    from studies.tasks import render_study_report

    study, staff = make_study(titles=["Maison de services de Bellac"])
    job = ReportJob.objects.create(study=study, requested_by=staff, total=10)
    render_study_report.apply_async(args=[job.pk])
    render_study_report.apply_async(args=[job.pk])
    wait_for(job, {"done", "failed"}, 60)
    time.sleep(2)  # let the second delivery run to its end
    assert job.status == "done"
    assert ReportVersion.objects.filter(study=study).count() == 1
    assert ReportVersion.objects.get(study=study).job_id == job.pk


def test_a_user_outside_the_study_team_gets_404_on_its_job_and_download_urls(broker):
    member = UserFactory(role=Role.CONSULTANT)
    outsider = UserFactory(role=Role.CONSULTANT)
    study, staff = make_study(titles=["Tiers-lieu de Marcolès"], team=[member])
    job = wait_for(generate(study, staff), {"done", "failed"}, 60)
    urls = [
        f"/etudes/{study.slug}/rapports/jobs/{job.pk}/",
        f"/etudes/{study.slug}/rapports/v1.pdf",
        f"/etudes/{study.slug}/rapports/v1/",
        f"/etudes/{study.slug}/",
    ]
    client = Client()
    client.force_login(outsider)
    for url in urls:
        assert client.get(url).status_code == 404, url
    client.force_login(member)
    for url in urls:
        assert client.get(url).status_code == 200, url
    response = client.get(urls[1])
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_killing_the_pool_child_mid_render_still_completes_the_job(broker, worker):
    study, staff = make_study(titles=["Gare de Bourganeuf"], study_title="PERISCOPE-SLOW gare")
    job = wait_for(generate(study, staff), {"running"}, 30)
    time.sleep(1.0)  # inside the slowed-down render
    worker.kill_child()
    job = wait_for(job, {"done", "failed"}, 40)
    assert job.status == "done", job.error
    assert job.attempts == 2
    assert ReportVersion.objects.filter(study=study).count() == 1


def test_a_hanging_render_fails_with_a_reason_at_the_hard_limit(broker):
    from studies.tasks import render_study_report

    study, staff = make_study(titles=["Tiers-lieu suspendu"], study_title="PERISCOPE-HANG suspendu")
    job = ReportJob.objects.create(study=study, requested_by=staff, total=100)
    # Short limits for this job only: they travel in its message.
    render_study_report.apply_async(args=[job.pk], soft_time_limit=HANG_SOFT, time_limit=HANG_HARD)
    job = wait_for(job, {"running", "done", "failed"}, PICKUP)
    started = time.monotonic()
    # The hard limit counts from the pool child accepting the task (just before it
    # claimed the job); the main process checks it every second, then kills and reports.
    job = wait_for(job, {"done", "failed"}, HANG_HARD + 10)
    assert job.status == "failed"
    assert f"{HANG_HARD} secondes" in job.error
    assert time.monotonic() - started >= HANG_SOFT - 1
    assert not ReportVersion.objects.filter(study=study).exists()


def test_killing_the_whole_worker_then_restarting_it_completes_within_30_s_of_the_restart(broker, worker):
    study, staff = make_study(titles=["Coworking de Lodève"], study_title="PERISCOPE-SLOW lodeve")
    job = wait_for(generate(study, staff), {"running"}, PICKUP)
    assert job.holder.startswith(f"studies-test-{os.getpid()}@") and job.heartbeat_at is not None
    first_holder = job.holder
    time.sleep(0.5)  # inside the slowed-down render
    worker.kill_all()  # main process, pool child, layout parts: kill -9
    time.sleep(2)
    job.refresh_from_db()
    assert job.status == "running"  # nobody knows yet
    worker.start()
    ready = time.monotonic()
    seen: list[str] = []
    job = wait_for(job, {"done", "failed"}, RECOVERY, seen=seen)
    assert job.status == "done", job.error
    assert time.monotonic() - ready <= RECOVERY  # far below the broker's visibility timeout
    assert any("Reprise après interruption" in message for message in seen), seen
    assert job.holder != first_holder and job.attempts == 2
    assert ReportVersion.objects.filter(study=study).count() == 1


def test_a_job_whose_worker_never_comes_back_fails_within_its_bound_and_can_be_relaunched(broker, worker, settings):
    settings.REPORT_JOB_ABANDON_AFTER = 4
    study, staff = make_study(titles=["Épicerie de Saint-Affrique"], study_title="PERISCOPE-SLOW affrique")
    job = wait_for(generate(study, staff), {"running"}, PICKUP)
    time.sleep(0.5)
    worker.kill_all()
    killed = time.monotonic()
    client = Client()
    client.force_login(staff)
    url = f"/etudes/{study.slug}/rapports/jobs/{job.pk}/"
    try:
        while time.monotonic() - killed < settings.REPORT_JOB_ABANDON_AFTER + 10:
            data = client.get(url, headers={"accept": "application/json"}).json()  # the page's poll
            if data["status"] != "running":
                break
            time.sleep(0.5)
        assert data["status"] == "failed", data
        assert "Relancez" in data["error"] and "4 secondes" in data["error"]
        assert time.monotonic() - killed >= settings.REPORT_JOB_ABANDON_AFTER - 1
    finally:
        worker.start()
    # The study page's button starts a new job, which the worker (back) renders.
    response = client.post(f"/etudes/{study.slug}/rapports/generer/", {"language": "fr"})
    assert response.status_code in (200, 302)
    new = ReportJob.objects.filter(study=study).exclude(pk=job.pk).get()
    new = wait_for(new, {"done", "failed"}, PICKUP)
    assert new.status == "done", new.error
    assert ReportVersion.objects.filter(study=study).count() == 1

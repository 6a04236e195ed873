"""Structured logs: request id, user id, duration, slow queries, Celery task context."""

import json
import logging
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery, shared_task
from django.conf import settings
from django.db import connection

from core import logging as core_logging
from core.logging import ContextFilter, JSONFormatter, log_context, slow_query_wrapper

ROOT = Path(settings.BASE_DIR)


def request_records(caplog):
    return [r for r in caplog.records if r.name == "periscope.request"]


@pytest.mark.django_db
def test_every_response_carries_a_fresh_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/experiences/")["X-Request-ID"]

    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("incoming", "kept"),
    [("lb-7f3a.42:1", True), ("x" * 129, False), ("bad id\r\nSet-Cookie: a=b", False), ("", False)],
)
def test_an_upstream_request_id_is_kept_only_when_short_and_plain(client, incoming, kept):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)

    assert (response["X-Request-ID"] == incoming) is kept
    assert "\n" not in response["X-Request-ID"]


@pytest.mark.django_db
def test_request_line_has_method_path_status_duration_user_and_database_time(client, member, caplog):
    client.force_login(member)
    caplog.set_level(logging.INFO, logger="periscope.request")

    response = client.get("/", HTTP_X_REQUEST_ID="trace-1")

    assert response.status_code == 200
    (record,) = request_records(caplog)
    assert record.request_id == "trace-1"
    assert record.user_id == member.pk
    assert (record.method, record.path, record.status) == ("GET", "/", 200)
    assert record.duration_ms > 0
    assert record.db_queries >= 2 and record.db_ms > 0


@pytest.mark.django_db
def test_client_errors_are_warnings_and_anonymous_requests_have_no_user(client, caplog):
    caplog.set_level(logging.INFO, logger="periscope.request")

    client.get("/experiences/cette-fiche-n-existe-pas/")

    (record,) = request_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.status == 404
    assert record.user_id is None


@pytest.mark.django_db
@pytest.mark.urls("tests.production.logging_urls")
def test_logging_adds_no_query_and_names_the_user_only_once_the_view_has_read_it(
    client, member, caplog, django_assert_num_queries
):
    client.force_login(member)
    caplog.set_level(logging.INFO, logger="periscope.request")

    with django_assert_num_queries(0):
        client.get("/plain/")
    client.get("/greet/")

    plain, greet = request_records(caplog)
    assert plain.user_id is None
    assert greet.user_id == member.pk


def test_json_formatter_writes_one_object_with_context_extras_and_exception():
    record = logging.LogRecord("periscope.test", logging.ERROR, __file__, 1, "export %s failed", ("pdf",), None)
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    record.duration_ms = 12.5
    token = core_logging._request_id.set("req-9")
    try:
        with log_context(job_id=31):
            ContextFilter().filter(record)
    finally:
        core_logging._request_id.reset(token)

    line = JSONFormatter().format(record)

    assert "\n" not in line
    payload = json.loads(line)
    assert payload["message"] == "export pdf failed"
    assert payload["level"] == "ERROR"
    assert payload["request_id"] == "req-9"
    assert payload["job_id"] == 31
    assert payload["duration_ms"] == 12.5
    assert "ValueError: boom" in payload["exc_info"]
    assert payload["ts"].endswith("+00:00")


@pytest.mark.django_db
def test_queries_slower_than_the_threshold_are_logged_with_their_sql(settings, caplog):
    settings.SLOW_QUERY_MS = 30
    caplog.set_level(logging.WARNING, logger="periscope.db.slow")
    assert slow_query_wrapper in connection.execute_wrappers

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.execute("SELECT pg_sleep(0.06)")

    slow = [r for r in caplog.records if r.name == "periscope.db.slow"]
    assert [r.sql for r in slow] == ["SELECT pg_sleep(0.06)"]
    assert slow[0].duration_ms >= 60


@pytest.mark.django_db
def test_a_negative_threshold_turns_slow_query_logging_off(settings, caplog):
    settings.SLOW_QUERY_MS = -1
    caplog.set_level(logging.DEBUG, logger="periscope.db.slow")

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.02)")

    assert not [r for r in caplog.records if r.name == "periscope.db.slow"]


@shared_task(name="tests.production.eager_probe", bind=True)
def eager_probe(self, job_id, note="", *, study_id=None):
    with log_context(step="render"):
        logging.getLogger("periscope.tests").info("eager task ran")


def test_task_logs_carry_the_task_id_name_and_its_primary_key_arguments(caplog, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    caplog.set_level(logging.INFO, logger="periscope.tests")
    task_id = str(uuid.uuid4())

    eager_probe.apply(args=[17, "secret note"], kwargs={"study_id": 4}, task_id=task_id)

    (record,) = [r for r in caplog.records if r.getMessage() == "eager task ran"]
    assert record.task_id == task_id
    assert record.task_name == "tests.production.eager_probe"
    assert (record.job_id, record.study_id, record.step) == (17, 4, "render")
    assert not hasattr(record, "note")  # only *_id arguments, never free text
    assert core_logging._task.get() is None  # context cleared after the task
    assert core_logging._fields.get() is None


@pytest.mark.worker
def test_a_real_worker_logs_json_lines_with_the_task_id_and_the_enqueuing_request_id(tmp_path, redis_url):
    queue = f"periscope-logtest-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmark_portal.settings.test",
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_LOG_FORMAT": "json",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "benchmark_portal", "worker", "--pool=solo"),
                *("--without-mingle", "--without-gossip", f"--queues={queue}", f"--hostname={queue}@%h"),
                *("--include=tests.production.celery_probe_tasks", "--loglevel=INFO"),
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    publisher = Celery("publisher", broker=redis_url)
    try:
        token = core_logging._request_id.set("req-from-web")
        try:
            result = publisher.send_task("tests.production.log_probe", args=[31], queue=queue)
        finally:
            core_logging._request_id.reset(token)

        deadline = time.monotonic() + 45
        lines = []
        while time.monotonic() < deadline:
            lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
            if any(line["message"] == "probe task ran" for line in lines):
                break
            assert worker.poll() is None, log_path.read_text()
            time.sleep(0.3)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        publisher.close()

    (line,) = [line for line in lines if line["message"] == "probe task ran"]
    assert line["task_id"] == result.id
    assert line["task_name"] == "tests.production.log_probe"
    assert line["request_id"] == "req-from-web"
    assert line["job_id"] == 31
    # Celery's own lines go through the same formatter.
    assert any(line["logger"] == "celery.app.trace" and line.get("task_id") == result.id for line in lines)


def test_slow_query_lines_are_one_line_with_long_id_lists_cut():
    from core.logging import sql_summary

    ids = ",".join(str(n) for n in range(1000, 1400))
    line = sql_summary(f"SELECT *\n    FROM t\n    WHERE id IN ({ids}) AND kind = ANY('{{1,2}}')")
    assert line == "SELECT * FROM t WHERE id IN (1000,1001,1002,1003,1004,…, 1399) AND kind = ANY('{1,2}')"
    assert len(sql_summary("SELECT " + "x" * 5000)) == 2000

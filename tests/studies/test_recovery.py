"""Report jobs whose worker is gone: take-back, duplicate deliveries, abandonment (rows only;
tests/studies/test_worker.py does it with real processes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from studies import services
from studies.models import ReportJob
from tests.studies.helpers import make_study

pytestmark = pytest.mark.django_db

ME = "reports@host#new"


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(services, "_enqueue_report", lambda job_id, queue=None: calls.append((job_id, queue)))
    return calls


def running(study, staff, *, holder: str, seconds_ago: float, task_id: str = "t1") -> ReportJob:
    return ReportJob.objects.create(
        study=study,
        requested_by=staff,
        status=ReportJob.Status.RUNNING,
        total=100,
        attempts=1,
        task_id=task_id,
        holder=holder,
        heartbeat_at=timezone.now() - timedelta(seconds=seconds_ago),
    )


def test_a_restarted_worker_takes_back_the_jobs_of_its_earlier_life_at_once(sent, django_capture_on_commit_callbacks):
    study, staff = make_study(titles=["Gare de Felletin"])
    mine_before = running(study, staff, holder="reports@host#old", seconds_ago=1)
    other_alive = running(make_study(titles=["Café"])[0], staff, holder="other@host2#x", seconds_ago=1)
    with django_capture_on_commit_callbacks(execute=True):
        taken = services.report_jobs_take_back(me=ME, queue="reports")
    assert taken == [mine_before.pk] and sent == [(mine_before.pk, "reports")]
    mine_before.refresh_from_db()
    assert mine_before.status == "queued" and mine_before.holder == "" and mine_before.task_id == ""
    assert mine_before.message == "Reprise après interruption"
    other_alive.refresh_from_db()
    assert other_alive.status == "running"


def test_a_silent_holder_loses_its_job_and_a_job_the_pool_no_longer_renders_is_taken_back(sent, settings):
    study, staff = make_study(titles=["Gare de Felletin"])
    silent = running(study, staff, holder="other@host2#x", seconds_ago=settings.REPORT_HOLDER_STALE_AFTER + 1)
    idle_mine = running(make_study(titles=["Café"])[0], staff, holder=ME, seconds_ago=30)
    active_mine = running(make_study(titles=["Fablab"])[0], staff, holder=ME, seconds_ago=30)
    taken = services.report_jobs_take_back(me=ME, active_ids=[active_mine.pk])
    assert sorted(taken) == sorted([silent.pk, idle_mine.pk])


def test_a_second_delivery_leaves_a_job_a_live_worker_renders_but_a_redelivery_of_the_same_task_resumes_it():
    study, staff = make_study(titles=["Gare de Felletin"])
    job = running(study, staff, holder="other@host2#x", seconds_ago=1, task_id="first")
    assert services._claim(job.pk, "second", ME) is None
    claimed = services._claim(job.pk, "first", ME)
    assert claimed is not None and claimed.attempts == 2 and claimed.holder == ME
    assert claimed.message.startswith("Reprise après interruption")


def test_a_job_silent_past_its_bound_fails_with_a_reason_and_a_new_request_starts_a_new_job(settings, sent):
    settings.REPORT_JOB_ABANDON_AFTER = 240
    study, staff = make_study(titles=["Gare de Felletin"])
    job = running(study, staff, holder="gone@host#x", seconds_ago=241)
    fresh = running(make_study(titles=["Café"])[0], staff, holder="gone@host#x", seconds_ago=200)
    assert services.report_jobs_abandon() == 1
    job.refresh_from_db()
    assert job.status == "failed" and "4 minutes" in job.error and "Relancez" in job.error
    again = services.report_job_request(study=study, by=staff)
    assert again.pk != job.pk and again.status == "queued"
    fresh.refresh_from_db()
    assert fresh.status == "running"

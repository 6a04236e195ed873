"""Exports to CSV, XLSX and JSON: visibility, columns by role, formula neutralisation, background jobs."""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.db import connection
from django.urls import reverse

from benchmark_portal.database import database_url
from core.spreadsheet import neutralise, unneutralise
from experiences import exports, services
from experiences.models import ExportJob
from tests.factories import ExperienceFactory

HOSTILE = ['=HYPERLINK("http://evil","clic")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def _csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_neutralise_prefixes_every_formula_trigger_and_import_removes_exactly_that_apostrophe():
    for value in HOSTILE:
        assert neutralise(value) == "'" + value
        assert unneutralise(neutralise(value)) == value
    assert neutralise("Tiers-lieu = succès") == "Tiers-lieu = succès"
    assert neutralise("") == ""
    # An apostrophe that was in the data stays: values already starting with apostrophes get one more.
    for value in ("'=déjà", "''-x", "'texte", "l'été"):
        assert unneutralise(neutralise(value)) == value
    assert neutralise("'texte") == "'texte" and unneutralise("'texte") == "'texte"


@pytest.mark.django_db
def test_csv_cells_get_an_apostrophe_and_xlsx_cells_are_typed_strings_kept_as_typed(client, consultant):
    for n, title in enumerate(HOSTILE):
        ExperienceFactory(title=title, summary=title, external_ref=f"=cmd|'/c calc'!A{n}")
    client.force_login(consultant)

    content = client.post(reverse("experiences:export"), {"format": "csv"}).content
    rows = _csv_rows(content)
    assert sorted(r["titre"] for r in rows) == sorted("'" + v for v in HOSTILE)
    assert all(r["reference"].startswith("'=") for r in rows)

    content = client.post(reverse("experiences:export"), {"format": "xlsx"}).content
    archive = zipfile.ZipFile(io.BytesIO(content))
    sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    titles = {row[1].value for row in sheet.iter_rows(min_row=2)}
    # No apostrophe: a typed string never runs. A carriage return comes back as a line
    # feed or as itself, depending on the XML reader's version (seen both).
    assert {t.replace("\r", "\n") for t in titles} == {v.replace("\r", "\n") for v in HOSTILE}
    assert all(row[1].data_type == "s" for row in sheet.iter_rows(min_row=2))


@pytest.mark.django_db
def test_json_keeps_values_and_types(client, consultant):
    ExperienceFactory(title="=1+1", budget_amount=1500, external_ref="J1")
    client.force_login(consultant)
    data = json.loads(client.post(reverse("experiences:export"), {"format": "json"}).content)
    item = data["experiences"][0]
    assert data["count"] == 1 and item["titre"] == "=1+1" and item["budget"] == 1500 and item["debut"] == "2020-01-01"


@pytest.mark.django_db
def test_export_respects_visibility_and_selection(client, member, org_a, org_b):
    public = ExperienceFactory(title="Publique")
    ExperienceFactory(title="Brouillon", status="draft", published_at=None)
    mine = ExperienceFactory(title="Confidentielle A", visibility="confidential", client_organisation=org_a)
    theirs = ExperienceFactory(title="Confidentielle B", visibility="confidential", client_organisation=org_b)

    assert client.post(reverse("experiences:export"), {"format": "csv"}).status_code == 302  # sign in first
    client.force_login(member)
    titles = {r["titre"] for r in _csv_rows(client.post(reverse("experiences:export"), {"format": "csv"}).content)}
    assert titles == {"Publique", "Confidentielle A"}

    # A selection cannot reach a fiche the reader may not see.
    url = reverse("experiences:export") + f"?ids={public.pk}&ids={theirs.pk}&ids={mine.pk}"
    titles = {r["titre"] for r in _csv_rows(client.post(url, {"format": "csv"}).content)}
    assert titles == {"Publique", "Confidentielle A"}


@pytest.mark.django_db
def test_export_of_a_search_uses_the_search_filters(client, consultant):
    ExperienceFactory(title="Un", project_status="completed")
    ExperienceFactory(title="Deux", project_status="ongoing")
    client.force_login(consultant)
    url = reverse("experiences:export") + "?project_status=completed"
    assert "1 fiche correspond" in client.get(url).content.decode()
    assert [r["titre"] for r in _csv_rows(client.post(url, {"format": "csv"}).content)] == ["Un"]


@pytest.mark.django_db
def test_editorial_columns_are_for_consultants(client, member, consultant):
    ExperienceFactory()
    client.force_login(member)
    header = _csv_rows(client.post(reverse("experiences:export"), {"format": "csv"}).content)[0].keys()
    assert "statut" not in header and "completude" not in header and "titre" in header
    client.force_login(consultant)
    header = _csv_rows(client.post(reverse("experiences:export"), {"format": "csv"}).content)[0].keys()
    assert {"statut", "visibilite", "completude"} <= set(header)


@pytest.mark.django_db
def test_large_export_runs_as_a_job_with_progress_and_a_private_download(
    client, consultant, staff, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "SYNC_MAX_ROWS", 3)
    for n in range(7):
        ExperienceFactory(title=f"Fiche {n}")
    client.force_login(consultant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("experiences:export"), {"format": "xlsx"})
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("experiences:export_job", args=[job.pk])
    assert (job.state, job.total, job.done, job.percent) == ("done", 7, 7, 100)
    page = client.get(response["Location"]).content.decode()
    assert "<progress" in page and reverse("experiences:export_download", args=[job.pk]) in page
    partial = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="export-progress"') and "hx-get" not in partial
    download = client.get(reverse("experiences:export_download", args=[job.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(download.content)).active
    assert sheet.max_row == 8
    client.force_login(staff)
    assert client.get(reverse("experiences:export_download", args=[job.pk])).status_code == 404
    assert client.get(reverse("experiences:export_job", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_a_pending_job_page_polls_and_a_finished_job_is_not_rebuilt(client, consultant):
    ExperienceFactory()
    job = ExportJob.objects.create(user=consultant, format="csv", params={})
    client.force_login(consultant)
    partial = client.get(reverse("experiences:export_job", args=[job.pk]), headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in partial.content.decode()
    services.export_job_run(job_id=job.pk)
    first = ExportJob.objects.get(pk=job.pk)
    services.export_job_run(job_id=job.pk)
    assert ExportJob.objects.get(pk=job.pk).finished_at == first.finished_at


@pytest.mark.django_db
def test_a_job_keeps_the_visibility_of_its_requester(member, org_b):
    ExperienceFactory(title="Publique")
    ExperienceFactory(title="Secret B", visibility="confidential", client_organisation=org_b)
    job = ExportJob.objects.create(user=member, format="json", params={})
    services.export_job_run(job_id=job.pk)
    data = json.loads(bytes(ExportJob.objects.get(pk=job.pk).content))
    assert [e["titre"] for e in data["experiences"]] == ["Publique"]


# --- A real worker on Redis DB 4 ---------------------------------------------------------------------

# Redis DB 4 is this test's; several people running the suite at once can each
# give their own (a shared broker DB lets one run's worker eat another's tasks).
BROKER = os.environ.get("PERISCOPE_EXPORT_TEST_BROKER", "redis://127.0.0.1:6379/4")


def _reset_connections(app) -> None:
    # Forget the cached broker and backend connections so that the next publish
    # uses the current broker_url (and, afterwards, the suite's own settings).
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_export_job_through_a_real_celery_worker(consultant, tmp_path):
    import redis

    from benchmark_portal.celery import app

    redis.Redis.from_url(BROKER).flushdb()
    for n in range(30):
        ExperienceFactory(title=f"Fiche {n}")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmark_portal.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    log = tmp_path / "worker.log"
    handle = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "benchmark_portal", "worker", "-Q", "default", "--concurrency=1",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info", "-n", f"export-test-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}
    try:
        deadline = time.monotonic() + 45
        while " ready." not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        _reset_connections(app)
        app.conf.update(broker_url=BROKER, result_backend=BROKER, task_always_eager=False)
        job = services.export_job_create(user=consultant, format="csv", params={})
        deadline = time.monotonic() + 30
        while (job := ExportJob.objects.defer("content").get(pk=job.pk)).state not in ("done", "failed"):
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        assert job.state == "done" and job.total == 30
        assert len(_csv_rows(bytes(ExportJob.objects.get(pk=job.pk).content))) == 30
    finally:
        _reset_connections(app)
        app.conf.update(saved)
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        redis.Redis.from_url(BROKER).flushdb()


@pytest.mark.django_db
def test_export_of_the_readers_selection(client, member, org_b):
    from experiences.models import SelectionItem

    kept = ExperienceFactory(title="Gardée")
    ExperienceFactory(title="Pas gardée")
    hidden = ExperienceFactory(title="Plus visible", visibility="confidential", client_organisation=org_b)
    SelectionItem.objects.create(user=member, experience=kept)
    SelectionItem.objects.create(user=member, experience=hidden)
    client.force_login(member)
    url = reverse("experiences:export") + "?selection=1"
    assert [r["titre"] for r in _csv_rows(client.post(url, {"format": "csv"}).content)] == ["Gardée"]

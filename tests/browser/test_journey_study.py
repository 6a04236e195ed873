"""Journey 3: staff turn their selection into a study, generate the client report, watch its
progress, download the PDF, and the PDF holds the experiences.

The report task runs in a thread started after the request (standing in for a Celery
worker, whose own behaviour tests/studies/test_worker.py covers with a real one): the
page shows the queued job and its progress bar, polls, then offers the PDF.
"""

import io
import re
import threading
import time
from types import SimpleNamespace

import pytest
from django.db import connections
from playwright.sync_api import expect
from pypdf import PdfReader

from studies.models import Study
from studies.tasks import render_study_report

from .world import build_world, login

WORKER_DELAY = 2.5  # seconds before the stand-in worker picks the job up


@pytest.fixture
def thread_worker(monkeypatch):
    def apply_async(args=None, kwargs=None, **options):
        job_id = (args or [None])[0] or (kwargs or {}).get("job_id")

        def run():
            time.sleep(WORKER_DELAY)
            try:
                render_study_report.apply(args=[job_id])
            finally:
                connections.close_all()

        threading.Thread(target=run, daemon=True).start()
        return SimpleNamespace(id=f"browser-test-{job_id}")

    monkeypatch.setattr(render_study_report, "apply_async", apply_async)


@pytest.mark.django_db(transaction=True)
def test_staff_turn_their_selection_into_a_study_and_download_its_report(
    live_server, page, shot, axe_check, settings, tmp_path, thread_worker
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    world = build_world()
    base = live_server.url
    login(page, base, "dominique")

    # Two fiches into the selection, from the search results.
    page.goto(f"{base}/experiences/?q=tiers-lieu&country=FR")
    cards = page.locator(".result-card")
    expect(cards).to_have_count(3)
    for index in (0, 1):
        cards.nth(index).get_by_role("button", name=re.compile("Ajouter à ma sélection")).click()
        expect(cards.nth(index).get_by_role("button", name=re.compile("Dans ma sélection"))).to_be_visible()
    titles = [cards.nth(i).locator(".card-title").inner_text() for i in (0, 1)]
    expect(page.locator("#selection-count")).to_have_text("2")

    page.get_by_role("link", name=re.compile("Ma sélection")).first.click()
    page.get_by_role("link", name="Créer une étude à partir de la sélection").click()
    expect(page.locator("h1")).to_have_text("Créer une étude à partir de la sélection")
    page.fill("#id_title", "Tiers-lieux en milieu rural pour Mornant")
    client_box = page.locator("#id_client_organisation")
    client_box.press_sequentially("Commune de Morn", delay=30)
    page.locator("#id_client_organisation_list [role=option]", has_text=world.client.name).click()
    page.locator("#id_question ~ .rte").click()
    page.keyboard.type("Quels tiers-lieux ont réussi dans des bourgs de 2 000 à 5 000 habitants ?")
    shot(page, "study from selection")
    axe_check(page, "study form")
    page.get_by_role("button", name=re.compile("Créer l'étude avec 2 expériences")).click()
    expect(page.locator(".alert-success")).to_contain_text("Étude créée avec 2 expérience(s)")
    study = Study.objects.get(title="Tiers-lieux en milieu rural pour Mornant")
    assert study.items.count() == 2
    shot(page, "study")
    axe_check(page, "study")

    # Generate the report and watch the job go from queued to done.
    page.get_by_role("button", name="Générer le rapport").click()
    progress = page.locator("#report-job progress")
    expect(progress).to_be_visible()
    shot(page, "report queued, progress bar", full_page=False)
    done = page.locator("#report-job .alert-success")
    expect(done).to_contain_text("Version v1 prête", timeout=60_000)
    expect(progress).to_have_count(0)
    shot(page, "report ready", full_page=False)

    # The link serves the PDF inline: fetch it with the page's session, as the browser would.
    href = done.get_by_role("link", name="Télécharger le PDF").get_attribute("href")
    response = page.context.request.get(f"{base}{href}")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    content = response.body()
    (tmp_path / "rapport.pdf").write_bytes(content)
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(content)).pages)
    text = re.sub(r"\s+", " ", text)
    for title in titles:
        assert re.sub(r"\s+", " ", title) in text, title
    assert "Tiers-lieux en milieu rural pour Mornant" in text

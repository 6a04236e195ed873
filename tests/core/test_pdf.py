"""core.pdf: WeasyPrint may read our static and media files, and nothing else."""

from __future__ import annotations

import gc
import http.server
import subprocess
import tempfile
import threading
import weakref
from pathlib import Path

import pytest

from core.pdf import ASSET_ORIGIN, SafeURLFetcher, collected_after, render_pdf, resolve_local_url


class _Canary(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        type(self).hits.append(self.path)
        self.send_response(302)
        self.send_header("Location", "file:///etc/passwd")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def canary():
    """A local HTTP server that records every request (and answers with a redirect to a local file)."""
    _Canary.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Canary)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", _Canary.hits
    server.shutdown()
    server.server_close()


def pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        return subprocess.run(["pdftotext", handle.name, "-"], capture_output=True, text=True, check=True).stdout


def hostile_html(canary_url: str) -> str:
    return f"""<html><head>
    <link rel="stylesheet" href="{canary_url}/style.css">
    <link rel="stylesheet" href="file:///etc/passwd">
    <style>
      @import url("{canary_url}/import.css");
      @font-face {{ font-family: X; src: url("{canary_url}/font.woff"); }}
      body {{ background: url("file:///etc/passwd"); font-family: X; }}
      h1 {{ background-image: url("/static/../../../../etc/passwd"); }}
    </style></head><body>
    <h1>Rapport</h1>
    <img src="file:///etc/passwd" alt="a">
    <img src="{canary_url}/pixel.png" alt="b">
    <img src="/media/../../../../etc/passwd" alt="c">
    <img src="//127.0.0.1:{canary_url.rsplit(":", 1)[1]}/protocol-relative.png" alt="d">
    <object data="file:///etc/passwd"></object>
    <iframe src="{canary_url}/frame"></iframe>
    <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
      <image xlink:href="{canary_url}/svg.png" width="10" height="10"/>
      <image href="file:///etc/passwd" width="10" height="10"/>
    </svg>
    <p style="background: url('{canary_url}/inline.png')">Texte</p>
    </body></html>"""


def test_hostile_document_makes_zero_fetches_and_reads_no_local_file(canary):
    url, hits = canary
    fetcher = SafeURLFetcher()
    pdf = render_pdf(hostile_html(url), fetcher=fetcher)
    assert pdf.content.startswith(b"%PDF")
    assert hits == []
    assert "root:" not in pdf_text(pdf.content)
    assert fetcher.served == []
    refused = " ".join(fetcher.refused)
    assert "file:///etc/passwd" in refused
    assert f"{url}/pixel.png" in refused


def test_user_content_in_a_study_report_fetches_nothing(canary, db, staff):
    """Sources, notes and titles with URLs go through templates (escaped) and the fetcher: 0 fetches."""
    from studies import reports, selectors
    from tests.factories import ExperienceFactory, StudyFactory

    url, hits = canary
    study = StudyFactory(question=f'<img src="{url}/question.png"> file:///etc/passwd')
    experience = ExperienceFactory(
        title=f'<link rel=stylesheet href="{url}/t.css">', context=f"<img src='file:///etc/passwd'> {url}/x"
    )
    experience.sources.create(title="Source", url=f"{url}/source")
    experience.sources.create(title="Fichier", url="file:///etc/passwd")
    study.items.create(experience=experience, position=1, analysis_note=f'<iframe src="{url}/note">')
    snapshot = selectors.report_snapshot(study_id=study.pk, viewer=staff)
    fetcher = SafeURLFetcher()
    pdf = render_pdf(reports.build_report_html(snapshot, version=1), fetcher=fetcher)
    assert hits == []
    assert fetcher.refused == []  # user text never becomes a fetchable element
    assert any("report.css" in u for u in fetcher.served)
    assert "root:" not in pdf_text(pdf.content)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:8000/static/css/report.css",
        "https://example.org/static/css/report.css",
        f"{ASSET_ORIGIN}/etc/passwd",
        f"{ASSET_ORIGIN}/static/../../../etc/passwd",
        f"{ASSET_ORIGIN}/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        f"{ASSET_ORIGIN}/media/../../etc/passwd",
        f"{ASSET_ORIGIN}/static/css/report.css?x=1",
        "http://assets.periscope.invalid/static/css/report.css",
        "data:text/plain,hello",
        "ftp://127.0.0.1/x",
    ],
)
def test_fetcher_refuses_other_schemes_hosts_paths_and_queries(url):
    assert resolve_local_url(url) is None
    with pytest.raises(ValueError):
        SafeURLFetcher().fetch(url)


def test_fetcher_serves_static_and_media_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "branding").mkdir()
    (tmp_path / "branding" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    css = SafeURLFetcher().fetch(f"{ASSET_ORIGIN}/static/css/report.css")
    assert b"@page" in css.read()
    logo = SafeURLFetcher().fetch(f"{ASSET_ORIGIN}/media/branding/logo.svg")
    assert logo.content_type == "image/svg+xml"


def test_fetcher_does_not_follow_a_symlink_out_of_media(settings, tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    (media / "escape.txt").symlink_to(Path("/etc/passwd"))
    settings.MEDIA_ROOT = media
    assert resolve_local_url(f"{ASSET_ORIGIN}/media/escape.txt") is None


def test_pdf_metadata_comes_from_the_document():
    from io import BytesIO

    pypdf = pytest.importorskip("pypdf")
    html = (
        '<html lang="fr"><head><title>Étude test</title><meta name="author" content="Périscope Conseil">'
        "</head><body><p>Bonjour</p></body></html>"
    )
    reader = pypdf.PdfReader(BytesIO(render_pdf(html).content))
    assert reader.metadata.title == "Étude test"
    assert reader.metadata.author == "Périscope Conseil"
    assert reader.trailer["/Root"].get("/Lang") == "fr"


def test_layout_reports_each_page_to_the_render_that_asked_and_logs_nothing():
    import logging

    class Collect(logging.Handler):
        def __init__(self):
            super().__init__(logging.DEBUG)
            self.names = []

        def emit(self, record):
            self.names.append(record.name)

    html = (
        "<html><body>" + "".join(f'<p style="break-after: page">Page {n}</p>' for n in range(1, 5)) + "</body></html>"
    )
    seen: list[int] = []
    root, collect = logging.getLogger(), Collect()
    root.addHandler(collect)  # what the console handler would print
    try:
        pdf = render_pdf(html, on_page=seen.append)
        render_pdf(html)  # no callback: nothing is called, nothing fails
    finally:
        root.removeHandler(collect)
    assert pdf.pages == 4
    assert max(seen) == 4 and seen[:4] == [1, 2, 3, 4]
    assert not [name for name in collect.names if name.startswith("weasyprint.progress")]


def test_a_failing_progress_callback_does_not_fail_the_render():
    def broken(page):
        raise RuntimeError("database gone")

    assert render_pdf("<p>Bonjour</p>", on_page=broken).pages == 1


class _Cycle:
    """An object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_collector_is_paused_during_a_render_and_collects_after():
    assert gc.isenabled()
    with collected_after():
        assert not gc.isenabled()
        cycle = weakref.ref(_Cycle())
        junk = [[] for _ in range(50_000)]  # far above the threshold of an automatic collection
        assert cycle() is not None  # none ran
    del junk
    assert gc.isenabled()
    assert cycle() is None  # collected on the way out


def test_collector_left_disabled_stays_disabled():
    gc.disable()
    try:
        with collected_after():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()

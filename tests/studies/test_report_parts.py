"""A report laid out in parallel parts is the same document as one laid out whole."""

import io
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops

from core import pdf_parts
from studies import reports, selectors
from tests.studies.helpers import make_study


@pytest.fixture
def report_document(db):
    study, staff = make_study(titles=[f"Tiers-lieu numéro {n}" for n in range(1, 9)], growth=3)
    snapshot = selectors.report_snapshot(study_id=study.pk, viewer=staff)
    return reports.build_report_document(snapshot, version=2)


def outline(pdf: pikepdf.Pdf) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every bookmark, in order."""
    pages = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    found = []
    with pdf.open_outline() as tree:

        def walk(items, depth):
            for item in items:
                found.append((depth, item.title, pages[item.destination[0].objgen]))
                walk(item.children, depth + 1)

        walk(tree.root, 0)
    return found


def links(pdf: pikepdf.Pdf) -> list[tuple[int, str]]:
    """(page index, target name) of every internal link, sorted."""
    return sorted(
        (i, str(annotation.Dest))
        for i, page in enumerate(pdf.pages)
        for annotation in page.obj.get("/Annots", [])
        if "/Dest" in annotation
    )


def destinations(pdf: pikepdf.Pdf) -> dict[str, int]:
    pages = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    return {name: pages[dest[0].objgen] for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items()}


def page_texts(content: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")


def page_images(content: bytes, folder: Path) -> list[Image.Image]:
    folder.mkdir()
    (folder / "report.pdf").write_bytes(content)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "report.pdf", "p"], cwd=folder, check=True)
    return [Image.open(path).convert("RGB") for path in sorted(folder.glob("p-*.png"))]


def test_parts_give_the_same_pages_text_links_outline_and_pixels_as_one_piece(report_document, tmp_path):
    whole = reports.render_report(report_document, processes=1)
    parts = reports.render_report(report_document, processes=2)
    assert len(report_document.parts(2)) == 2
    assert (whole.parts, parts.parts) == (1, 2)
    assert parts.pages == whole.pages > 12

    # Every page reads the same, footers ("page X / Y") and table of contents numbers included.
    whole_text, parts_text = page_texts(whole.content, tmp_path), page_texts(parts.content, tmp_path)
    assert parts_text == whole_text
    assert f"page 3 / {whole.pages}" in parts_text[2]
    toc = next(page for page in parts_text if "Sommaire" in page)
    assert "Tiers-lieu numéro 8" in toc

    # Links, named destinations and bookmarks cross the parts as they did in one piece.
    one, two = pikepdf.open(io.BytesIO(whole.content)), pikepdf.open(io.BytesIO(parts.content))
    assert links(two) == links(one) and len(links(one)) > 20
    assert destinations(two) == destinations(one)
    assert outline(two) == outline(one) and any(title.endswith("Tiers-lieu numéro 8") for _, title, _ in outline(one))
    assert str(two.docinfo.Title) == str(one.docinfo.Title) and str(two.Root.Lang) == "fr"

    # Drawn the same, pixel for pixel at 40 dpi.
    for number, (a, b) in enumerate(
        zip(
            page_images(whole.content, tmp_path / "whole"), page_images(parts.content, tmp_path / "parts"), strict=True
        ),
        start=1,
    ):
        assert ImageChops.difference(a, b).getbbox() is None, f"page {number} differs"


def test_sections_are_cut_into_consecutive_groups_of_about_equal_weight():
    weights = [500, 9000, 800, 7000, 7000, 7000] + [2000] * 30 + [700, 4000]
    groups = reports._balanced_groups(weights, 2)
    assert [i for group in groups for i in group] == list(range(len(weights)))
    totals = [sum(weights[i] for i in group) for group in groups]
    assert len(groups) == 2 and abs(totals[0] - totals[1]) <= max(weights)
    assert reports._balanced_groups([100], 4) == [[0]]  # never an empty part
    assert reports._balanced_groups(weights, 1) == [list(range(len(weights)))]


def test_every_part_sets_the_running_header(report_document):
    first, second = report_document.parts(2)
    assert first.count('class="running-title"') == 1 and second.count('class="running-title"') == 1
    assert "report-parts.css" in second and "report-parts.css" not in report_document.html()


def test_a_failing_part_stops_the_others_and_the_report_is_laid_out_whole(report_document, monkeypatch, caplog):
    real = pdf_parts.render_document
    pids_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"parts-{os.getpid()}.pids"
    pids_file.unlink(missing_ok=True)

    def faulty(html, **kwargs):  # runs in the children, which inherit it
        with pids_file.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        if 'class="cover"' in html:  # the first part fails once the other one is rendering
            deadline = time.monotonic() + 10
            while len(pids_file.read_text().split()) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            raise RuntimeError("font exploded")
        time.sleep(600)  # the other part hangs: it must be killed, not waited for
        return real(html, **kwargs)

    before = _children()
    monkeypatch.setattr(pdf_parts, "render_document", faulty)
    started = time.monotonic()
    with pytest.raises(pdf_parts.PartFailed, match="font exploded"):
        pdf_parts.render_parts(report_document.parts(2))
    assert time.monotonic() - started < 30
    pids = [int(line) for line in pids_file.read_text().split()]
    pids_file.unlink()
    assert len(pids) == 2
    for pid in pids:  # both children are gone (killed and reaped), none left rendering
        assert not _alive(pid)
    assert _children() == before

    # Through render_report, the failure falls back to one process: the report still comes out.
    monkeypatch.setattr(pdf_parts, "render_document", lambda html, **kw: (_ for _ in ()).throw(RuntimeError("boom")))
    with caplog.at_level(logging.WARNING, logger="studies.reports"):
        pdf = reports.render_report(report_document, processes=2)
    assert pdf.pages > 12 and pdf.parts == 1 and "laying it out in one piece" in caplog.text

    # So does a failure after the parts, in the merge.
    monkeypatch.setattr(pdf_parts, "render_document", real)
    monkeypatch.setattr(pdf_parts, "merge_parts", lambda *a: (_ for _ in ()).throw(pdf_parts.PartFailed("bad merge")))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="studies.reports"):
        pdf = reports.render_report(report_document, processes=2)
    assert pdf.pages > 12 and pdf.parts == 1 and "bad merge" in caplog.text


def test_children_die_with_their_parent():
    """PR_SET_PDEATHSIG: a worker killed at its hard time limit leaves no renderer behind."""
    script = (
        "import os, sys, time\n"
        "from core import pdf_parts\n"
        "pdf_parts.render_document = lambda html, **kw: (os.write(1, b'%d\\n' % os.getpid()), time.sleep(600))\n"
        "pdf_parts.render_parts(['<p>a</p>', '<p>b</p>'])\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmark_portal.settings.test"}
    parent = subprocess.Popen(
        [sys.executable, "-c", "import django; django.setup()\n" + script],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    children = [int(parent.stdout.readline()) for _ in range(2)]
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    alive = children
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in children if _alive(pid)]
        time.sleep(0.05)
    assert alive == []


def _children() -> set[int]:
    pid = os.getpid()
    return set(Path(f"/proc/{pid}/task/{pid}/children").read_text().split())


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except FileNotFoundError:
        return False

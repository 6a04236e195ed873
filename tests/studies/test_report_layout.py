"""A 30-fiche report, laid out as the worker does: its outline, its table of contents
and its page density (no page left with an orphan line or two)."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

import pikepdf
import pytest

from studies import reports, selectors
from tests.studies.report_fixtures import demo_study, editor_study

pytestmark = pytest.mark.django_db

CHAPTERS_FR = [
    "01 Problématique et méthode",
    "02 Synthèse des expériences",
    "03 Carte des territoires",
    "04 Grille de comparaison",
    "05 Fiches expériences",
    "06 Conclusions et recommandations",
    "07 Annexe : sources",
]
MIN_BODY_LINES = 3


def render(study, staff, language="fr") -> Path:
    snapshot = selectors.report_snapshot(study_id=study.pk, viewer=staff)
    document = reports.build_report_document(snapshot, version=1, language=language)
    pdf = reports.render_report(document)
    out = Path(os.environ.get("PERISCOPE_REPORT_OUT") or tempfile.mkdtemp())
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{study.slug}-{language}.pdf"
    path.write_bytes(pdf.content)
    return path


def outline(path: Path) -> list[tuple[str, int, list[tuple[str, int]]]]:
    """(label, page number, children) of each top-level bookmark; children as (label, page)."""
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: number for number, page in enumerate(pdf.pages, start=1)}

        def page_of(item) -> int:
            return pages[item.destination[0].objgen]

        with pdf.open_outline() as tree:
            result = []
            for top in tree.root:
                assert all(not child.children for child in top.children), "the outline has two levels at most"
                result.append((top.title, page_of(top), [(c.title, page_of(c)) for c in top.children]))
            return result


def pages_text(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def body_lines(page: str) -> list[str]:
    """The page's lines of text without its running header and footer (first and last lines)."""
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    return lines[1:-1]


def check_outline_and_toc(path: Path, titles: list[str], chapters: list[str]) -> None:
    tree = outline(path)
    assert [label for label, _page, _children in tree] == chapters
    fiches = {label: children for label, _page, children in tree}[chapters[4]]
    assert [label for label, _page in fiches] == [f"{n:02d} {title}" for n, title in enumerate(titles, start=1)]
    assert all(not children for label, _page, children in tree if label != chapters[4])
    pages = pages_text(path)
    # The table of contents gives each chapter and fiche the page the outline points to.
    toc = "\n".join(page for page in pages if re.search(r"^\s*0[1-7]\s+\S.*\.{3,}\s*\d+\s*$", page, flags=re.M))
    toc_pages = [int(p) for p in re.findall(r"\.{3,}\s*(\d+)\s*$", toc, flags=re.M)]
    outline_pages = []
    for _label, page, children in tree:
        outline_pages.append(page)
        outline_pages += [child_page for _child, child_page in children]
    assert toc_pages == outline_pages


def check_density(path: Path) -> None:
    tree = outline(path)
    openers = {page for _label, page, _children in tree}
    pages = pages_text(path)
    thin = {
        number: body_lines(page)
        for number, page in enumerate(pages, start=1)
        if number != 1 and number not in openers and len(body_lines(page)) < MIN_BODY_LINES
    }
    assert not thin, f"pages with fewer than {MIN_BODY_LINES} lines of body text: {thin}"


def test_a_30_fiche_report_from_demo_fiches_has_one_bookmark_per_chapter_and_fiche_and_no_thin_page():
    study, staff = demo_study(30)
    path = render(study, staff)
    titles = [item.experience.title for item in study.items.order_by("position")]
    check_outline_and_toc(path, titles, CHAPTERS_FR)
    check_density(path)


def test_a_30_fiche_report_of_editor_html_has_one_bookmark_per_chapter_and_fiche_and_no_thin_page():
    study, staff = editor_study(30)
    path = render(study, staff)
    titles = [item.experience.title for item in study.items.order_by("position")]
    check_outline_and_toc(path, titles, CHAPTERS_FR)
    check_density(path)

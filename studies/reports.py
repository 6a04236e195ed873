"""Report documents: from a snapshot (see selectors.report_snapshot) to HTML, then PDF.

The HTML is built section by section so the job can report "n / N sections".
WeasyPrint then lays the document out whole, or, with several cores, in
parts laid out at the same time in forked processes and merged (each section
starts a page, so a part's pages do not depend on the others'); the page
numbers that only the whole document knows ("page X / Y", the table of
contents) are then drawn over the pages from one stamps page (see core.pdf_parts).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from core import maps, pdf_parts
from core.pdf import ASSET_ORIGIN, RenderedPDF, render_pdf, static_stylesheet
from core.pdf_parts import PageInfo

from .models import ReportBranding

logger = logging.getLogger(__name__)

GRID_COLUMNS = 5  # experiences per comparison table on a landscape page

# --- Branding ------------------------------------------------------------------------

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def branding() -> dict:
    """The consultancy's name, logo and colours: the admin's row, else the settings."""
    row = ReportBranding.objects.first()
    primary = row.primary_color if row else settings.REPORT_BRAND_PRIMARY
    accent = row.accent_color if row else settings.REPORT_BRAND_ACCENT
    if row and row.logo:
        logo = f"{ASSET_ORIGIN}{settings.MEDIA_URL}{row.logo.name}"
    else:
        logo = f"{ASSET_ORIGIN}{settings.STATIC_URL}{settings.REPORT_BRAND_LOGO}"
    return {
        "name": row.name if row else settings.REPORT_BRAND_NAME,
        "tagline": row.tagline if row else "",
        "footer_note": row.footer_note if row else "",
        "logo": logo,
        # Colours end up in a <style> element: only #rrggbb values get there.
        "primary": primary if _HEX.match(primary or "") else "#1d3557",
        "accent": accent if _HEX.match(accent or "") else "#e63946",
    }


# --- Map --------------------------------------------------------------------------------------


def map_context(items: list[dict]) -> dict:
    """Which départements and provinces hold experiences (their numbers) and what lies off the map.

    The pages' own drawing (core.maps.territory_map): France's 101 départements, the overseas
    ones in insets, and Belgium's provinces with the Brussels-Capital Region. A fiche is placed
    in the units of its snapshot's `map_units` (or, in versions made before them, of its French
    `departments`).
    """
    view_box, shapes, insets = maps.territory_map()
    keys = {(s.country, s.code) for s in shapes}
    by_key: dict[tuple[str, str], list[int]] = {}
    elsewhere: list[dict] = []
    for item in items:
        exp = item["experience"]
        units = exp.get("map_units") or [("FR", code) for code in exp.get("departments", [])]
        placed = [tuple(unit) for unit in units if tuple(unit) in keys]
        for key in placed:
            by_key.setdefault(key, []).append(item["number"])
        if not placed:
            territory = exp["territory"]
            elsewhere.append({"number": item["number"], "label": territory["label"], "country": territory["country"]})
    departments = []
    for shape in shapes:
        numbers = by_key.get((shape.country, shape.code), [])
        label = shape.code if shape.country == "FR" else shape.country
        departments.append(
            {"code": label, "name": shape.name, "path": shape.path, "x": shape.x, "y": shape.y}
            | {"numbers": numbers, "count": len(numbers)}
        )
    legend = sorted(
        ({"code": d["code"], "name": d["name"], "numbers": d["numbers"]} for d in departments if d["numbers"]),
        key=lambda d: d["numbers"][0],
    )
    return {
        "viewBox": view_box,
        "departments": departments,
        "insets": insets,
        "borders": maps.country_borders(),
        "legend": legend,
        "elsewhere": elsewhere,
    }


# --- Sections ------------------------------------------------------------------------------


@dataclass
class Section:
    key: str
    template: str
    context: dict


def _chunks(seq: list, size: int) -> list[list]:
    return [seq[i : i + size] for i in range(0, len(seq), size)]


def report_sections(snapshot: dict) -> list[Section]:
    items = snapshot["items"]
    criteria = snapshot["criteria"]
    sources, number = [], 0
    for item in items:
        numbered = []
        for source in item["experience"]["sources"]:
            number += 1
            numbered.append({**source, "number": number})
        item["numbered_sources"] = numbered
        if numbered:
            sources.append({"item": item, "sources": numbered})
    sections = [
        Section("cover", "reports/sections/cover.html", {}),
        Section("toc", "reports/sections/toc.html", {}),
        Section("intro", "reports/sections/intro.html", {}),
        Section("summary", "reports/sections/summary.html", {}),
        Section("map", "reports/sections/map.html", {"map": map_context(items)}),
    ]
    if criteria and items:
        sections.append(Section("grid", "reports/sections/grid.html", {"chunks": _chunks(items, GRID_COLUMNS)}))
    sections += [
        Section(
            f"fiche-{item['number']}", "reports/sections/fiche.html", {"item": item, "experience": item["experience"]}
        )
        for item in items
    ]
    sections.append(Section("conclusions", "reports/sections/conclusions.html", {}))
    if sources:
        sections.append(Section("annex", "reports/sections/annex.html", {"annex": sources}))
    return sections


def _toc(sections: list[Section]) -> tuple[list[dict], dict[str, int]]:
    """Table of contents entries and the chapter number of each section."""
    labels = {
        "intro": _("Problématique et méthode"),
        "summary": _("Synthèse des expériences"),
        "map": _("Carte des territoires"),
        "grid": _("Grille de comparaison"),
        "fiches": _("Fiches expériences"),
        "conclusions": _("Conclusions et recommandations"),
        "annex": _("Annexe : sources"),
    }
    entries: list[dict] = []
    chapters: dict[str, int] = {}
    for section in sections:
        key = "fiches" if section.key.startswith("fiche-") else section.key
        if key in labels and key not in chapters:
            chapters[key] = len(chapters) + 1
            anchor = "fiches" if key == "fiches" else section.key  # the fiches' chapter heading tops the first fiche
            entries.append({"anchor": anchor, "label": labels[key], "level": 1, "chapter": chapters[key]})
        if key == "fiches":
            item = section.context["item"]
            entries.append(
                {"anchor": section.key, "label": item["experience"]["title"], "level": 2, "number": item["number"]}
            )
    return entries, chapters


@dataclass
class ReportDocument:
    """A report as its sections' HTML and the document around them.

    `html()` is the whole document; `parts(n)` the same sections cut into n
    documents of about the same weight, for a layout in parallel processes
    (core.pdf_parts), and `stamps_html(pages)` the stamps page that then gives
    them the page numbers only the whole document knows.
    """

    frame: str  # the whole document, with BODY_SLOT where the sections go
    sections: list[str]
    running: str  # the hidden elements that set the running header and footer
    context: dict  # brand and language, for the stamps page

    def html(self) -> str:
        return self.frame.replace(BODY_SLOT, "".join(self.sections), 1)

    def parts(self, count: int) -> list[str]:
        frame = self.frame.replace("</head>", PARTS_STYLESHEET + "</head>", 1)
        documents = []
        for index, group in enumerate(_balanced_groups([_weight(s) for s in self.sections], count)):
            body = "".join(self.sections[i] for i in group)
            if index:  # the running strings are set on the cover: give each later part its own
                body = _SECTION_START.sub(lambda m: m.group(0) + self.running, body, count=1)
            documents.append(frame.replace(BODY_SLOT, body, 1))
        return documents

    def stamps_html(self, pages: list[PageInfo]) -> str:
        """The stamps page (see core.pdf_parts.merge_parts): a cell per page with
        its "page X / Y" and the table of contents' page numbers on their slots."""
        first_page: dict[str, int] = {}
        for number, page in enumerate(pages, start=1):
            for name in page.anchors:
                first_page.setdefault(name, number)
        cells = []
        for number, page in enumerate(pages, start=1):
            stamps = []
            for name, (x1, y1, x2, _y2) in page.anchors.items():
                kind, _dash, target = name.partition("-")
                if kind in ("toc1", "toc2") and target in first_page:
                    stamps.append(
                        {
                            "kind": kind,
                            "text": first_page[target],
                            "left": x1,
                            "top": y1,
                            "width": x2 - x1,
                        }
                    )
            cells.append(
                {
                    "number": number,
                    "width": page.width,
                    "height": page.height,
                    "landscape": page.width > page.height,
                    "footer": "cover" not in page.anchors,  # the cover has no margin boxes
                    "stamps": stamps,
                }
            )
        return render_to_string(
            "reports/stamps.html",
            {
                **self.context,
                "cells": cells,
                "total": len(pages),
                "width": max((page.width for page in pages), default=0),
                "height": sum(page.height for page in pages) + 10,  # slack: rounding must not make a second page
            },
        )


BODY_SLOT = "<!-- periscope:sections -->"
PARTS_STYLESHEET = '<link rel="stylesheet" href="/static/css/report-parts.css">'
_SECTION_START = re.compile(r"<section\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")


def _weight(section: str) -> int:
    """About how long a section takes to lay out: its text, its map's shapes and
    its table of contents' dot leaders (WeasyPrint draws each dot on its own)."""
    return len(_TAG.sub("", section)) + 60 * section.count("<path") + 260 * section.count('class="toc-page"')


def _balanced_groups(weights: list[int], count: int) -> list[list[int]]:
    """Consecutive indexes cut into at most `count` groups of about equal weight."""
    total = sum(weights) or 1
    groups: list[list[int]] = [[] for _ in range(max(1, count))]
    done = 0
    for index, weight in enumerate(weights):
        slot = min(len(groups) - 1, int((done + weight / 2) * len(groups) / total))
        groups[slot].append(index)
        done += weight
    return [group for group in groups if group]


def _localise(snapshot: dict) -> None:
    """Labels of the snapshot in the active language (they were taken in French), fiche
    titles, summaries and themes in English where the fiche has them — else kept in French
    and marked so (`title_lang`, `summary_lang`) — and the study team named once."""
    from experiences.models import Experience, ExperienceOrganisation
    from territories.models import Territory

    def label(choices, code, fallback):
        try:
            return str(choices(code).label)
        except ValueError:
            return fallback

    def territory(t: dict | None) -> None:
        if not t:
            return
        t["kind_label"] = label(Territory.Kind, t.get("kind"), t.get("kind_label", ""))
        if t.get("subkind"):
            t["subkind_label"] = label(Territory.Subkind, t["subkind"], t.get("subkind_label", ""))
        if t.get("density_class"):
            t["density_class_label"] = label(Territory.DensityClass, t["density_class"], t["density_class_label"])

    english = (get_language() or "").startswith("en")
    study = snapshot["study"]
    territory(study.get("client_territory"))
    study["team"] = [name for name in dict.fromkeys(study.get("team", [])) if name and name != study.get("lead")]
    for item in snapshot["items"]:
        exp = item["experience"]
        territory(exp["territory"])
        exp["project_status_label"] = label(
            Experience.ProjectStatus, exp.get("project_status"), exp.get("project_status_label", "")
        )
        for actor in exp["actors"]:
            actor["role_label"] = label(ExperienceOrganisation.Role, actor.get("role"), actor.get("role_label", ""))
        exp["title_lang"] = exp["summary_lang"] = ""
        if english:
            for key in ("title", "summary"):
                if exp.get(f"{key}_en"):
                    exp[key] = exp[f"{key}_en"]
                elif exp.get(key):
                    exp[f"{key}_lang"] = "fr"
            themes_en = exp.get("themes_en") or []
            exp["themes"] = [en or fr for fr, en in zip(exp["themes"], themes_en, strict=False)] + exp["themes"][
                len(themes_en) :
            ]


def build_report_document(
    snapshot: dict,
    *,
    version: int | None,
    generated_at=None,
    generated_by: str = "",
    on_section: Callable[[int, int], None] | None = None,
    language: str = "fr",
) -> ReportDocument:
    """The report's sections and frame, its headings, labels and dates in `language`.

    The fiches' own texts stay in the language they were written in (the
    snapshot is the same whatever the report's language, so versions compare).
    """
    snapshot = json.loads(json.dumps(snapshot))  # sections annotate items: never touch the caller's copy
    with override(language):
        _localise(snapshot)
        sections = report_sections(snapshot)
        toc, chapters = _toc(sections)
        brand = branding()
        themes = sorted({t for i in snapshot["items"] for t in i["experience"]["themes"]})
        base = {
            "study": snapshot["study"],
            "items": snapshot["items"],
            "criteria": snapshot["criteria"],
            "chapters": chapters,
            "toc": toc,
            "brand": brand,
            "version": version,
            "generated_at": generated_at or timezone.now(),
            "generated_by": generated_by,
            "themes": themes,
            "excluded": snapshot.get("excluded", 0),
        }
        parts = []
        for index, section in enumerate(sections, start=1):
            parts.append(render_to_string(section.template, {**base, **section.context, "section_key": section.key}))
            if on_section:
                on_section(index, len(sections))
        return ReportDocument(
            frame=render_to_string("reports/study_report.html", {**base, "body": BODY_SLOT}),
            sections=parts,
            running=render_to_string("reports/sections/_running.html", base),
            context={"brand": brand, "language": language},
        )


def build_report_html(snapshot: dict, **kwargs) -> str:
    """The whole report as one HTML document (see build_report_document)."""
    return build_report_document(snapshot, **kwargs).html()


def render_report(document: ReportDocument, *, on_step=None, on_page=None, processes: int | None = None) -> RenderedPDF:
    """The report's PDF, laid out in parallel parts when there are several cores
    (settings.REPORT_RENDER_PROCESSES) and this process may fork safely, else in
    one piece. An explicit `processes` skips the safety check (tests, benchmarks)."""
    if processes is None:
        processes = settings.REPORT_RENDER_PROCESSES if pdf_parts.fork_is_safe() else 1
    htmls = document.parts(processes) if processes > 1 else []
    if len(htmls) < 2:
        return render_pdf(document.html(), on_step=on_step, on_page=on_page)
    if on_step:
        on_step("layout")
    try:
        parts = pdf_parts.render_parts(htmls, on_page=on_page)
        if on_step:
            on_step("write")
        stamps = render_pdf(
            document.stamps_html([page for part in parts for page in part.pages]),
            stylesheets=[static_stylesheet("css/report.css"), static_stylesheet("css/report-stamps.css")],
        )
        return pdf_parts.merge_parts(parts, stamps.content)
    except pdf_parts.PartFailed:  # a part, the stamps or the merge: the report still comes out
        logger.warning("Report layout in parts failed; laying it out in one piece", exc_info=True)
        return render_pdf(document.html(), on_page=on_page)


def build_fiche_html(experience: dict, *, show_contacts: bool) -> str:
    """A one-experience fiche document (from the experience page), in the reader's language."""
    with override(get_language() or settings.LANGUAGE_CODE):
        context = {
            "experience": experience,
            "item": None,
            "brand": branding(),
            "generated_at": timezone.now(),
            "show_contacts": show_contacts,
            "standalone": True,
        }
        return render_to_string("reports/fiche.html", context)


def render_fiche_pdf(experience: dict, *, show_contacts: bool) -> RenderedPDF:
    return render_pdf(build_fiche_html(experience, show_contacts=show_contacts))

"""Bulk import of fiches from a CSV, XLSX or JSON file, one module per step.

`import_experiences(content=..., commit=False)` is the dry run: it reads and
checks every row and says how many fiches would be created, updated or left
unchanged, with every error (row, column, message); nothing is written.
With `commit=True` the same checks run inside one transaction and, only if no
row has an error, everything is written: all rows or none.

A row is identified by its `reference` column (stored in
`Experience.external_ref`), or, in an export re-imported, by the fiche's address
(`url`) when it has no reference: importing the same file twice creates nothing
new, and an unedited export changes nothing.

Steps: `read` (file → rows, hostile files refused first), `parse` (cells →
values), `resolve` (territories, themes, organisations named by the rows),
`plan` (each row checked and compared with the fiche it updates), `write`
(bulk statements, one history version per fiche), `template` (the download).
The columns themselves are `experiences.columns`.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from .. import rules
from ..columns import COLUMN_KEYS, IMPORT_COLUMNS, LABELS, READ_ONLY_KEYS
from ..content import CONTENT_ATTNAMES
from ..models import Experience
from .plan import Current, RowPlan, find_existing, model_check, plan_row
from .read import MAX_FILE_BYTES, MAX_ROWS, ImportFileError, header_key, read_rows, sha256
from .report import ImportReport, RowError
from .resolve import Context
from .template import template_csv, template_xlsx
from .write import write

COLUMNS = IMPORT_COLUMNS

__all__ = [
    "COLUMNS",
    "LABELS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "ImportFileError",
    "ImportReport",
    "RowError",
    "import_experiences",
    "sha256",
    "template_csv",
    "template_xlsx",
]


def import_experiences(*, content: bytes, filename: str = "", by=None, commit: bool = False) -> ImportReport:
    """Check a file and, with `commit=True` and no error at all, import it in one transaction.

    `by` is the user doing it (None for an operator at the command line); it
    becomes the author of new fiches and the user of their history versions.
    """
    started = time.monotonic()
    report = ImportReport(filename=filename)
    if by is not None and not rules.can_create(by):
        report.file_error = _("Seuls les consultants et l'équipe importent des fiches.")
        return report
    try:
        if commit:
            with transaction.atomic():
                _run(content, filename, by, report, commit=True)
                if not report.ok:
                    transaction.set_rollback(True)
        else:
            _run(content, filename, by, report, commit=False)
    except ImportFileError as exc:
        report.file_error = str(exc)
    report.committed = commit and report.ok
    report.seconds = round(time.monotonic() - started, 2)
    return report


def _run(content: bytes, filename: str, by, report: ImportReport, *, commit: bool) -> None:
    present, rows = _read(content, filename, report)
    ctx = Context.load([values for _number, values in rows])
    plans = [plan for number, values in rows if (plan := plan_row(number, values, present, ctx, report))]
    existing = find_existing(plans, by, report, lock=commit)
    plans = _without_duplicates(plans, existing, report)
    current = Current.load(existing.values())
    new_required = [c for c in ("titre", "resume") if c not in present]
    if not present & {"territoire_code", "territoire_nom"}:
        new_required.append("territoire_code")
    for plan in plans:
        _prepare(plan, existing.get(plan.number), new_required, current, report)

    # Counts cover the valid rows, so that a dry run with errors still says what
    # the corrected file would do; nothing is written while any error remains.
    valid = [p for p in plans if p.valid and p.experience is not None]
    report.created = sum(1 for p in valid if p.existing is None)
    report.updated = sum(1 for p in valid if p.existing is not None and p.changed)
    report.unchanged = sum(1 for p in valid if p.existing is not None and not p.changed)
    report.errors.sort(key=lambda e: (e.row, e.column))
    if not commit:
        _semantic_notes(valid, by, report)
    if commit and not report.error_count:
        write(plans, by=by, filename=filename, sources_by_exp=current.sources)


def _semantic_notes(plans: list[RowPlan], by, report: ImportReport) -> None:
    """Possible duplicates and suggested themes of the new rows (dry run; see experiences/semantic/imports.py)."""
    from ..semantic.imports import dry_run_notes

    rows = [
        {
            "row": p.number,
            "reference": p.reference,
            "title": p.experience.title,
            "summary": p.experience.summary,
            "territory_id": p.experience.lead_territory_id,
            "theme_ids": sorted(p.themes or ()),
        }
        for p in plans
        if p.existing is None
    ]
    report.semantic = dry_run_notes(rows, viewer=by)


def _read(content: bytes, filename: str, report: ImportReport) -> tuple[set[str], list[tuple[int, dict[str, Any]]]]:
    raw_headers, row_iter = read_rows(content, filename)
    headers = [header_key(h) for h in raw_headers]
    present = {h for h in headers if h in COLUMN_KEYS}
    unknown = [
        raw for raw, key in zip(raw_headers, headers, strict=False) if raw and key not in COLUMN_KEYS | READ_ONLY_KEYS
    ]
    if unknown:
        report.warnings.append(
            _("Colonnes ignorées (inconnues) : %(names)s.") % {"names": ", ".join(map(str, unknown[:20]))}
        )
    duplicates = sorted({h for h in headers if h and headers.count(h) > 1})
    if duplicates:
        raise ImportFileError(_("Colonnes en double : %(names)s.") % {"names": ", ".join(duplicates)})
    if not present:
        raise ImportFileError(
            _("Aucune colonne reconnue sur la première ligne. Partez du modèle à télécharger (colonnes : %(names)s…).")
            % {"names": ", ".join(c.key for c in IMPORT_COLUMNS[:5])}
        )
    if "reference" not in present:
        raise ImportFileError(_("Colonne obligatoire absente : %(names)s.") % {"names": "reference"})
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, values in row_iter:
        if not any(v not in (None, "") and str(v).strip() for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(
                _("Le fichier contient plus de %(max)s lignes : découpez-le en plusieurs fichiers.")
                % {"max": f"{MAX_ROWS:,}".replace(",", " ")}
            )
        rows.append((number, {key: values[i] if i < len(values) else None for i, key in enumerate(headers) if key}))
    report.rows = len(rows)
    if not rows:
        raise ImportFileError(_("Le fichier ne contient aucune ligne de données sous les en-têtes."))
    return present, rows


def _without_duplicates(plans: list[RowPlan], existing: dict[int, Experience], report: ImportReport) -> list[RowPlan]:
    """Two rows for one fiche (same reference, or the same fiche found twice): the second is an error."""
    first_seen: dict[Any, int] = {}
    kept = []
    for plan in plans:
        experience = existing.get(plan.number)
        key = ("pk", experience.pk) if experience is not None else ("ref", plan.reference)
        if key in first_seen:
            report.add_error(
                plan.number,
                "reference",
                _("référence « %(ref)s » déjà présente ligne %(line)s")
                % {"ref": plan.reference or plan.slug, "line": first_seen[key]},
            )
            continue
        first_seen[key] = plan.number
        kept.append(plan)
    return kept


def _prepare(plan: RowPlan, experience: Experience | None, new_required, current: Current, report) -> None:
    """Apply the row to its fiche (a new draft when there is none), check it, tell whether it changes."""
    if experience is None:
        if new_required:
            report.add_error(
                plan.number,
                new_required[0],
                _("colonnes nécessaires pour créer une fiche absentes : %(c)s") % {"c": ", ".join(new_required)},
            )
            return
        experience = Experience(external_ref=plan.reference, status=Experience.Status.DRAFT)
    else:
        plan.existing = experience
    before = {name: getattr(experience, name) for name in CONTENT_ATTNAMES}
    for name, value in plan.fields.items():
        setattr(experience, name, value)
    plan.valid = model_check(plan, experience, report)
    if plan.existing is not None:
        plan.changed = current.changed(plan, before, experience)
    plan.experience = experience

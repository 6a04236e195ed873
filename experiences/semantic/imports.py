"""The import dry run's semantic notes: possible duplicates and suggested themes, per new row.

Called once by experiences/importers.py (dry run only). Embedding costs ~0.1 s per row
on a quiet 2-core machine, so the first MAX_ROWS new rows are checked, within
TIME_BUDGET seconds; the report says how many were.
"""

from __future__ import annotations

import time
from typing import Any

from territories.models import Territory

from . import availability, encoder, passages
from .duplicates import candidates_for_vector
from .themes import suggestions_for_vector

MAX_ROWS = 50
TIME_BUDGET = 20.0  # seconds of embedding at most, inside the upload request
BATCH = 8


def dry_run_notes(rows: list[dict[str, Any]], *, viewer) -> dict[str, Any]:
    """rows: [{"row", "reference", "title", "summary", "territory_id", "theme_ids"}] of new fiches.

    Returns {"checked": n, "new": len(rows), "rows": [{row, reference, title, duplicates, themes}]},
    only rows with something to say; {} when semantic search is off.
    """
    if not availability.enabled() or not rows:
        return {}
    started = time.monotonic()
    territories = Territory.objects.in_bulk([r["territory_id"] for r in rows if r.get("territory_id")])
    out, checked = [], 0
    for start in range(0, min(len(rows), MAX_ROWS), BATCH):
        if time.monotonic() - started > TIME_BUDGET:
            break
        batch = rows[start : min(start + BATCH, MAX_ROWS)]
        texts = [passages.draft_passage(title=r["title"], summary=r["summary"]).text for r in batch]
        for row, vector in zip(batch, encoder.embed_passages(texts), strict=True):
            checked += 1
            duplicates = candidates_for_vector(
                vector=vector, territory=territories.get(row.get("territory_id")), viewer=viewer
            )
            themes = suggestions_for_vector(
                vector=vector, viewer=viewer, exclude_theme_ids=row.get("theme_ids") or (), limit=3
            )
            if not duplicates and not themes:
                continue
            out.append(
                {
                    "row": row["row"],
                    "reference": row["reference"],
                    "title": row["title"],
                    "duplicates": [
                        {
                            "title": c.experience.display_title,
                            "url": c.experience.get_absolute_url(),
                            "territory": c.experience.lead_territory.name,
                            "reason": c.reason,
                        }
                        for c in duplicates
                    ],
                    "themes": [{"label": s.theme.label, "slug": s.theme.slug, "reason": s.reason} for s in themes],
                }
            )
    return {"checked": checked, "new": len(rows), "rows": out}

"""What a fiche says, listed once.

History (diffs and restores), services (what may be edited), the importers and
exports (through `experiences.columns`), the API and search snippets all read
these lists; a new content field is added here and nowhere else.
"""

from __future__ import annotations

from core.fields import rich_text_fields

from .models import Experience

# Short plain texts (a title, two or three sentences of summary).
PLAIN_TEXT_FIELDS = ("title", "title_en", "summary", "summary_en")
# The long texts, in the one rich-text format (core.richtext): the model declares them.
RICH_TEXT_FIELDS: tuple[str, ...] = rich_text_fields(Experience)
# What search snippets are cut from, in this order.
BODY_FIELDS = ("summary", *RICH_TEXT_FIELDS)
# Every field a person edits: what a diff shows, a restore brings back, an import compares.
CONTENT_FIELDS = (
    *PLAIN_TEXT_FIELDS,
    *RICH_TEXT_FIELDS,
    "period_start",
    "period_end",
    "project_status",
    "budget_amount",
    "currency",
    "lead_territory",
    "language",
    "visibility",
    "client_organisation",
    "external_ref",
)
CONTENT_ATTNAMES = tuple(Experience._meta.get_field(name).attname for name in CONTENT_FIELDS)

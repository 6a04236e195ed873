"""What a fiche says, listed once.

History (diffs and restores), services (what may be edited), the importers and
exports (through `experiences.columns`), the API and search snippets all read
these lists; a new content field is added here and nowhere else.
"""

from __future__ import annotations

from django.utils.translation import get_language

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


def written_in(experience) -> str:
    """The language a fiche's own fields are written in (French unless it says otherwise)."""
    return (_value(experience, "language") or "fr")[:2]


def in_reader_language(experience, field: str) -> tuple[str, str]:
    """(text, its language) of a fiche's `title` or `summary` for the current reader: the
    English version for an English reader when there is one, else the fiche's own text.
    `experience` is a model instance or a snapshot dict carrying the same keys."""
    if (get_language() or "fr")[:2] == "en" and (english := _value(experience, f"{field}_en")):
        return english, "en"
    return _value(experience, field) or "", written_in(experience)


def _value(obj, name: str):
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)

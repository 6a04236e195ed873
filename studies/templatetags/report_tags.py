"""French typography and formatting for PDF reports (values come from a snapshot: ISO strings)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django import template
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core import formats
from core.richtext import render

register = template.Library()

NNBSP = "\u202f"  # espace fine insécable: before ; : ! ? », after «, in numbers
NBSP = "\u00a0"

_SPACE_BEFORE = re.compile(r"[ \u00a0]*([;!?»])")
_COLON = re.compile(r"(?<=\S)[ \u00a0]+:(?=\s|$)")
_AFTER_GUILLEMET = re.compile(r"«[ \u00a0]*")
_DOUBLE_QUOTES = re.compile(r'"([^"\n]+)"')
_UNIT = re.compile(r"(\d)[ ](€|%|km²|km|hab\.|m²|ha)(?=\W|$)")


def _english() -> bool:
    return (get_language() or "fr").startswith("en")


@register.filter
def typo(value) -> str:
    """Apply French typography to plain text (the result is escaped later); in an
    English report, only apostrophes and ellipses."""
    if not value:
        return ""
    text = str(value).replace("...", "…").replace("'", "’")
    if _english():
        return text
    text = _DOUBLE_QUOTES.sub(r"«\1»", text)
    text = _AFTER_GUILLEMET.sub("«" + NNBSP, text)
    text = _SPACE_BEFORE.sub(lambda m: NNBSP + m.group(1), text)
    text = _COLON.sub(NBSP + ":", text)
    text = _UNIT.sub(lambda m: m.group(1) + NBSP + m.group(2), text)
    # A URL is not prose: undo the spaces the rules above may have put in it.
    return re.sub(r"(https?)[\u202f\u00a0]?:(//\S+)", r"\1:\2", text)


@register.simple_tag
def colon() -> str:
    """ " : " after a label: a non-breaking space before the colon in French, none in English."""
    return formats.colon() + " "


@register.filter
def rich(value) -> SafeString:
    """A long text in the one rich-text format (core.richtext), with French typography on its words.

    Paragraphs, lists, bold, italic and links come through as HTML (report.css styles them);
    rows still in plain text are read as `from_text` reads them. Only allow-listed markup and
    escaped text come out of `render`.
    """
    html = render(str(value), text=typo) if value else ""
    return mark_safe(f'<div class="rich-text">{html}</div>' if html else "")


@register.filter
def number(value) -> str:
    """12345 → "12 345" (thin no-break spaces in French, as the Imprimerie nationale sets them); "12,345".

    The portal's one number format (core.formats), with the report's thinner French space.
    """
    if value in (None, ""):
        return ""
    return _thin(formats.format_number(value)) or str(value)


@register.filter
def money(value, currency: str = "EUR") -> str:
    """25000 → "25 000 €" / "€25,000" (core.formats), whole units."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal(1))
    except InvalidOperation:
        return str(value)
    return _thin(formats.format_money(amount, currency or "EUR"))


def _thin(text: str) -> str:
    """Digit groups apart by a thin no-break space in French (the currency keeps its no-break space)."""
    return re.sub(r"(?<=\d)\u00a0(?=\d)", NNBSP, text) if not _english() else text


def _date(value) -> datetime.date | None:
    if not value:
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


@register.filter
def date_fr(value, fmt: str = "j F Y") -> str:
    day = _date(value)
    return date_format(day, fmt) if day else ""


@register.filter
def period(experience: dict) -> str:
    start, end = _date(experience.get("period_start")), _date(experience.get("period_end"))
    if start and end:
        return str(start.year) if start.year == end.year else f"{start.year}{NBSP}–{NBSP}{end.year}"
    if start:
        return _("depuis %(year)s") % {"year": start.year}
    if end:
        return _("jusqu’en %(year)s") % {"year": end.year}
    return ""


@register.filter
def two_digits(value) -> str:
    return f"{int(value):02d}"


@register.filter
def get(mapping, key):
    if not mapping:
        return ""
    return mapping.get(str(key), "")

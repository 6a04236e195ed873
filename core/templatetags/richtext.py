"""Template filters of the one rich-text format: every page and e-mail renders long texts with these."""

from django import template
from django.utils.safestring import mark_safe

from core.richtext import sanitize, to_excerpt, to_text

register = template.Library()


@register.filter
def rich_text(value) -> str:
    """The long text as HTML. Safe to mark: only allow-listed tags and escaped text come out,
    and rows written before the format existed (plain text) are converted on the fly."""
    return mark_safe(sanitize(str(value))) if value else ""


@register.filter
def rich_plain(value) -> str:
    """The readable plain-text form (e-mail text parts): paragraphs, "- " bullets, "1." numbers."""
    return to_text(str(value)) if value else ""


@register.filter
def rich_excerpt(value) -> str:
    """The words only, on one line: for previews cut with truncatewords/truncatechars."""
    return to_excerpt(str(value)) if value else ""

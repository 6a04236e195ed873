"""Template filters over core.formats, the portal's one formatting helper.

{% load portal_format %}
{{ 1800|number }}                      1 800 · 1,800
{{ budget|money:experience.currency }} 25 000 € · €25,000
{{ 0.93|percent }}                     93 % · 93%
{{ day|ldate }} {{ day|ldate:"short" }} 6 décembre 2026 · December 6, 2026
{% colon %}                            " :" · ":" (after a label)
"""

from __future__ import annotations

from django import template

from core import formats

register = template.Library()


@register.filter
def money(value, currency: str = "EUR") -> str:
    """5000 → "5 000 €" (fr) / "€5,000" (en); other currencies by their code: "5 000 CHF" / "CHF 5,000"."""
    return formats.format_money(value, currency)


@register.filter
def number(value, places: int | None = None) -> str:
    """1800 → "1 800" (fr) / "1,800" (en); `places` decimals when given."""
    return formats.format_number(value, None if places in (None, "") else int(places))


@register.filter
def percent(value, scale: int = 1) -> str:
    """0.93 → "93 %" (fr) / "93%" (en); `{{ 93|percent:100 }}` for a value out of 100."""
    number = formats._decimal(value)
    return "" if number is None else formats.format_percent(number / int(scale or 1))


@register.filter
def ldate(value, length: str = "long") -> str:
    """A date in the reader's language: "6 décembre 2026" / "December 6, 2026"."""
    return formats.format_date(value, length)


@register.filter
def ldatetime(value, length: str = "medium") -> str:
    """A moment in the reader's language, to the minute: "6 déc. 2026, 15:10" / "Dec 6, 2026, 3:10 PM"."""
    return formats.format_datetime(value, length)


@register.simple_tag
def colon() -> str:
    """The colon after a label, spaced as the language wants: " :" / ":"."""
    return formats.colon()

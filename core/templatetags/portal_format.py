"""Numbers and amounts written the way the reader's language writes them.

French: "1 800 agents", "5 000 €" (no-break spaces, symbol after); English:
"1,800 agents", "€5,000" (symbol before). Django's own formats give the grouping
(USE_THOUSAND_SEPARATOR is on); this adds where the currency goes.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats
from django.utils.translation import get_language

register = template.Library()

NBSP = "\u00a0"
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def format_money(value, currency: str = "EUR", *, language: str | None = None) -> str:
    amount = _decimal(value)
    if amount is None:
        return ""
    places = 0 if amount == amount.to_integral_value() else 2
    number = formats.number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)
    code = (currency or "EUR").upper()
    symbol = SYMBOLS.get(code)
    language = (language or get_language() or "fr")[:2]
    if language == "en" and symbol:
        return f"{symbol}{number}"
    return f"{number}{NBSP}{symbol or code}"


@register.filter
def money(value, currency: str = "EUR") -> str:
    """5000 → "5 000 €" (fr) / "€5,000" (en); other currencies keep their code: "5 000 CHF"."""
    return format_money(value, currency)


@register.filter
def number(value, places: int = 0) -> str:
    """1800 → "1 800" (fr) / "1,800" (en); `places` decimals when the value has some."""
    amount = _decimal(value)
    if amount is None:
        return ""
    decimals = 0 if amount == amount.to_integral_value() else int(places)
    return formats.number_format(amount, decimal_pos=decimals, use_l10n=True, force_grouping=True)

"""Numbers, amounts, percentages and dates written the way the reader's language writes them.

The one formatting helper of the portal: pages (through the `portal_format` template
filters), the comparison page, e-mails, history labels, the human-readable parts of
exports and the PDF reports call these functions. The rules come from the Unicode CLDR
through Babel, not from hand-written patterns:

=============  ==================  ==================
               French              English
=============  ==================  ==================
number         1 052 · 2,5         1,052 · 2.5
money          25 000 € · 12,50 €  €25,000 · €12.50
percent        93 %                93%
date (long)    6 décembre 2026     December 6, 2026
date (short)   06/12/2026          12/6/26
label: value   Budget : 25 000 €   Budget: €25,000
=============  ==================  ==================

Whole amounts are written without decimals. French groups digits with a no-break space
(U+00A0) — Django's own French format does the same, so numbers that Django localises
by itself (``intcomma``, ``{{ value }}``) look identical on the same page; CLDR's narrow
no-break space (U+202F) is mapped to it.

Every function takes ``language=`` (a code such as "fr" or "en"); by default the active
language of the request (or of ``translation.override``).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language

NBSP = "\u00a0"
NNBSP = "\u202f"
LETTERS_THEN_DIGIT = re.compile(r"^([^\W\d_]+)(\d)")


def locale_of(language: str | None = None) -> str:
    """The Babel locale of a language code ("en-gb" → "en_GB"); the active language by default."""
    code = (language or get_language() or settings.LANGUAGE_CODE).replace("-", "_")
    return code if "_" not in code else code.split("_")[0] + "_" + code.split("_")[1].upper()


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _spaces(text: str) -> str:
    return text.replace(NNBSP, NBSP)


def format_number(value, places: int | None = None, *, language: str | None = None) -> str:
    """1052 → "1 052" / "1,052"; `places` fixes the decimals, else as many as the value has (max 3)."""
    number = _decimal(value)
    if number is None:
        return ""
    if places is None:
        text = babel_numbers.format_decimal(number, locale=locale_of(language))
    else:
        pattern = "#,##0" + ("." + "0" * places if places else "")
        text = babel_numbers.format_decimal(number, format=pattern, locale=locale_of(language))
    return _spaces(text)


def format_money(value, currency: str = "EUR", *, language: str | None = None) -> str:
    """25000 → "25 000 €" / "€25,000"; cents only when there are some: "12,50 €" / "€12.50"."""
    amount = _decimal(value)
    if amount is None:
        return ""
    locale = locale_of(language)
    code = (currency or "EUR").upper()
    pattern = None
    if amount == amount.to_integral_value():
        standard = babel_numbers.parse_pattern(babel_dates.Locale.parse(locale).currency_formats["standard"])
        pattern = standard.pattern.replace(".00", "")
    text = babel_numbers.format_currency(amount, code, format=pattern, locale=locale, currency_digits=pattern is None)
    # A symbol made of letters keeps apart from the digits ("CHF 5,000", as CLDR's currency spacing says).
    return _spaces(LETTERS_THEN_DIGIT.sub(lambda m: m.group(1) + NBSP + m.group(2), text))


def format_percent(ratio, places: int = 0, *, language: str | None = None) -> str:
    """0.93 → "93 %" / "93%" (a ratio, not a number of percent)."""
    number = _decimal(ratio)
    if number is None:
        return ""
    locale = locale_of(language)
    # The locale's standard pattern carries its spacing ("#,##0 %" / "#,##0%"), with our decimals.
    standard = babel_dates.Locale.parse(locale).percent_formats[None].pattern
    pattern = standard.replace("#,##0", "#,##0" + ("." + "0" * places if places else ""), 1)
    return _spaces(babel_numbers.format_percent(number, format=pattern, locale=locale))


def format_date(value, length: str = "long", *, language: str | None = None) -> str:
    """A date (or the local date of a datetime): "6 décembre 2026" / "December 6, 2026".

    `length`: "short" (06/12/2026 · 12/6/26), "medium" (6 déc. 2026 · Dec 6, 2026), "long", "full".
    """
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return _spaces(babel_dates.format_date(value, format=length, locale=locale_of(language)))


def format_datetime(value, length: str = "medium", *, language: str | None = None) -> str:
    """A moment in the portal's time zone, to the minute: "6 déc. 2026, 15:10" / "Dec 6, 2026, 3:10 PM"."""
    if value is None or value == "":
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    locale = locale_of(language)
    combined = babel_dates.Locale.parse(locale).datetime_formats[length]
    time = babel_dates.format_time(value, format="short", locale=locale)
    return _spaces(combined.format(time, format_date(value, length, language=language)))


def colon(*, language: str | None = None) -> str:
    """The colon after a label: " :" in French (with a no-break space), ":" in English."""
    return NBSP + ":" if locale_of(language).startswith("fr") else ":"


def label_value(label, value, *, language: str | None = None) -> str:
    """ "Budget : 25 000 €" / "Budget: €25,000"."""
    return f"{label}{colon(language=language)} {value}"

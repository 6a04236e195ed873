"""Country names in words, in the reader's language, from the Unicode CLDR (through Babel).

No hand-written list: every ISO 3166 country CLDR knows has its name in French and
English ("ML" → « Mali », "BE" → « Belgique » / "Belgium", "CI" → « Côte d’Ivoire »
/ "Côte d’Ivoire"), the same names the operating systems and browsers use. An unknown
code shows as itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache

from babel import Locale
from django.conf import settings
from django.utils.translation import get_language

# Two-letter CLDR territories that are not countries (groupings, private use, unknown).
NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}


@cache
def _names(language: str) -> dict[str, str]:
    try:
        territories = Locale.parse(language.replace("-", "_")).territories
    except (ValueError, LookupError):
        territories = Locale.parse(settings.LANGUAGE_CODE).territories
    return {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }


def country_name(code: str, *, language: str | None = None) -> str:
    """ "Belgique" for "BE" (in the active language, or `language`); an unknown code as itself."""
    names = _names((language or get_language() or settings.LANGUAGE_CODE)[:2])
    return names.get((code or "").upper(), code)


class _CountryNames(Mapping):
    """{code: name in the active language} over every country CLDR knows (read-only)."""

    def __getitem__(self, code: str) -> str:
        names = _names("en")
        if code not in names:
            raise KeyError(code)
        return country_name(code)

    def __iter__(self) -> Iterator[str]:
        return iter(_names("en"))

    def __len__(self) -> int:
        return len(_names("en"))


COUNTRY_NAMES: Mapping[str, str] = _CountryNames()

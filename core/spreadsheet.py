"""Text cells in exported spreadsheets: formula neutralisation that an import undoes exactly.

A spreadsheet program runs a CSV cell starting with = + - @ (or a tab or carriage
return before one) as a formula (OWASP "CSV injection"). CSV exports put an
apostrophe before such a cell; imports remove that apostrophe and only that one.
A value that itself starts with apostrophes before such a character gets one
more, so the round trip is exact for every value. XLSX cells are typed as
strings instead: no formula can run there and no apostrophe is added.
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """The CSV cell for `value`: an apostrophe first when a spreadsheet could read a formula."""
    if value and value.lstrip("'").startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """The value of a CSV cell written by `neutralise`: the apostrophe it added, removed."""
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_PREFIXES):
        return value[1:]
    return value

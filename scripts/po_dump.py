"""Print the msgids of locale/en django.po that have no translation yet, as Python dict lines.

Usage: python scripts/po_dump.py [path-fragment]  (only entries whose first occurrence
contains the fragment). The output is the skeleton of a locale/translations/en_*.py module.
"""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from fill_translations import key_of, load_translations  # noqa: E402


def main() -> None:
    fragment = sys.argv[1] if len(sys.argv) > 1 else ""
    known = load_translations()
    po = polib.pofile(str(ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    for entry in po:
        if entry.obsolete or key_of(entry) in known:
            continue
        where = entry.occurrences[0][0] if entry.occurrences else ""
        if fragment not in where:
            continue
        if entry.msgid_plural:
            print(f"    {key_of(entry)!r}: ({entry.msgid!r}, {entry.msgid_plural!r}),  # {where}")
        else:
            print(f"    {key_of(entry)!r}: {entry.msgid!r},  # {where}")


if __name__ == "__main__":
    main()

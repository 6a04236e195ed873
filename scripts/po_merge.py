"""Three-way merge of gettext catalogues, entry by entry (a git merge driver).

    git config merge.pomerge.driver "python3 scripts/po_merge.py %O %A %B"
    (.gitattributes: *.po merge=pomerge)

Two branches that each add strings to locale/en/LC_MESSAGES/django.po touch the same
file in many places, and a line-based merge turns that into conflicts; a union of the
two files (msgcat) loses a translation that one branch corrected. Here each entry
(context, msgid, plural) is merged on its own: a side that changed an entry from the
base wins; when both changed it differently, ours is kept and the entry is marked fuzzy
so that tests/test_i18n.py fails until a person chooses. Location comments and order
follow ours; `make messages` rewrites them from the code anyway.
"""

from __future__ import annotations

import sys

import polib


def _key(entry: polib.POEntry) -> tuple:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


def _value(entry: polib.POEntry | None):
    if entry is None:
        return None
    plural = tuple(sorted(entry.msgstr_plural.items())) if entry.msgid_plural else ()
    return (entry.msgstr, plural, "fuzzy" in entry.flags)


def merge(base_path: str, ours_path: str, theirs_path: str) -> int:
    base = {_key(e): e for e in polib.pofile(base_path, wrapwidth=0) if not e.obsolete}
    ours_po = polib.pofile(ours_path, wrapwidth=0)
    ours = {_key(e): e for e in ours_po if not e.obsolete}
    theirs = {_key(e): e for e in polib.pofile(theirs_path, wrapwidth=0) if not e.obsolete}
    conflicts = 0
    for key in list(ours):
        if key in base and key not in theirs and _value(ours[key]) == _value(base[key]):
            ours_po.remove(ours[key])  # removed by theirs, untouched by ours
            del ours[key]
    for key, entry in theirs.items():
        mine, original = ours.get(key), base.get(key)
        if _value(entry) == _value(original):
            continue  # theirs did not change it
        if mine is None:
            if original is None:
                ours_po.append(entry)  # new in theirs
            continue  # removed by ours
        if _value(mine) == _value(original) or _value(mine) == _value(entry):
            mine.msgstr, mine.msgstr_plural, mine.flags = entry.msgstr, entry.msgstr_plural, list(entry.flags)
            continue
        conflicts += 1
        if "fuzzy" not in mine.flags:
            mine.flags.append("fuzzy")
        print(f"po_merge: both sides translated {key[1]!r} differently; kept ours, marked fuzzy", file=sys.stderr)
    ours_po.save(ours_path)
    return 0


if __name__ == "__main__":
    sys.exit(merge(*sys.argv[1:4]))

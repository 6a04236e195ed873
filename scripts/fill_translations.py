"""Fill locale/en/LC_MESSAGES/django.po from the dictionaries in locale/translations/en_*.py.

Each module defines `T = {key: translation}`: the key is the French msgid (prefixed
with "context\\x04" when the string has a context, and written as a
(singular, plural) tuple for plural strings, whose translation is then a
(singular, plural) tuple too). Every entry found gets its msgstr and loses the
"fuzzy" flag; entries without a translation are listed and the script exits 1.

    python manage.py makemessages -l en --ignore=.venv --ignore=var --ignore=node_modules --ignore=tests --ignore=bench
    python scripts/fill_translations.py && python manage.py compilemessages --ignore=.venv --ignore=var
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
SOURCES = ROOT / "locale" / "translations"


def key_of(entry: polib.POEntry):
    msgid = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
    return (msgid, entry.msgid_plural) if entry.msgid_plural else msgid


def load_translations() -> dict:
    merged: dict = {}
    for path in sorted(SOURCES.glob("en_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        merged.update(module.T)
    return merged


def main() -> int:
    translations = load_translations()
    po = polib.pofile(str(PO_FILE), wrapwidth=0)
    # msgfmt skips a fuzzy header, and with it the charset and the plural rule.
    po.metadata_is_fuzzy = False
    po.header = "English translation of Périscope (French source strings)."
    po.metadata["Project-Id-Version"] = "periscope"
    po.metadata["Language"] = "en"
    po.metadata["Plural-Forms"] = "nplurals=2; plural=(n != 1);"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        value = translations.get(key_of(entry))
        if value is None:
            missing.append(key_of(entry))
            continue
        if entry.msgid_plural:
            singular, plural = value
            entry.msgstr_plural = {0: singular, 1: plural}
        else:
            entry.msgstr = value
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
    po.save(str(PO_FILE))
    for key in missing:
        print("missing:", repr(key))
    print(f"{len(po) - len(missing)} translated, {len(missing)} missing")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())

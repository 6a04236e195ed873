"""Reading an uploaded file: CSV, XLSX or JSON → headers and rows, refusing hostile files first.

Size, type (by content, not by name), XLSX decompressed size and member count
(zip bombs) are checked before any parsing; XML is parsed by openpyxl through
defusedxml. CSV cells lose the apostrophe an export put before a formula-like
value (`core.spreadsheet`); XLSX and JSON cells are read as they are.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import openpyxl
import openpyxl.xml
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from core.spreadsheet import unneutralise
from territories.models import normalize_name

if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - defusedxml is a declared dependency
    raise ImproperlyConfigured("openpyxl must parse XML through defusedxml (pip install defusedxml).")

MAX_FILE_BYTES = 15 * 1024 * 1024
MAX_ROWS = 20_000
MAX_XLSX_UNCOMPRESSED_BYTES = 150 * 1024 * 1024
MAX_XLSX_MEMBERS = 1_000
MAX_CELL_CHARS = 50_000

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Header spellings accepted besides the keys and the labels (normalised).
ALIASES = {
    "ref": "reference",
    "external_ref": "reference",
    "reference_externe": "reference",
    "title": "titre",
    "summary": "resume",
    "context": "contexte",
    "results": "resultats",
    "vigilance_points": "points_de_vigilance",
    "vigilance": "points_de_vigilance",
    "period_start": "debut",
    "date_de_debut": "debut",
    "period_end": "fin",
    "date_de_fin": "fin",
    "project_status": "etat_projet",
    "etat_du_projet": "etat_projet",
    "budget_amount": "budget",
    "currency": "devise",
    "language": "langue",
    "visibility": "visibilite",
    "tags": "mots_cles",
    "mots_cle": "mots_cles",
    "theme": "themes",
    "title_en": "titre_en",
    "summary_en": "resume_en",
    "client_organisation": "client",
    "territoire": "territoire_nom",
    "code_territoire": "territoire_code",
    "code_insee": "territoire_code",
}

Rows = Iterator[tuple[int, list[Any]]]


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message says why, for a person."""


def header_key(header: Any) -> str:
    key = normalize_name(str(header or "")).replace(" ", "_")
    return ALIASES.get(key, key)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _mb(n: int) -> str:
    return f"{n / 1_048_576:.0f}"


def read_rows(content: bytes, filename: str = "") -> tuple[list[str], Rows]:
    """Headers and (row number, values) of the first sheet; row numbers are those a spreadsheet shows
    (for JSON, the position of the fiche in the list)."""
    if not content:
        raise ImportFileError(_("Le fichier est vide."))
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileError(
            _("Le fichier pèse %(size)s Mo ; la limite est de %(max)s Mo. Découpez-le en plusieurs fichiers.")
            % {"size": _mb(len(content)), "max": _mb(MAX_FILE_BYTES)}
        )
    if content.startswith(XLSX_MAGIC):
        return _read_xlsx(content)
    if content.startswith(OLE_MAGIC):
        raise ImportFileError(
            _("Ancien format Excel (.xls) non pris en charge : enregistrez le fichier au format .xlsx ou .csv.")
        )
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError(_("Ce fichier n'est pas un classeur XLSX valide (fichier tronqué ou d'un autre type)."))
    text = _decode(content)
    if filename.lower().endswith(".json") or text.lstrip()[:1] in ("{", "["):
        return _read_json(text)
    return _read_csv(text)


def _read_xlsx(content: bytes) -> tuple[list[str], Rows]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ImportFileError(
            _("Ce fichier n'est pas un classeur XLSX lisible (fichier tronqué ou endommagé).")
        ) from exc
    if len(infos) > MAX_XLSX_MEMBERS:
        raise ImportFileError(_("Ce classeur contient trop d'éléments internes pour être importé."))
    # Sizes come from the archive's directory; zipfile never inflates a member
    # beyond its declared size, so checking the declarations bounds the work.
    uncompressed = sum(info.file_size for info in infos)
    if uncompressed > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise ImportFileError(
            _("Une fois décompressé, ce classeur occuperait %(size)s Mo (limite : %(max)s Mo) : il est refusé.")
            % {"size": _mb(uncompressed), "max": _mb(MAX_XLSX_UNCOMPRESSED_BYTES)}
        )
    if "xl/workbook.xml" not in {info.filename for info in infos}:
        raise ImportFileError(_("Ce fichier compressé n'est pas un classeur XLSX."))
    unreadable = _("Ce classeur XLSX est illisible (fichier endommagé ou protégé).")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        iterator = workbook.worksheets[0].iter_rows(values_only=True)
        headers = list(next(iterator, ()) or ())
    except Exception as exc:  # openpyxl raises many types on damaged files; all mean "unreadable"
        raise ImportFileError(unreadable) from exc

    def rows():
        try:
            for number, values in enumerate(iterator, start=2):
                yield number, list(values)
        except ImportFileError:
            raise
        except Exception as exc:
            raise ImportFileError(unreadable) from exc
        finally:
            workbook.close()

    return [str(h) if h is not None else "" for h in headers], rows()


def _decode(content: bytes) -> str:
    if b"\x00" in content[:65536]:
        raise ImportFileError(_("Ce fichier n'est ni un CSV ni un classeur XLSX (contenu binaire)."))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(_("Ce fichier n'est ni un CSV ni un classeur XLSX lisible (encodage inconnu)."))
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if sample and controls / len(sample) > 0.01:
        raise ImportFileError(_("Ce fichier n'est ni un CSV ni un classeur XLSX (contenu binaire)."))
    return text


def _read_csv(text: str) -> tuple[list[str], Rows]:
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    csv.field_size_limit(MAX_CELL_CHARS * 2)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader, [])
    except csv.Error as exc:
        raise ImportFileError(_("Ce fichier CSV est mal formé : %(error)s.") % {"error": exc}) from exc

    def rows():
        # Numbered by record, as a spreadsheet shows them (a cell may span several lines).
        try:
            for number, values in enumerate(reader, start=2):
                yield number, [unneutralise(value) for value in values]
        except csv.Error as exc:
            raise ImportFileError(
                _("Ce fichier CSV est mal formé vers la ligne %(line)s : %(error)s.")
                % {"line": reader.line_num, "error": exc}
            ) from exc

    return headers, rows()


def _read_json(text: str) -> tuple[list[str], Rows]:
    """An export's JSON ({"experiences": [...]}) or a plain list of objects; keys are the columns."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ImportFileError(_("Ce fichier JSON est mal formé : %(error)s.") % {"error": exc}) from exc
    items = data.get("experiences") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ImportFileError(
            _("Ce fichier JSON doit contenir une liste de fiches (objets), comme celui que donne l'export.")
        )
    headers: dict[str, None] = {}
    for item in items:
        headers.update(dict.fromkeys(item))
    keys = list(headers)
    for item in items:
        for value in item.values():
            if isinstance(value, dict | list):
                raise ImportFileError(_("Ce fichier JSON contient des valeurs imbriquées : une valeur par colonne."))

    def rows():
        for number, item in enumerate(items, start=1):
            yield number, [item.get(key) for key in keys]

    return keys, rows()

"""Bulk import of fiches from a CSV or XLSX file.

`import_experiences(content=..., commit=False)` is the dry run: it reads and
checks every row and says how many fiches would be created, updated or left
unchanged, with every error (row, column, message); nothing is written.
With `commit=True` the same checks run inside one transaction and, only if no
row has an error, everything is written: all rows or none.

A row is identified by its `reference` column (stored in
`Experience.external_ref`): importing the same file twice creates nothing new.

Hostile files are refused before any parsing work: size, type (by content,
not by name), XLSX decompressed size and member count (zip bombs), row count;
XML is parsed by openpyxl through defusedxml. Writes are bulk (a few queries
per thousand rows) with one history version per fiche.
"""

from __future__ import annotations

import csv
import datetime
import difflib
import hashlib
import io
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import openpyxl
import openpyxl.xml
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from simple_history.utils import bulk_create_with_history

from territories.models import Territory, normalize_name
from territories.selectors import parse_code, territory_code_label

from . import rules
from .history import record_snapshots
from .models import Experience, Organisation, Source, Tag, Theme
from .richtext import sanitize_html

if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - defusedxml is a declared dependency
    raise ImproperlyConfigured("openpyxl must parse XML through defusedxml (pip install defusedxml).")

MAX_FILE_BYTES = 15 * 1024 * 1024
MAX_ROWS = 20_000
MAX_XLSX_UNCOMPRESSED_BYTES = 150 * 1024 * 1024
MAX_XLSX_MEMBERS = 1_000
MAX_REPORTED_ERRORS = 1_000
MAX_CELL_CHARS = 50_000
BATCH = 1_000

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message says why, for a person."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    help: str
    example: str = ""
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "reference",
        "Référence",
        "Identifiant stable de la fiche dans vos fichiers. Réimporter la même référence met la fiche à jour au lieu d'en créer une autre.",
        "CCPAYS-2024-001",
        True,
    ),
    Column("titre", "Titre", "Titre de la fiche (255 caractères au plus).", "Un tiers-lieu dans l'ancienne gare", True),
    Column(
        "resume",
        "Résumé",
        "Deux ou trois phrases : qui a fait quoi, pour quel résultat.",
        "La commune a transformé sa gare en tiers-lieu…",
        True,
    ),
    Column(
        "territoire_code",
        "Territoire (code)",
        "Code officiel du territoire porteur : code INSEE de la commune (35238), SIREN de l'EPCI (243500139), code du département (35) ou de la région (53), code NIS en Belgique.",
        "35238",
    ),
    Column(
        "territoire_type",
        "Territoire (type)",
        "commune, epci, departement, region, province, pays ou autre. Utile quand un code désigne deux territoires (84 : région Auvergne-Rhône-Alpes ou Vaucluse).",
        "commune",
    ),
    Column(
        "territoire_pays",
        "Territoire (pays)",
        "Code pays à deux lettres : FR, BE… Vide : la France pour un code (ou écrivez BE-25122 dans territoire_code), "
        "tout pays pour un nom (Ramillies existe en France et en Belgique : les deux sont proposés).",
        "FR",
    ),
    Column(
        "territoire_nom",
        "Territoire (nom)",
        "Nom du territoire porteur, si vous n'avez pas son code. En cas d'homonymes, l'import vous propose les candidats.",
        "Rennes",
    ),
    Column(
        "autres_territoires",
        "Autres territoires",
        "Autres territoires concernés : codes séparés par « ; », précédés du type si besoin (departement:35 ; 35047).",
        "departement:35",
    ),
    Column(
        "themes",
        "Thèmes",
        "Thèmes du thésaurus séparés par « ; » : nom, synonyme ou identifiant.",
        "Tiers-lieux ; Concertation",
    ),
    Column(
        "mots_cles",
        "Mots-clés",
        "Mots-clés libres séparés par « ; ». Ceux qui n'existent pas encore sont créés.",
        "gare ; ruralité",
    ),
    Column(
        "contexte",
        "Contexte",
        "Texte libre ; une ligne vide sépare deux paragraphes, une ligne commençant par « - » fait une puce.",
    ),
    Column("actions", "Actions", "Les actions menées (même format que le contexte)."),
    Column("resultats", "Résultats", "Ce que l'expérience a produit, chiffres à l'appui si possible."),
    Column("points_de_vigilance", "Points de vigilance", "Ce qu'il faut savoir avant de s'en inspirer."),
    Column("debut", "Début", "Date de début : AAAA-MM-JJ, JJ/MM/AAAA ou seulement l'année (AAAA).", "2023-03-01"),
    Column("fin", "Fin", "Date de fin, même format ; postérieure au début.", ""),
    Column("etat_projet", "État du projet", "en projet, en cours, terminé ou abandonné.", "en cours"),
    Column("budget", "Budget", "Montant total, en chiffres (620000 ou 620 000,50).", "620000"),
    Column("devise", "Devise", "Code à trois lettres, EUR par défaut.", "EUR"),
    Column("langue", "Langue", "fr ou en (fr par défaut).", "fr"),
    Column("visibilite", "Visibilité", "publique, membres ou confidentielle (publique par défaut).", "publique"),
    Column("client", "Client", "Nom exact de l'organisation cliente ; obligatoire si la fiche est confidentielle."),
    Column("titre_en", "Titre (anglais)", "Titre en anglais, facultatif."),
    Column("resume_en", "Résumé (anglais)", "Résumé en anglais, facultatif."),
    Column(
        "source_titre",
        "Source (titre)",
        "Titre d'un document ou d'une page source ; ajouté aux sources de la fiche s'il n'y est pas.",
    ),
    Column("source_url", "Source (adresse)", "Adresse web de cette source (https://…).", "https://example.org/article"),
)
COLUMN_KEYS = {c.key for c in COLUMNS}
LABELS = {c.key: c.label for c in COLUMNS}
REQUIRED = [c.key for c in COLUMNS if c.required]

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

# Column → model field, for the columns that map one to one.
FIELD_OF = {
    "reference": "external_ref",
    "titre": "title",
    "resume": "summary",
    "titre_en": "title_en",
    "resume_en": "summary_en",
    "contexte": "context",
    "actions": "actions",
    "resultats": "results",
    "points_de_vigilance": "vigilance_points",
    "debut": "period_start",
    "fin": "period_end",
    "etat_projet": "project_status",
    "budget": "budget_amount",
    "devise": "currency",
    "langue": "language",
    "visibilite": "visibility",
    "client": "client_organisation",
}
COLUMN_OF_FIELD = {v: k for k, v in FIELD_OF.items()} | {"lead_territory": "territoire_code"}
RICH = {"contexte", "actions", "resultats", "points_de_vigilance"}

KINDS = {
    "commune": "commune",
    "epci": "epci",
    "intercommunalite": "epci",
    "departement": "department",
    "department": "department",
    "region": "region",
    "province": "province",
    "pays": "country",
    "country": "country",
    "autre": "other",
    "other": "other",
}


def _choice_map(choices) -> dict[str, str]:
    mapping = {}
    for value, label in choices:
        mapping[normalize_name(str(value))] = value
        mapping[normalize_name(str(label))] = value
    return mapping


PROJECT_STATUS = _choice_map(Experience.ProjectStatus.choices) | {"termine": "completed", "en cours": "ongoing"}
VISIBILITY = _choice_map(Experience.Visibility.choices) | {
    "publique": "public",
    "membres": "members",
    "confidentielle": "confidential",
    "confidentiel": "confidential",
}
LANGUAGES = {"fr": "fr", "francais": "fr", "en": "en", "anglais": "en", "english": "en"}


def header_key(header: Any) -> str:
    key = normalize_name(str(header or "")).replace(" ", "_")
    return ALIASES.get(key, key)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- Reading files -------------------------------------------------------------


def _mb(n: int) -> str:
    return f"{n / 1_048_576:.0f}"


def read_rows(content: bytes, filename: str = "") -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """Headers and (row number, values) of the first sheet; row numbers are those a spreadsheet shows."""
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
    return _read_csv(content)


def _read_xlsx(content: bytes):
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
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise ImportFileError(_("Ce fichier compressé n'est pas un classeur XLSX."))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
        headers = list(next(iterator, ()) or ())
    except Exception as exc:  # openpyxl raises many types on damaged files; all mean "unreadable"
        raise ImportFileError(_("Ce classeur XLSX est illisible (fichier endommagé ou protégé).")) from exc

    def rows():
        try:
            for number, values in enumerate(iterator, start=2):
                yield number, list(values)
        except ImportFileError:
            raise
        except Exception as exc:
            raise ImportFileError(_("Ce classeur XLSX est illisible (fichier endommagé ou protégé).")) from exc
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


def _read_csv(content: bytes):
    text = _decode(content)
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
            yield from enumerate(reader, start=2)
        except csv.Error as exc:
            raise ImportFileError(
                _("Ce fichier CSV est mal formé vers la ligne %(line)s : %(error)s.")
                % {"line": reader.line_num, "error": exc}
            ) from exc

    return headers, rows()


# --- Report ------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    filename: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    file_error: str = ""
    warnings: list[str] = field(default_factory=list)
    # Dry run only: possible duplicates and suggested themes of new rows (experiences/semantic/imports.py).
    semantic: dict = field(default_factory=dict)
    committed: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.error_count

    def add_error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, column, message))

    def as_dict(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        return data


# --- Parsing values ----------------------------------------------------------


class CellError(ValueError):
    pass


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).replace("\r\n", "\n").strip()
    if len(text) > MAX_CELL_CHARS:
        raise CellError(
            _("texte trop long (%(n)s caractères, limite %(max)s)") % {"n": len(text), "max": MAX_CELL_CHARS}
        )
    return text


def parse_date(value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and 1000 <= value <= 9999 and float(value).is_integer():
        return datetime.date(int(value), 1, 1)
    text = _text(value)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(_("date illisible « %(value)s » : écrivez AAAA-MM-JJ, JJ/MM/AAAA ou AAAA") % {"value": text})


def parse_amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        amount = Decimal(str(value))
    else:
        text = _text(value)
        cleaned = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "").replace("EUR", "")
        if "," in cleaned and "." not in cleaned:
            cleaned = cleaned.replace(",", ".")
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            raise CellError(
                _("montant illisible « %(value)s » : écrivez un nombre, par exemple 620000") % {"value": text}
            ) from None
    if not amount.is_finite() or amount < 0:
        raise CellError(_("le montant doit être un nombre positif"))
    if amount >= Decimal("1e12"):
        raise CellError(_("montant trop grand"))
    return amount.quantize(Decimal("0.01"))


def _split(value: Any) -> list[str]:
    text = _text(value)
    parts = text.replace("|", ";").replace("\n", ";").split(";")
    return [" ".join(p.split()) for p in parts if p.strip()]


# --- Resolving references (territories, themes, organisations) ----------------


class _Territories:
    """Looks up territories by code or name with two queries for the whole file."""

    def __init__(self, rows: list[dict[str, Any]]):
        codes: set[str] = set()
        names: set[str] = set()
        for values in rows:
            if values.get("territoire_code"):
                codes.add(self._code(_text(values["territoire_code"]))[0])
            elif values.get("territoire_nom"):
                names.add(normalize_name(_text(values["territoire_nom"])))
            for item in _split(values.get("autres_territoires")):
                codes.add(self._code(item.split(":")[-1].strip())[0])
        self.by_code: dict[str, list[Territory]] = defaultdict(list)
        self.by_name: dict[str, list[Territory]] = defaultdict(list)
        fields = ("id", "kind", "code", "country", "name", "search_name", "is_current")
        if codes:
            for t in Territory.objects.filter(code__in=codes).only(*fields):
                self.by_code[t.code].append(t)
        if names:
            for t in Territory.objects.filter(search_name__in=names).only(*fields):
                self.by_name[t.search_name].append(t)

    @staticmethod
    def _describe(t: Territory) -> str:
        return f"{t.label} ({t.get_kind_display().lower()}, code {territory_code_label(t)})"

    @staticmethod
    def _code(text: str) -> tuple[str, str | None]:
        """(code, country it names): "BE-25122" → ("25122", "BE"); a plain code names no country."""
        parsed = parse_code(text)
        return (parsed.code, parsed.country) if parsed else (text, None)

    def by_code_or_error(self, code: str, kind: str | None, country: str | None) -> Territory:
        # French INSEE codes and Belgian NIS codes overlap by the thousand (21004 is a
        # commune of the Côte-d'Or and Bruxelles): a code without a country is French,
        # as the template says; "BE-25122" or the territoire_pays column say otherwise.
        code, named = self._code(code)
        country = named or country or "FR"
        candidates = [t for t in self.by_code.get(code, []) if t.country == country]
        if kind:
            candidates = [t for t in candidates if t.kind == kind]
        if not candidates:
            raise CellError(
                _("aucun territoire %(country)s n'a le code « %(code)s »%(kind)s")
                % {"country": country, "code": code, "kind": f" ({kind})" if kind else ""}
            )
        if len(candidates) > 1:
            current = [t for t in candidates if t.is_current]
            if len(current) == 1:
                return current[0]
            raise CellError(
                _(
                    "le code « %(code)s » désigne plusieurs territoires : %(candidates)s ; précisez le type (colonne territoire_type)"
                )
                % {"code": code, "candidates": ", ".join(self._describe(t) for t in candidates)}
            )
        return candidates[0]

    def by_name_or_error(self, name: str, kind: str | None, country: str | None) -> Territory:
        # Without a country, a name shared by a French commune and a Belgian one is
        # ambiguous (Ramillies): both are listed rather than France chosen silently.
        candidates = [t for t in self.by_name.get(normalize_name(name), []) if country in (None, t.country)]
        if kind:
            candidates = [t for t in candidates if t.kind == kind]
        if len(candidates) > 1:
            current = [t for t in candidates if t.is_current]
            candidates = current or candidates
        if not candidates:
            raise CellError(_("aucun territoire ne s'appelle « %(name)s » ; indiquez son code") % {"name": name})
        if len(candidates) > 1:
            raise CellError(
                _(
                    "plusieurs territoires s'appellent « %(name)s » : %(candidates)s ; indiquez le code (colonne territoire_code) ou le pays (colonne territoire_pays)"
                )
                % {"name": name, "candidates": ", ".join(self._describe(t) for t in candidates[:8])}
            )
        return candidates[0]


class _Themes:
    def __init__(self):
        self.index: dict[str, set[int]] = defaultdict(set)
        self.names: dict[str, str] = {}
        themes = list(Theme.objects.all())
        for theme in themes:
            for key in (theme.slug, theme.name, theme.name_en, *theme.synonyms):
                if key:
                    self.index[normalize_name(key)].add(theme.pk)
            self.names[normalize_name(theme.name)] = theme.name
        # An exact name wins over a synonym that another theme shares.
        for theme in themes:
            self.index[normalize_name(theme.name)] = {theme.pk}
            self.index[normalize_name(theme.slug)] = {theme.pk}

    def resolve(self, label: str) -> int:
        found = self.index.get(normalize_name(label))
        if not found:
            close = difflib.get_close_matches(normalize_name(label), list(self.names), n=3, cutoff=0.6)
            hint = (
                _(" ; thèmes proches : %(names)s") % {"names": ", ".join(self.names[c] for c in close)} if close else ""
            )
            raise CellError(_("thème inconnu « %(label)s »%(hint)s") % {"label": label, "hint": hint})
        if len(found) > 1:
            raise CellError(
                _("« %(label)s » correspond à plusieurs thèmes ; écrivez le nom exact du thème") % {"label": label}
            )
        return next(iter(found))


def _organisations(names: set[str]) -> dict[str, list[Organisation]]:
    found: dict[str, list[Organisation]] = defaultdict(list)
    if names:
        lowered = [n.lower() for n in names]
        for org in Organisation.objects.annotate(lname=Lower("name")).filter(lname__in=lowered):
            found[org.lname].append(org)
        for org in Organisation.objects.filter(slug__in=list(names)):
            found.setdefault(org.slug.lower(), []).append(org)
    return found


# --- Planning ----------------------------------------------------------------

SCALAR_FIELDS = (
    "title",
    "summary",
    "title_en",
    "summary_en",
    "context",
    "actions",
    "results",
    "vigilance_points",
    "period_start",
    "period_end",
    "project_status",
    "budget_amount",
    "currency",
    "language",
    "visibility",
    "client_organisation_id",
    "lead_territory_id",
)


@dataclass
class RowPlan:
    number: int
    reference: str
    fields: dict[str, Any] = field(default_factory=dict)  # attname → value, only for columns present
    themes: set[int] | None = None
    tags: list[str] | None = None
    territories: set[int] | None = None
    source: tuple[str, str] | None = None
    existing: Experience | None = None
    experience: Experience | None = None
    changed: bool = True
    valid: bool = True


def _row_values(headers: list[str], values: list[Any]) -> dict[str, Any]:
    return {key: values[i] if i < len(values) else None for i, key in enumerate(headers) if key}


def _plan_row(number: int, values: dict[str, Any], present: set[str], ctx, report: ImportReport) -> RowPlan | None:
    errors_before = report.error_count

    def error(column: str, message: str) -> None:
        report.add_error(number, column, message)

    try:
        reference = _text(values.get("reference"))
    except CellError as exc:
        error("reference", str(exc))
        return None
    plan = RowPlan(number=number, reference=reference)
    if not reference:
        error("reference", _("référence manquante : chaque ligne a besoin d'un identifiant stable"))
    elif len(reference) > 100:
        error("reference", _("référence trop longue (100 caractères au plus)"))

    for column, name in FIELD_OF.items():
        if column not in present or column in ("reference", "client"):
            continue
        raw = values.get(column)
        try:
            if name in ("period_start", "period_end"):
                value = parse_date(raw)
            elif name == "budget_amount":
                value = parse_amount(raw)
            elif name == "project_status":
                text = _text(raw)
                value = PROJECT_STATUS.get(normalize_name(text)) if text else Experience.ProjectStatus.ONGOING
                if value is None:
                    raise CellError(
                        _("état inconnu « %(v)s » : en projet, en cours, terminé ou abandonné") % {"v": text}
                    )
            elif name == "visibility":
                text = _text(raw)
                value = VISIBILITY.get(normalize_name(text)) if text else Experience.Visibility.PUBLIC
                if value is None:
                    raise CellError(
                        _("visibilité inconnue « %(v)s » : publique, membres ou confidentielle") % {"v": text}
                    )
            elif name == "language":
                text = _text(raw)
                value = LANGUAGES.get(normalize_name(text)) if text else "fr"
                if value is None:
                    raise CellError(_("langue inconnue « %(v)s » : fr ou en") % {"v": text})
            elif name == "currency":
                value = (_text(raw) or "EUR").upper()
                if len(value) != 3 or not value.isalpha():
                    raise CellError(_("devise « %(v)s » : écrivez un code à trois lettres (EUR)") % {"v": value})
            elif column in RICH:
                value = sanitize_html(_text(raw))
            else:
                value = _text(raw)
            if column in REQUIRED and not value:
                raise CellError(_("valeur obligatoire manquante"))
            plan.fields[name] = value
        except CellError as exc:
            error(column, str(exc))

    if "client" in present:
        name = _text(values.get("client"))
        if not name:
            plan.fields["client_organisation_id"] = None
        else:
            matches = ctx.organisations.get(name.lower(), [])
            if len(matches) == 1:
                plan.fields["client_organisation_id"] = matches[0].pk
            elif matches:
                error(
                    "client",
                    _("plusieurs organisations s'appellent « %(name)s » ; écrivez son identifiant (slug)")
                    % {"name": name},
                )
            else:
                error(
                    "client",
                    _("organisation cliente inconnue « %(name)s » : créez-la d'abord ou corrigez le nom")
                    % {"name": name},
                )

    if present & {"territoire_code", "territoire_nom"}:
        try:
            kind_text = normalize_name(_text(values.get("territoire_type"))).replace(" ", "")
            kind = KINDS.get(kind_text) if kind_text else None
            if kind_text and kind is None:
                error(
                    "territoire_type",
                    _("type de territoire inconnu « %(v)s »") % {"v": _text(values.get("territoire_type"))},
                )
            country = _text(values.get("territoire_pays")).upper() or None
            code, name = _text(values.get("territoire_code")), _text(values.get("territoire_nom"))
            if code:
                plan.fields["lead_territory_id"] = ctx.territories.by_code_or_error(code, kind, country).pk
            elif name:
                try:
                    plan.fields["lead_territory_id"] = ctx.territories.by_name_or_error(name, kind, country).pk
                except CellError as exc:
                    error("territoire_nom", str(exc))
            else:
                error(
                    "territoire_code", _("territoire porteur manquant : renseignez territoire_code ou territoire_nom")
                )
        except CellError as exc:
            error("territoire_code", str(exc))

    if "autres_territoires" in present:
        plan.territories = set()
        country = _text(values.get("territoire_pays")).upper() or None
        for item in _split(values.get("autres_territoires")):
            kind_part, _sep, code = item.rpartition(":")
            kind = KINDS.get(normalize_name(kind_part).replace(" ", "")) if kind_part else None
            try:
                plan.territories.add(ctx.territories.by_code_or_error(code.strip(), kind, country).pk)
            except CellError as exc:
                error("autres_territoires", str(exc))

    if "themes" in present:
        plan.themes = set()
        for label in _split(values.get("themes")):
            try:
                plan.themes.add(ctx.themes.resolve(label))
            except CellError as exc:
                error("themes", str(exc))

    if "mots_cles" in present:
        seen: dict[str, str] = {}
        for name in _split(values.get("mots_cles")):
            if len(name) > 80:
                error("mots_cles", _("mot-clé trop long (80 caractères au plus) : « %(v)s… »") % {"v": name[:30]})
                continue
            seen.setdefault(name.lower(), name)
        plan.tags = list(seen.values())

    if present & {"source_titre", "source_url"}:
        title, url = _text(values.get("source_titre")), _text(values.get("source_url"))
        if url:
            try:
                URLValidator(schemes=["http", "https"])(url)
                if len(url) > 500:
                    raise ValidationError("")
            except ValidationError:
                error(
                    "source_url", _("adresse invalide « %(v)s » : elle doit commencer par https://") % {"v": url[:80]}
                )
        if len(title) > 300:
            error("source_titre", _("titre de source trop long (300 caractères au plus)"))
        if title or url:
            plan.source = (title or url, url)

    start, end = plan.fields.get("period_start"), plan.fields.get("period_end")
    if start and end and end < start:
        error(
            "fin",
            _("la fin (%(end)s) précède le début (%(start)s)") % {"end": end.isoformat(), "start": start.isoformat()},
        )
    return plan if report.error_count == errors_before else None


def _model_check(plan: RowPlan, experience: Experience, report: ImportReport) -> bool:
    """The model's own field validation (lengths, choices), mapped back to columns.

    Uniqueness and check constraints are verified for the whole batch at once
    (one query per thousand rows) instead of the several queries per row that
    `full_clean()` would run; foreign keys were resolved against the database.
    """
    errors_before = report.error_count
    try:
        experience.clean_fields(exclude=["slug", "lead_territory", "client_organisation", "author", "external_ref"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            for message in messages:
                report.add_error(plan.number, COLUMN_OF_FIELD.get(name, name), message)
    if experience.visibility == Experience.Visibility.CONFIDENTIAL and experience.client_organisation_id is None:
        report.add_error(plan.number, "client", _("une fiche confidentielle doit avoir un client"))
    if experience.lead_territory_id is None:
        report.add_error(
            plan.number,
            "territoire_code",
            _("territoire porteur manquant : renseignez territoire_code ou territoire_nom"),
        )
    return report.error_count == errors_before


@dataclass
class _Context:
    territories: _Territories
    themes: _Themes
    organisations: dict[str, list[Organisation]]


def import_experiences(*, content: bytes, filename: str = "", by=None, commit: bool = False) -> ImportReport:
    """Check a file and, with `commit=True` and no error at all, import it in one transaction.

    `by` is the user doing it (None for an operator at the command line); it
    becomes the author of new fiches and the user of their history versions.
    """
    started = time.monotonic()
    report = ImportReport(filename=filename)
    if by is not None and not rules.can_create(by):
        report.file_error = _("Seuls les consultants et l'équipe importent des fiches.")
        return report
    try:
        if commit:
            with transaction.atomic():
                _run(content, filename, by, report, commit=True)
                if not report.ok:
                    transaction.set_rollback(True)
        else:
            _run(content, filename, by, report, commit=False)
    except ImportFileError as exc:
        report.file_error = str(exc)
    report.committed = commit and report.ok
    report.seconds = round(time.monotonic() - started, 2)
    return report


def _run(content: bytes, filename: str, by, report: ImportReport, *, commit: bool) -> None:
    raw_headers, row_iter = read_rows(content, filename)
    headers = [header_key(h) for h in raw_headers]
    present = {h for h in headers if h in COLUMN_KEYS}
    unknown = [raw for raw, key in zip(raw_headers, headers, strict=False) if raw and key not in COLUMN_KEYS]
    if unknown:
        report.warnings.append(
            _("Colonnes ignorées (inconnues) : %(names)s.") % {"names": ", ".join(map(str, unknown[:20]))}
        )
    duplicates = sorted({h for h in headers if h and headers.count(h) > 1})
    if duplicates:
        raise ImportFileError(_("Colonnes en double : %(names)s.") % {"names": ", ".join(duplicates)})
    if not present:
        raise ImportFileError(
            _("Aucune colonne reconnue sur la première ligne. Partez du modèle à télécharger (colonnes : %(names)s…).")
            % {"names": ", ".join(c.key for c in COLUMNS[:5])}
        )
    missing = [key for key in ("reference",) if key not in present]
    if missing:
        raise ImportFileError(_("Colonne obligatoire absente : %(names)s.") % {"names": ", ".join(missing)})

    rows: list[tuple[int, dict[str, Any]]] = []
    for number, values in row_iter:
        if not any(v not in (None, "") and str(v).strip() for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(
                _("Le fichier contient plus de %(max)s lignes : découpez-le en plusieurs fichiers.")
                % {"max": f"{MAX_ROWS:,}".replace(",", " ")}
            )
        rows.append((number, _row_values(headers, values)))
    report.rows = len(rows)
    if not rows:
        raise ImportFileError(_("Le fichier ne contient aucune ligne de données sous les en-têtes."))

    client_names = {_text(v.get("client")) for _n, v in rows if v.get("client")}
    ctx = _Context(
        territories=_Territories([v for _n, v in rows]), themes=_Themes(), organisations=_organisations(client_names)
    )

    plans: list[RowPlan] = []
    first_seen: dict[str, int] = {}
    for number, values in rows:
        plan = _plan_row(number, values, present, ctx, report)
        if plan is None:
            continue
        if plan.reference in first_seen:
            report.add_error(
                number,
                "reference",
                _("référence « %(ref)s » déjà présente ligne %(line)s")
                % {"ref": plan.reference, "line": first_seen[plan.reference]},
            )
            continue
        first_seen[plan.reference] = number
        plans.append(plan)

    existing = _existing(plans, by, report, lock=commit)
    new_required = [c for c in ("titre", "resume") if c not in present]
    if not (present & {"territoire_code", "territoire_nom"}):
        new_required.append("territoire_code")
    tag_names_by_exp = _current_tags(existing.values())
    theme_ids_by_exp = _current_m2m(existing.values(), "themes", "theme_id")
    territory_ids_by_exp = _current_m2m(existing.values(), "territories", "territory_id")
    sources_by_exp = _current_sources(existing.values())
    for plan in plans:
        experience = existing.get(plan.reference)
        if experience is None:
            if new_required:
                report.add_error(
                    plan.number,
                    new_required[0],
                    _("colonnes nécessaires pour créer une fiche absentes : %(c)s") % {"c": ", ".join(new_required)},
                )
                continue
            experience = Experience(external_ref=plan.reference, status=Experience.Status.DRAFT)
        else:
            plan.existing = experience
        before = {name: getattr(experience, name) for name in SCALAR_FIELDS}
        for name, value in plan.fields.items():
            setattr(experience, name, value)
        plan.valid = _model_check(plan, experience, report)
        if plan.existing is not None:
            pk = experience.pk
            plan.changed = (
                before != {name: getattr(experience, name) for name in SCALAR_FIELDS}
                or (plan.themes is not None and plan.themes != theme_ids_by_exp.get(pk, set()))
                or (plan.territories is not None and plan.territories != territory_ids_by_exp.get(pk, set()))
                or (plan.tags is not None and {t.lower() for t in plan.tags} != tag_names_by_exp.get(pk, set()))
                or (plan.source is not None and not _has_source(sources_by_exp.get(pk, []), plan.source))
            )
        plan.experience = experience

    # Counts cover the valid rows, so that a dry run with errors still says what
    # the corrected file would do; nothing is written while any error remains.
    valid = [p for p in plans if p.valid and p.experience is not None]
    report.created = sum(1 for p in valid if p.existing is None)
    report.updated = sum(1 for p in valid if p.existing is not None and p.changed)
    report.unchanged = sum(1 for p in valid if p.existing is not None and not p.changed)
    report.errors.sort(key=lambda e: (e.row, e.column))
    if not commit:
        _semantic_notes(valid, by, report)
    if report.error_count:
        return
    if commit:
        _write(plans, by, filename, sources_by_exp)


def _semantic_notes(plans: list[RowPlan], by, report: ImportReport) -> None:
    """Possible duplicates and suggested themes of the new rows (dry run; see experiences/semantic/imports.py)."""
    from .semantic.imports import dry_run_notes

    rows = [
        {
            "row": p.number,
            "reference": p.reference,
            "title": p.experience.title,
            "summary": p.experience.summary,
            "territory_id": p.experience.lead_territory_id,
            "theme_ids": sorted(p.themes or ()),
        }
        for p in plans
        if p.existing is None
    ]
    report.semantic = dry_run_notes(rows, viewer=by)


def _existing(plans: list[RowPlan], by, report: ImportReport, *, lock: bool) -> dict[str, Experience]:
    refs = [p.reference for p in plans]
    found: dict[str, Experience] = {}
    for start in range(0, len(refs), BATCH * 5):
        queryset = Experience.objects.filter(external_ref__in=refs[start : start + BATCH * 5])
        if lock:
            queryset = queryset.select_for_update()
        found.update({e.external_ref: e for e in queryset})
    if found and by is not None:
        editable = set(
            Experience.objects.visible_to(by).filter(pk__in=[e.pk for e in found.values()]).values_list("pk", flat=True)
        )
        for plan in plans:
            experience = found.get(plan.reference)
            if experience is not None and experience.pk not in editable:
                report.add_error(
                    plan.number,
                    "reference",
                    _("la référence « %(ref)s » appartient à une fiche que vous ne pouvez pas modifier")
                    % {"ref": plan.reference},
                )
                del found[plan.reference]
    return found


def _current_m2m(experiences, name: str, attname: str) -> dict[int, set[int]]:
    ids = [e.pk for e in experiences]
    result: dict[int, set[int]] = defaultdict(set)
    if ids:
        through = getattr(Experience, name).through
        for exp_id, target in through.objects.filter(experience_id__in=ids).values_list("experience_id", attname):
            result[exp_id].add(target)
    return result


def _current_tags(experiences) -> dict[int, set[str]]:
    ids = [e.pk for e in experiences]
    result: dict[int, set[str]] = defaultdict(set)
    if ids:
        for exp_id, name in Experience.tags.through.objects.filter(experience_id__in=ids).values_list(
            "experience_id", "tag__name"
        ):
            result[exp_id].add(name.lower())
    return result


def _current_sources(experiences) -> dict[int, list[tuple[str, str]]]:
    ids = [e.pk for e in experiences]
    result: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if ids:
        for exp_id, title, url in Source.objects.filter(experience_id__in=ids).values_list(
            "experience_id", "title", "url"
        ):
            result[exp_id].append((title, url))
    return result


def _has_source(sources: list[tuple[str, str]], source: tuple[str, str]) -> bool:
    title, url = source
    return any((url and u == url) or (not url and t == title) for t, u in sources)


def _free_slug(text: str, taken: set[str], max_length: int) -> str:
    """A slug not in `taken` (which holds every slug in use), added to it."""
    base = slugify(text)[: max_length - 8].strip("-") or "mot-cle"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def _batch_slugs(titles: list[str]) -> list[str]:
    """Unique slugs for many new fiches with a couple of queries (not one per row)."""
    from .services import RESERVED_SLUGS, unique_slug

    bases = [slugify(title)[:270].strip("-") or "experience" for title in titles]
    clashing = set(Experience.objects.filter(slug__in=set(bases)).values_list("slug", flat=True)) | (
        set(bases) & RESERVED_SLUGS
    )
    taken: set[str] = set()
    slugs = []
    for title, base in zip(titles, bases, strict=True):
        if base in clashing or base in taken:
            slugs.append(unique_slug(Experience, title, max_length=280, taken=taken))
        else:
            taken.add(base)
            slugs.append(base)
    return slugs


def _write(plans: list[RowPlan], by, filename: str, sources_by_exp) -> None:
    now = timezone.now()
    reason = f"Import {filename}"[:100]
    user = by if getattr(by, "is_authenticated", False) else None
    new = [p for p in plans if p.existing is None]
    changed = [p for p in plans if p.existing is not None and p.changed]

    # Tags first: names → ids, creating the missing ones in one statement.
    wanted = {t.lower(): t for p in new + changed for t in (p.tags or [])}
    tag_ids = {t.lname: t.pk for t in Tag.objects.annotate(lname=Lower("name")).filter(lname__in=list(wanted))}
    missing = [name for lower, name in wanted.items() if lower not in tag_ids]
    if missing:
        taken: set[str] = set(Tag.objects.values_list("slug", flat=True))
        created = Tag.objects.bulk_create([Tag(name=n, slug=_free_slug(n, taken, 100)) for n in missing])
        tag_ids.update({t.name.lower(): t.pk for t in created})

    experiences_new = []
    for plan, slug in zip(new, _batch_slugs([p.experience.title for p in new]), strict=True):
        experience = plan.experience
        experience.slug = slug
        experience.author = user
        experience.created_at = experience.updated_at = now
        experiences_new.append(experience)
    Experience.objects.bulk_create(experiences_new, batch_size=BATCH)

    experiences_changed = []
    for plan in changed:
        plan.experience.updated_at = now
        experiences_changed.append(plan.experience)
    if experiences_changed:
        Experience.objects.bulk_update(experiences_changed, [*SCALAR_FIELDS, "updated_at"], batch_size=BATCH)

    for name, attname, getter in (
        ("themes", "theme_id", lambda p: p.themes),
        ("territories", "territory_id", lambda p: p.territories),
        ("tags", "tag_id", lambda p: None if p.tags is None else {tag_ids[t.lower()] for t in p.tags}),
    ):
        through = getattr(Experience, name).through
        replaced = [p.experience.pk for p in changed if getter(p) is not None]
        if replaced:
            through.objects.filter(experience_id__in=replaced).delete()
        links = [
            through(experience_id=p.experience.pk, **{attname: target})
            for p in new + changed
            if getter(p) is not None
            for target in getter(p)
        ]
        through.objects.bulk_create(links, batch_size=5000)

    sources = []
    for plan in new + changed:
        if plan.source and not _has_source(sources_by_exp.get(plan.experience.pk, []), plan.source):
            sources.append(Source(experience_id=plan.experience.pk, title=plan.source[0][:300], url=plan.source[1]))
    if sources:
        bulk_create_with_history(
            sources, Source, batch_size=BATCH, default_user=user, default_change_reason=reason, default_date=now
        )

    record_snapshots(experiences_new, by=user, reason=reason, history_type="+", date=now)
    record_snapshots(experiences_changed, by=user, reason=reason, history_type="~", date=now)
    from .services import _after_write

    _after_write([e.pk for e in experiences_new + experiences_changed])


# --- Template ------------------------------------------------------------------


def template_xlsx() -> bytes:
    """The downloadable template: the columns on a first sheet, their documentation on a second."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Fiches")
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="1D3557")
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=column.key)
        cell.font, cell.fill = bold, fill
        header.append(cell)
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = max(
            14, min(40, len(column.example) + 4)
        )
    sheet.freeze_panes = "A2"
    sheet.append(header)
    example = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=column.example)
        cell.data_type = "s"
        example.append(cell)
    sheet.append(example)

    doc = workbook.create_sheet("Colonnes")
    doc.column_dimensions["A"].width = 24
    doc.column_dimensions["B"].width = 14
    doc.column_dimensions["C"].width = 100
    doc.append([WriteOnlyCell(doc, value=v) for v in ("colonne", "obligatoire", "contenu")])
    wrap = Alignment(wrap_text=True, vertical="top")
    for column in COLUMNS:
        cells = [
            WriteOnlyCell(doc, value=column.key),
            WriteOnlyCell(doc, value="oui" if column.required else ""),
            WriteOnlyCell(doc, value=column.help),
        ]
        cells[2].alignment = wrap
        doc.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.key for c in COLUMNS])
    writer.writerow([c.example for c in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")

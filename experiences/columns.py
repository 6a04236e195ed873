"""The columns of a fiche in a spreadsheet, listed once for the import template, the
importers and the exports (CSV, XLSX, JSON).

An export carries every column the import reads, written the way the import reads
it back: long texts in the plain-text form of `core.richtext` (paragraphs, "- "
bullets, "1." numbers, `**bold**`, links as `[text] <url>`), dates as ISO dates,
project status and visibility in the template's French words, themes and
organisations by a name only they bear (else their identifier). So an export,
re-imported unchanged, changes nothing; edited, it updates what was edited.
A few columns are written for readers only (population, address, status,
completeness): the import ignores them.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.richtext import to_text
from territories.models import normalize_name

from .content import RICH_TEXT_FIELDS
from .models import Experience, Organisation, Theme

# Words the template documents; the export writes them whatever the interface language.
PROJECT_STATUS_WORDS = {"planned": "en projet", "ongoing": "en cours", "completed": "terminé", "abandoned": "abandonné"}
VISIBILITY_WORDS = {"public": "publique", "members": "membres", "confidential": "confidentielle"}
LIST_SEPARATOR = " ; "
# Characters that split a list cell (themes, tags, other territories) when read back.
SPLITTERS = (";", "|", "\n")


@dataclass(frozen=True)
class ExportContext:
    """What an export needs once for all its rows: names that are not unique, the portal's address."""

    ambiguous_themes: frozenset[str]
    ambiguous_organisations: frozenset[str]
    base_url: str

    @classmethod
    def build(cls) -> ExportContext:
        themes = Counter(normalize_name(n) for n in Theme.objects.values_list("name", flat=True))
        organisations = Counter(n.lower() for n in Organisation.objects.values_list("name", flat=True))
        return cls(
            ambiguous_themes=frozenset(k for k, n in themes.items() if n > 1),
            ambiguous_organisations=frozenset(k for k, n in organisations.items() if n > 1),
            base_url=(getattr(settings, "PORTAL_BASE_URL", "") or "").rstrip("/"),
        )

    def theme(self, theme: Theme) -> str:
        if normalize_name(theme.name) in self.ambiguous_themes or any(c in theme.name for c in SPLITTERS):
            return theme.slug
        return theme.name

    def organisation(self, organisation: Organisation | None) -> str:
        if organisation is None:
            return ""
        return organisation.slug if organisation.name.lower() in self.ambiguous_organisations else organisation.name


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    help: Any = ""  # lazy: documented in the reader's language
    example: str = ""
    required: bool = False
    field: str | None = None  # the fiche's field this column maps one to one
    # How the export writes it; by default the field's value (a long text in its plain-text form).
    export: Callable[[Experience, ExportContext], Any] | None = None
    importable: bool = True  # False: written for readers, ignored on import
    consultant_only: bool = False
    width: int = 18

    def __post_init__(self):
        if self.export is None and self.field is not None:
            writer = _rich if self.field in RICH_TEXT_FIELDS else _field
            object.__setattr__(self, "export", writer(self.field))


def _field(name: str) -> Callable[[Experience, ExportContext], Any]:
    return lambda e, _ctx: getattr(e, name)


def _rich(name: str) -> Callable[[Experience, ExportContext], str]:
    return lambda e, _ctx: to_text(getattr(e, name))


def _other_territories(e: Experience, _ctx: ExportContext) -> str:
    country = e.lead_territory.country
    items = sorted(e.territories.all(), key=lambda t: (t.country, t.kind, t.code))
    return LIST_SEPARATOR.join(
        f"{t.kind}:{t.code}" if t.country == country else f"{t.country}:{t.kind}:{t.code}" for t in items
    )


def _first_source(e: Experience) -> tuple[str, str]:
    sources = list(e.sources.all())
    return (sources[0].title, sources[0].url) if sources else ("", "")


def _address(e: Experience, ctx: ExportContext) -> str:
    return ctx.base_url + e.get_absolute_url()


COLUMNS: tuple[Column, ...] = (
    Column(
        "reference",
        _("Référence"),
        _(
            "Identifiant stable de la fiche dans vos fichiers. Réimporter la même référence met la fiche à jour au lieu "
            "d'en créer une autre. Vide sur une ligne exportée : la colonne url désigne la fiche."
        ),
        "CCPAYS-2024-001",
        required=True,
        field="external_ref",
        export=lambda e, _ctx: e.external_ref or "",
        width=16,
    ),
    Column(
        "titre",
        _("Titre"),
        _("Titre de la fiche (255 caractères au plus)."),
        "Un tiers-lieu dans l'ancienne gare",
        required=True,
        field="title",
        width=50,
    ),
    Column(
        "resume",
        _("Résumé"),
        _("Deux ou trois phrases : qui a fait quoi, pour quel résultat."),
        "La commune a transformé sa gare en tiers-lieu…",
        required=True,
        field="summary",
        width=60,
    ),
    Column(
        "territoire_code",
        _("Code du territoire"),
        _(
            "Code officiel du territoire porteur : code INSEE de la commune (35238), SIREN de l'EPCI (243500139), code "
            "du département (35) ou de la région (53), code NIS en Belgique."
        ),
        "35238",
        export=lambda e, _ctx: e.lead_territory.code,
        width=12,
    ),
    Column(
        "territoire_type",
        _("Type de territoire"),
        _(
            "commune, epci, departement, region, province, pays ou autre. Utile quand un code désigne deux territoires "
            "(84 : région Auvergne-Rhône-Alpes ou Vaucluse)."
        ),
        "commune",
        export=lambda e, _ctx: e.lead_territory.kind,
        width=12,
    ),
    Column(
        "territoire_pays",
        _("Pays"),
        _(
            "Code pays à deux lettres : FR, BE… Vide : la France pour un code (ou écrivez BE-25122 dans territoire_code), "
            "tout pays pour un nom (Ramillies existe en France et en Belgique : les deux sont proposés)."
        ),
        "FR",
        export=lambda e, _ctx: e.lead_territory.country,
        width=6,
    ),
    Column(
        "territoire_nom",
        _("Territoire"),
        _(
            "Nom du territoire porteur, si vous n'avez pas son code. En cas d'homonymes, l'import vous propose les "
            "candidats."
        ),
        "Rennes",
        export=lambda e, _ctx: e.lead_territory.name,
        width=24,
    ),
    Column(
        "population",
        _("Population"),
        export=lambda e, _ctx: e.lead_territory.population,
        importable=False,
        width=12,
    ),
    Column(
        "autres_territoires",
        _("Autres territoires"),
        _(
            "Autres territoires concernés : codes séparés par « ; », précédés du type si besoin (departement:35 ; "
            "35047), et du pays s'il diffère de celui du territoire porteur (BE:commune:21004)."
        ),
        "departement:35",
        export=_other_territories,
        width=24,
    ),
    Column(
        "themes",
        _("Thèmes"),
        _("Thèmes du thésaurus séparés par « ; » : nom, synonyme ou identifiant."),
        "Tiers-lieux ; Concertation",
        export=lambda e, ctx: LIST_SEPARATOR.join(ctx.theme(t) for t in e.themes.all()),
        width=30,
    ),
    Column(
        "mots_cles",
        _("Mots-clés"),
        _("Mots-clés libres séparés par « ; ». Ceux qui n'existent pas encore sont créés."),
        "gare ; ruralité",
        export=lambda e, _ctx: LIST_SEPARATOR.join(t.name for t in e.tags.all()),
        width=30,
    ),
    Column(
        "contexte",
        _("Contexte"),
        _(
            "Texte libre. Une ligne vide sépare deux paragraphes ; une ligne commençant par « - » fait une puce, par "
            "« 1. » un numéro ; **gras**, *italique*, [texte du lien] <https://…>."
        ),
        field="context",
        width=60,
    ),
    Column(
        "actions",
        _("Actions"),
        _("Les actions menées (même format que le contexte)."),
        field="actions",
        width=60,
    ),
    Column(
        "resultats",
        _("Résultats"),
        _("Ce que l'expérience a produit, chiffres à l'appui si possible (même format)."),
        field="results",
        width=60,
    ),
    Column(
        "points_de_vigilance",
        _("Points de vigilance"),
        _("Ce qu'il faut savoir avant de s'en inspirer (même format)."),
        field="vigilance_points",
        width=60,
    ),
    Column(
        "debut",
        _("Début"),
        _("Date de début : AAAA-MM-JJ, JJ/MM/AAAA ou seulement l'année (AAAA)."),
        "2023-03-01",
        field="period_start",
        width=12,
    ),
    Column(
        "fin",
        _("Fin"),
        _("Date de fin, même format ; postérieure au début."),
        field="period_end",
        width=12,
    ),
    Column(
        "etat_projet",
        _("État du projet"),
        _("en projet, en cours, terminé ou abandonné."),
        "en cours",
        field="project_status",
        export=lambda e, _ctx: PROJECT_STATUS_WORDS.get(e.project_status, e.project_status),
        width=14,
    ),
    Column(
        "budget",
        _("Budget"),
        _("Montant total, en chiffres (620000 ou 620 000,50)."),
        "620000",
        field="budget_amount",
        width=14,
    ),
    Column(
        "devise",
        _("Devise"),
        _("Code à trois lettres, EUR par défaut."),
        "EUR",
        field="currency",
        width=8,
    ),
    Column(
        "langue",
        _("Langue"),
        _("fr ou en (fr par défaut)."),
        "fr",
        field="language",
        width=8,
    ),
    Column(
        "visibilite",
        _("Visibilité"),
        _("publique, membres ou confidentielle (publique par défaut)."),
        "publique",
        field="visibility",
        export=lambda e, _ctx: VISIBILITY_WORDS.get(e.visibility, e.visibility),
        consultant_only=True,
        width=14,
    ),
    Column(
        "client",
        _("Client"),
        _("Nom exact de l'organisation cliente (ou son identifiant) ; obligatoire si la fiche est confidentielle."),
        field="client_organisation",
        export=lambda e, ctx: ctx.organisation(e.client_organisation),
        consultant_only=True,
        width=24,
    ),
    Column(
        "titre_en",
        _("Titre (anglais)"),
        _("Titre en anglais, facultatif."),
        field="title_en",
    ),
    Column(
        "resume_en",
        _("Résumé (anglais)"),
        _("Résumé en anglais, facultatif."),
        field="summary_en",
        width=40,
    ),
    Column(
        "source_titre",
        _("Source (titre)"),
        _(
            "Titre d'un document ou d'une page source ; ajouté aux sources de la fiche s'il n'y est pas. L'export donne "
            "la première source de la fiche."
        ),
        export=lambda e, _ctx: _first_source(e)[0],
        width=30,
    ),
    Column(
        "source_url",
        _("Source (adresse)"),
        _("Adresse web de cette source (https://…)."),
        "https://example.org/article",
        export=lambda e, _ctx: _first_source(e)[1],
        width=30,
    ),
    Column(
        "url",
        _("Adresse de la fiche"),
        _("Adresse de la fiche dans Périscope (écrite par l'export) : désigne la fiche quand la référence est vide."),
        export=_address,
        width=40,
    ),
    Column(
        "statut",
        _("Statut éditorial"),
        export=lambda e, _ctx: e.get_status_display(),
        importable=False,
        consultant_only=True,
        width=14,
    ),
    Column(
        "completude",
        _("Complétude (%)"),
        export=lambda e, _ctx: e.completeness,
        importable=False,
        consultant_only=True,
        width=12,
    ),
)
IMPORT_COLUMNS = tuple(c for c in COLUMNS if c.importable)
READ_ONLY_KEYS = frozenset(c.key for c in COLUMNS if not c.importable)
COLUMN_KEYS = frozenset(c.key for c in IMPORT_COLUMNS)
FIELD_OF = {c.key: c.field for c in COLUMNS if c.field}
LABELS = {c.key: c.label for c in COLUMNS}


_CHOICE_WORDS = {
    "project_status": (Experience.ProjectStatus.choices, PROJECT_STATUS_WORDS, {"termine": "completed"}),
    "visibility": (Experience.Visibility.choices, VISIBILITY_WORDS, {"confidentiel": "confidential"}),
}


@functools.cache
def choice_words(name: str) -> dict[str, str]:
    """Every way a person writes a choice → its code: the code, the template's word, both languages' labels."""
    choices, words, extra = _CHOICE_WORDS[name]
    mapping: dict[str, str] = dict(extra)
    for code, word in words.items():
        mapping[normalize_name(code)] = code
        mapping[normalize_name(word)] = code
    for language in ("fr", "en"):
        with translation.override(language):
            for code, label in choices:
                mapping.setdefault(normalize_name(str(label)), code)
    return mapping

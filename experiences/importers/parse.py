"""Reading one cell: text, dates, amounts, choices, long texts and lists, with errors a person can act on."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from core.richtext import clean_plain, from_text
from territories.models import normalize_name

from ..columns import FIELD_OF, choice_words
from ..content import RICH_TEXT_FIELDS
from ..models import Experience
from .read import MAX_CELL_CHARS

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
LANGUAGES = {"fr": "fr", "francais": "fr", "en": "en", "anglais": "en", "english": "en"}


class CellError(ValueError):
    pass


def text(value: Any) -> str:
    """A cell as text: numbers without a useless ".0", dates in ISO, newlines normalised, trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    result = clean_plain(str(value))
    if len(result) > MAX_CELL_CHARS:
        raise CellError(
            _("texte trop long (%(n)s caractères, limite %(max)s)") % {"n": len(result), "max": MAX_CELL_CHARS}
        )
    return result


def parse_date(value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and 1000 <= value <= 9999 and float(value).is_integer():
        return datetime.date(int(value), 1, 1)
    written = text(value)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y"):
        try:
            return datetime.datetime.strptime(written, fmt).date()
        except ValueError:
            continue
    raise CellError(_("date illisible « %(value)s » : écrivez AAAA-MM-JJ, JJ/MM/AAAA ou AAAA") % {"value": written})


def parse_amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        amount = Decimal(str(value))
    else:
        written = text(value)
        cleaned = written.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "").replace("EUR", "")
        if "," in cleaned and "." not in cleaned:
            cleaned = cleaned.replace(",", ".")
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            raise CellError(
                _("montant illisible « %(value)s » : écrivez un nombre, par exemple 620000") % {"value": written}
            ) from None
    if not amount.is_finite() or amount < 0:
        raise CellError(_("le montant doit être un nombre positif"))
    if amount >= Decimal("1e12"):
        raise CellError(_("montant trop grand"))
    return amount.quantize(Decimal("0.01"))


def _project_status(value: Any) -> str:
    written = text(value)
    code = choice_words("project_status").get(normalize_name(written)) if written else Experience.ProjectStatus.ONGOING
    if code is None:
        raise CellError(_("état inconnu « %(v)s » : en projet, en cours, terminé ou abandonné") % {"v": written})
    return code


def _visibility(value: Any) -> str:
    written = text(value)
    code = choice_words("visibility").get(normalize_name(written)) if written else Experience.Visibility.PUBLIC
    if code is None:
        raise CellError(_("visibilité inconnue « %(v)s » : publique, membres ou confidentielle") % {"v": written})
    return code


def _language(value: Any) -> str:
    written = text(value)
    code = LANGUAGES.get(normalize_name(written)) if written else "fr"
    if code is None:
        raise CellError(_("langue inconnue « %(v)s » : fr ou en") % {"v": written})
    return code


def _currency(value: Any) -> str:
    code = (text(value) or "EUR").upper()
    if len(code) != 3 or not code.isalpha():
        raise CellError(_("devise « %(v)s » : écrivez un code à trois lettres (EUR)") % {"v": code})
    return code


def _rich(value: Any) -> str:
    """A long text in the plain-text form (what exports write, or what a person typed) → canonical HTML."""
    if value is None:
        return ""
    written = str(value)
    if len(written) > MAX_CELL_CHARS:
        raise CellError(
            _("texte trop long (%(n)s caractères, limite %(max)s)") % {"n": len(written), "max": MAX_CELL_CHARS}
        )
    return from_text(written)


# Column → how its cell becomes the value of the fiche's field (plain text by default).
PARSERS: dict[str, Callable[[Any], Any]] = {
    "debut": parse_date,
    "fin": parse_date,
    "budget": parse_amount,
    "etat_projet": _project_status,
    "visibilite": _visibility,
    "langue": _language,
    "devise": _currency,
    **{column: _rich for column, name in FIELD_OF.items() if name in RICH_TEXT_FIELDS},
}


def parse_field(column: str, value: Any) -> Any:
    return PARSERS.get(column, text)(value)


def split_list(value: Any) -> list[str]:
    """A list cell ("a ; b ; c", also | or one per line) → its trimmed items."""
    parts = text(value).replace("|", ";").replace("\n", ";").split(";")
    return [" ".join(p.split()) for p in parts if p.strip()]

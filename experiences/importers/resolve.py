"""Resolving what cells name (territories, themes, organisations) with a few queries for the whole file."""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from territories.models import Territory, normalize_name
from territories.selectors import parse_code, territory_code_label

from ..models import Organisation, Theme
from .parse import KINDS, CellError, split_list, text


def other_territory_parts(item: str, default_country: str | None) -> tuple[str | None, str | None, str]:
    """ "35047", "departement:35" or "BE:commune:21004" → (country, kind, code); kind None when absent."""
    parts = [p.strip() for p in item.split(":")]
    code = parts[-1]
    kind_text = normalize_name(parts[-2]).replace(" ", "") if len(parts) >= 2 else ""
    country = parts[-3].upper() if len(parts) >= 3 and parts[-3] else default_country
    return country, KINDS.get(kind_text) if kind_text else None, code


class Territories:
    """Looks up territories by code or name with two queries for the whole file."""

    def __init__(self, rows: list[dict[str, Any]]):
        codes: set[str] = set()
        names: set[str] = set()
        for values in rows:
            if values.get("territoire_code"):
                codes.add(self._code(text(values["territoire_code"]))[0])
            elif values.get("territoire_nom"):
                names.add(normalize_name(text(values["territoire_nom"])))
            for item in split_list(values.get("autres_territoires")):
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


class Themes:
    """Themes by name, English name, synonym or identifier; a name two themes share is ambiguous."""

    def __init__(self):
        self.index: dict[str, set[int]] = defaultdict(set)
        self.names: dict[str, str] = {}
        themes = list(Theme.objects.all())
        exact: dict[str, set[int]] = defaultdict(set)
        for theme in themes:
            for key in (theme.name_en, *theme.synonyms):
                if key:
                    self.index[normalize_name(key)].add(theme.pk)
            exact[normalize_name(theme.name)].add(theme.pk)
            self.names[normalize_name(theme.name)] = theme.name
        # An exact name wins over a synonym that another theme shares; an identifier over everything.
        self.index.update(exact)
        for theme in themes:
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
                _("« %(label)s » correspond à plusieurs thèmes ; écrivez l'identifiant du thème") % {"label": label}
            )
        return next(iter(found))


def organisations(names: set[str]) -> dict[str, list[Organisation]]:
    """Organisations by lower-case name, and by identifier (slug)."""
    found: dict[str, list[Organisation]] = defaultdict(list)
    if names:
        lowered = [n.lower() for n in names]
        for org in Organisation.objects.annotate(lname=Lower("name")).filter(lname__in=lowered):
            found[org.lname].append(org)
        for org in Organisation.objects.filter(slug__in=list(names)):
            found.setdefault(org.slug.lower(), []).append(org)
    return found


@dataclass
class Context:
    """What the rows of one file refer to, loaded once."""

    territories: Territories
    themes: Themes
    organisations: dict[str, list[Organisation]]

    @classmethod
    def load(cls, rows: list[dict[str, Any]]) -> Context:
        client_names = {text(v.get("client")) for v in rows if v.get("client")}
        return cls(territories=Territories(rows), themes=Themes(), organisations=organisations(client_names))

    def client_or_error(self, name: str) -> int:
        matches = self.organisations.get(name.lower(), [])
        if len(matches) == 1:
            return matches[0].pk
        if matches:
            raise CellError(
                _("plusieurs organisations s'appellent « %(name)s » ; écrivez son identifiant (slug)") % {"name": name}
            )
        raise CellError(
            _("organisation cliente inconnue « %(name)s » : créez-la d'abord ou corrigez le nom") % {"name": name}
        )

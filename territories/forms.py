"""Territory fields: a combobox over every territory, resolving typed names and codes without JavaScript."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.combobox import ComboboxField, ComboboxMultipleField, unique

from .models import Territory, normalize_name

_LABEL_WITH_DEPARTMENT = re.compile(r"^(?P<name>.*?)\s*\((?P<dep>[0-9AB]{2,3})\)$")


def _choices_text(candidates) -> str:
    return ", ".join(f"{t.label} — {t.get_kind_display()} {t.code}" for t in candidates[:6])


def resolve_territory(text: str) -> Territory:
    """A territory from what a person typed: "Rennes", "Saint-Denis (974)", an official code or an identifier."""
    text = " ".join(text.split())
    queryset = Territory.objects.current()
    by_slug = Territory.objects.filter(slug=text).first() if text and " " not in text else None
    if by_slug is not None:
        return by_slug
    match = _LABEL_WITH_DEPARTMENT.match(text)
    if match:
        candidates = list(
            queryset.filter(search_name=normalize_name(match["name"]), code__startswith=match["dep"], kind="commune")
        )
    else:
        candidates = list(queryset.filter(search_name=normalize_name(text)).order_by("-population")[:10])
        if not candidates and text.replace(" ", "").isalnum():
            candidates = list(queryset.filter(code=text.replace(" ", "")))
    if not candidates:
        raise ValidationError(
            _("Aucun territoire ne correspond à « %(text)s » : choisissez dans la liste proposée en tapant."),
            params={"text": text},
        )
    if len(candidates) > 1:
        raise ValidationError(
            _("Plusieurs territoires s'appellent « %(text)s » (%(candidates)s) : choisissez le bon dans la liste."),
            params={"text": text, "candidates": _choices_text(candidates)},
        )
    return candidates[0]


class TerritoryField(ComboboxField):
    """One territory: chosen in the list, or typed (name, "Name (dep)", code) and resolved here."""

    url_name = "territories:autocomplete"
    autoselect = True

    def describe(self, value) -> tuple[str, str]:
        if isinstance(value, int):  # a model form's initial value: the primary key
            value = Territory.objects.filter(pk=value).first()
        elif isinstance(value, str) and value:  # an identifier given as initial value
            value = Territory.objects.filter(slug=value).first() or value
        if isinstance(value, Territory):
            return (value.slug, value.label)
        return super().describe(value)

    def to_python(self, value):
        if value in (None, "") or isinstance(value, Territory):
            return value or None
        slug, label = value if isinstance(value, tuple) else (str(value), "")
        if slug:
            territory = Territory.objects.filter(slug=slug).first()
            if territory is not None:
                return territory
        return resolve_territory(label or slug) if (label or slug) else None


class TerritoriesField(ComboboxMultipleField):
    """Several territories: chips kept, plus names or codes typed (one per line or « ; »)."""

    url_name = "territories:autocomplete"
    autoselect = True

    def describe_many(self, value) -> list[tuple[str, str]]:
        if isinstance(value, dict):
            labels = {t.slug: t.label for t in Territory.objects.filter(slug__in=value["values"])}
            return [(v, labels.get(v, v)) for v in value["values"]]
        return [(t.slug, t.label) for t in value or []]

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, list | tuple):
            return list(value)
        found = {t.slug: t for t in Territory.objects.filter(slug__in=value["values"])}
        result = [found[s] for s in value["values"] if s in found]
        errors = []
        for text in self.typed(value):
            try:
                result.append(resolve_territory(text))
            except ValidationError as exc:
                errors.append(exc)
        if errors:
            raise ValidationError(errors)
        return unique(result)

"""Territory fields: a combobox over every territory, resolving typed names and codes without JavaScript."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.combobox import ComboboxField, ComboboxMultipleField, unique

from .models import Territory
from .selectors import territory_choices_text, territory_display, territory_lookup


def resolve_territory(text: str) -> Territory:
    """A territory from what a person typed: "Rennes", "Clermont (Ariège)", "Saint-Denis (974)", "BE-25122"…

    The rules are those of territories.selectors.territory_lookup, shared with the
    spreadsheet import and the autocomplete.
    """
    text = " ".join(text.split())
    candidates = territory_lookup(text)
    if not candidates:
        raise ValidationError(
            _("Aucun territoire ne correspond à « %(text)s » : choisissez dans la liste proposée en tapant."),
            params={"text": text},
        )
    if len(candidates) > 1:
        raise ValidationError(
            _("« %(text)s » peut désigner plusieurs territoires (%(candidates)s) : choisissez le bon dans la liste."),
            params={"text": text, "candidates": territory_choices_text(candidates)},
        )
    return candidates[0]


class TerritoryField(ComboboxField):
    """One territory: chosen in the list, or typed (name, "Name (dep)", code) and resolved here."""

    url_name = "territories:autocomplete"
    autoselect = True

    def describe(self, value) -> tuple[str, str]:
        if isinstance(value, int):  # a model form's initial value: the primary key
            value = Territory.objects.select_related("parent").filter(pk=value).first()
        elif isinstance(value, str) and value:  # an identifier given as initial value
            value = Territory.objects.select_related("parent").filter(slug=value).first() or value
        if isinstance(value, Territory):
            return (value.slug, territory_display(value))
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
            chosen = Territory.objects.select_related("parent").filter(slug__in=value["values"])
            labels = {t.slug: territory_display(t) for t in chosen}
            return [(v, labels.get(v, v)) for v in value["values"]]
        return [(t.slug, territory_display(t)) for t in value or []]

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

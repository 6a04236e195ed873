"""Comboboxes on the server: the one markup `static/js/combobox.js` upgrades, and the fields behind it.

Every autocomplete of the portal (territories, organisations, funders, partnership
parties, tags, linked experiences) is one of two widgets:

- `ComboboxWidget`, one value: a hidden identifier (`<name>`) and the text shown or
  typed (`<name>_label`). Without JavaScript the person types a name and the server
  resolves it (the field's `to_python`), with an error listing the candidates when
  it is ambiguous.
- `ComboboxChipsWidget`, several values: the chosen ones as checked checkboxes named
  `<name>` (untick to remove) and a text box (`<name>_add`) for more, one per line or
  separated by « ; ».

A field subclass says how a value is shown (`describe`) and resolved (`to_python`);
the widget renders itself, so `{{ form.field }}` is enough in any template.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


class ComboboxWidget(forms.Widget):
    """One value: hidden identifier + visible text; the field describes and resolves it."""

    def __init__(self, attrs=None, *, url_name: str = "", placeholder: str = "", autoselect: bool = False):
        super().__init__(attrs)
        self.url_name, self.placeholder, self.autoselect = url_name, placeholder, autoselect
        self.field = None  # set by the field: how to describe a value

    def value_from_datadict(self, data, files, name):
        return (data.get(name, "").strip(), data.get(f"{name}_label", "").strip())

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_label" not in data

    def id_for_label(self, id_):
        return id_

    def _input_attrs(self, attrs: dict[str, Any], id_: str) -> dict[str, Any]:
        css = " ".join(c for c in ("form-control", attrs.pop("class", "")) if c).split()
        return {
            **attrs,
            "id": id_,
            "class": " ".join(dict.fromkeys(css)),
            "autocomplete": "off",
            "spellcheck": "false",
            "role": "combobox",
            "aria-autocomplete": "list",
            "aria-expanded": "false",
            "aria-controls": f"{id_}_list",
            "data-combobox-input": True,
            **({"placeholder": self.placeholder} if self.placeholder else {}),
        }

    def _root(self, inner: SafeString, *, extra: dict[str, Any]) -> SafeString:
        attrs = {"class": "combobox", "data-combobox": True, "data-url": reverse(self.url_name), **extra}
        return format_html("<div{}>{}</div>", flatatt(attrs), inner)

    def render(self, name, value, attrs=None, renderer=None):
        value, label = self.field.describe(value) if self.field else (value or ("", ""))
        attrs = self.build_attrs(self.attrs, attrs)
        id_ = attrs.pop("id", None) or f"id_{name}"
        text = self._input_attrs(attrs, id_) | {"type": "text", "name": f"{name}_label", "value": label}
        inner = format_html(
            '<input type="hidden" name="{}" value="{}" data-combobox-value><input{}>'
            '<ul id="{}_list" class="combobox-list" role="listbox" hidden></ul>',
            name,
            value,
            flatatt(text),
            id_,
        )
        return self._root(inner, extra={"data-autoselect": True} if self.autoselect else {})


class ComboboxChipsWidget(ComboboxWidget):
    """Several values: chips (checked checkboxes) and a box to add more."""

    def __init__(self, attrs=None, *, allow_create: bool = False, **kwargs):
        super().__init__(attrs, **kwargs)
        self.allow_create = allow_create

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])
        return {"values": [v for v in values if v and v.strip()], "add": data.get(f"{name}_add", "").strip()}

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_add" not in data

    def render(self, name, value, attrs=None, renderer=None):
        chips = self.field.describe_many(value) if self.field else []
        typed = value.get("add", "") if isinstance(value, dict) else ""
        attrs = self.build_attrs(self.attrs, attrs)
        id_ = attrs.pop("id", None) or f"id_{name}"
        invalid = "is-invalid" in attrs.get("class", "")
        text = self._input_attrs(attrs, id_) | {"type": "text", "name": f"{name}_add", "value": typed}
        text["class"] = "chip-input"
        chip_html = format_html_join(
            "",
            '<span class="chip" data-chip><input class="form-check-input chip-check" type="checkbox" name="{}" '
            'value="{}" id="{}_{}" checked><label for="{}_{}">{}</label></span>',
            ((name, v, id_, n, id_, n, label) for n, (v, label) in enumerate(chips, start=1)),
        )
        inner = format_html(
            '<div class="chip-box form-control{}"><span class="d-contents" data-combobox-chips>{}</span>'
            '<input{}></div><ul id="{}_list" class="combobox-list" role="listbox" hidden></ul>',
            " is-invalid" if invalid else "",
            chip_html,
            flatatt(text),
            id_,
        )
        extra: dict[str, Any] = {"data-multiple": True, "data-name": name}
        if self.allow_create:
            extra["data-allow-create"] = True
        if self.autoselect:
            extra["data-autoselect"] = True
        return self._root(inner, extra=extra)


class ComboboxField(forms.Field):
    """A field shown as a one-value combobox. Subclasses define `describe` and `to_python`."""

    widget = ComboboxWidget
    url_name = ""
    autoselect = False  # highlight the first suggestion (when what is typed cannot be a new value)

    def __init__(self, *, url_name: str = "", placeholder: str = "", **kwargs):
        super().__init__(**kwargs)
        self.widget.url_name = url_name or self.url_name
        self.widget.placeholder = placeholder
        self.widget.autoselect = self.autoselect
        self.widget.field = self

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.widget.field = result  # each form's copy describes values with its own settings
        return result

    def describe(self, value) -> tuple[str, str]:
        """(identifier, text shown) of a value: posted (a pair), initial (an object) or empty."""
        if isinstance(value, tuple):
            return value
        if value in (None, ""):
            return ("", "")
        return (str(value), str(value))


class ComboboxMultipleField(ComboboxField):
    """A field shown as chips. Subclasses define `describe_many` and `to_python`."""

    widget = ComboboxChipsWidget

    def __init__(self, *, allow_create: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.widget.allow_create = allow_create

    def describe_many(self, value) -> list[tuple[str, str]]:
        """(identifier, text shown) of each chip: posted values, or initial objects."""
        if isinstance(value, dict):
            return [(v, v) for v in value["values"]]
        return [(str(v), str(v)) for v in value or []]

    @staticmethod
    def typed(value: dict) -> list[str]:
        """What was typed in the box: several items, one per line or separated by « ; »."""
        return [part.strip() for part in value.get("add", "").replace("\n", ";").split(";") if part.strip()]


def unique(items: Iterable[Any]) -> list[Any]:
    """Objects in order, each once (by primary key)."""
    return list({item.pk: item for item in items}.values())

"""The rich-text field: declared once on the model, it brings its form field, widget and API field.

`RichTextField` marks a long text stored in the one rich-text format
(`core.richtext`). `rich_text_fields(model)` lists them, so the list of long
texts lives on the models and nowhere else. Its form field turns whatever comes
in into canonical HTML, and its widget offers two ways to write:

- with JavaScript, `static/js/richtext.js` turns the textarea into a small editor
  (bold, italic, lists, links) and marks the post as HTML (`<name>__format=html`);
- without it, the textarea shows and takes the readable plain-text form
  (`<name>__format=text`): blank lines, "- " bullets, "1." numbers, `**bold**`.
"""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .richtext import from_html, from_text, sanitize, to_text

FORMAT_SUFFIX = "__format"
TEXT_FORM_HINT = _(
    "Une ligne vide sépare deux paragraphes ; « - » en début de ligne fait une puce, « 1. » un numéro ; "
    "**gras**, *italique*, [texte du lien] <https://…>."
)


class RichTextField(models.TextField):
    """A long text in canonical rich-text HTML (see core.richtext)."""

    description = _("Texte mis en forme (HTML nettoyé)")

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": RichTextFormField, "widget": RichTextarea, **kwargs})


def rich_text_fields(model) -> tuple[str, ...]:
    """Names of a model's rich-text fields, in declaration order."""
    return tuple(f.name for f in model._meta.get_fields() if isinstance(f, RichTextField))


def clean_rich_text(instance) -> None:
    """Put the instance's rich-text fields in canonical form, in place: services call it before
    `full_clean()`, so whatever a caller passes (editor HTML, plain text) is stored one way."""
    for name in rich_text_fields(type(instance)):
        setattr(instance, name, sanitize(getattr(instance, name) or ""))


class RichTextarea(forms.Textarea):
    """A textarea holding the readable text form; the editor script upgrades it (see module docstring)."""

    def __init__(self, attrs=None):
        super().__init__({"rows": 6, **(attrs or {}), "data-richtext": ""})

    def value_from_datadict(self, data, files, name):
        raw = data.get(name)
        if raw is None:
            return None
        match data.get(name + FORMAT_SUFFIX):
            case "html":
                return from_html(raw)
            case "text":
                return from_text(raw)
        return sanitize(raw)  # an API-like post: HTML when it looks like HTML, else the text form

    def format_value(self, value):
        return to_text(value) if value else ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-html"] = sanitize(value) if value else ""
        return context

    def render(self, name, value, attrs=None, renderer=None):
        textarea = super().render(name, value, attrs, renderer)
        marker = format_html('<input type="hidden" name="{}" value="text" data-richtext-format>', name + FORMAT_SUFFIX)
        hint = format_html('<noscript><div class="form-text">{}</div></noscript>', TEXT_FORM_HINT)
        return mark_safe(textarea + marker + hint)


class RichTextFormField(forms.CharField):
    widget = RichTextarea

    def to_python(self, value):
        return sanitize(super().to_python(value))


def canonicalise_stored(model, fields: tuple[str, ...], *, batch: int = 1000) -> int:
    """Rewrite the rows of `model` whose `fields` are not canonical rich text yet; returns rows changed.

    For data migrations (pass `apps.get_model(...)`): plain text written before the
    format existed becomes HTML as `from_text` reads it, editor HTML is normalised,
    and canonical rows are left alone, so running it twice changes nothing.
    """
    changed_rows: list = []
    total = 0
    queryset = model._default_manager.only("pk", *fields).order_by("pk")
    for row in queryset.iterator(chunk_size=batch):
        changed = False
        for name in fields:
            value = getattr(row, name) or ""
            canonical = sanitize(value)
            if canonical != value:
                setattr(row, name, canonical)
                changed = True
        if changed:
            changed_rows.append(row)
        if len(changed_rows) >= batch:
            model._default_manager.bulk_update(changed_rows, fields)
            total += len(changed_rows)
            changed_rows = []
    if changed_rows:
        model._default_manager.bulk_update(changed_rows, fields)
        total += len(changed_rows)
    return total

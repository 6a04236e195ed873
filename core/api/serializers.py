"""Serializer helpers shared by the apps' APIs."""

from __future__ import annotations

import copy

from django.utils.text import format_lazy
from rest_framework import serializers

from core.fields import RichTextField
from core.richtext import FORMAT_HELP, sanitize


class RichTextSerializerField(serializers.CharField):
    """A long text in the one rich-text format: canonical HTML, the same for every such field."""

    def __init__(self, **kwargs):
        own = kwargs.get("help_text")
        kwargs["help_text"] = format_lazy("{} — {}", own, FORMAT_HELP) if own else FORMAT_HELP
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return sanitize(super().to_internal_value(data))

    def to_representation(self, value):
        # Rows are canonical once migrated; sanitising again costs microseconds and
        # protects against a row written by a path that bypassed the services.
        return sanitize(value) if value else ""


class CachedModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose fields are built once per class, then deep-copied.

    DRF rebuilds a ModelSerializer's fields from the model at every
    instantiation (field mapping, validators, lazy labels): for the territory
    autocomplete this was about a third of the request's Python time. The
    fields depend only on the class here (never on the context), so they are
    built once and each instance gets a deep copy, as DRF does with declared
    fields. A subclass whose fields depend on the request must not use this.

    Rich-text model fields come out as `RichTextSerializerField` (documented HTML).
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        RichTextField: RichTextSerializerField,
    }

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            cls._built_fields = built
        return copy.deepcopy(built)

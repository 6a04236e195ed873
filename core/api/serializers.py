"""Serializer helpers shared by the apps' APIs."""

from __future__ import annotations

import copy

from rest_framework import serializers


class CachedModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose fields are built once per class, then deep-copied.

    DRF rebuilds a ModelSerializer's fields from the model at every
    instantiation (field mapping, validators, lazy labels): for the territory
    autocomplete this was about a third of the request's Python time. The
    fields depend only on the class here (never on the context), so they are
    built once and each instance gets a deep copy, as DRF does with declared
    fields. A subclass whose fields depend on the request must not use this.
    """

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            cls._built_fields = built
        return copy.deepcopy(built)

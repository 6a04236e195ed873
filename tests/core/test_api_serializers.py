import pytest

from territories.api.serializers import TerritoryBriefSerializer, TerritorySerializer
from tests.factories import TerritoryFactory

pytestmark = pytest.mark.django_db


def test_model_serializer_fields_are_built_once_per_class_and_copied_per_instance():
    parent = TerritoryFactory(name="Rhône", kind="department", code="69")
    commune = TerritoryFactory(name="Chabanière", parent=parent, population=4323)
    first, second = TerritorySerializer(commune), TerritorySerializer(commune)
    assert first.data == second.data
    assert first.data["name"] == "Chabanière" and first.data["population"] == 4323
    assert first.data["display"] == "Chabanière (Rhône)"
    # Each instance has its own bound fields, built from the one cached set.
    assert first.fields["name"] is not second.fields["name"]
    assert first.fields["name"].parent is first and second.fields["name"].parent is second
    assert "_built_fields" in TerritorySerializer.__dict__
    # A subclass builds its own fields: the parent's cache does not leak into it, nor back.
    brief = TerritoryBriefSerializer(commune).data
    assert "display" not in brief and "display" in TerritorySerializer(commune).data
    assert set(TerritoryBriefSerializer.__dict__["_built_fields"]) < set(TerritorySerializer.__dict__["_built_fields"])

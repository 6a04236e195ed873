from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.serializers import CachedModelSerializer

from ..models import Territory
from ..selectors import territory_display


class TerritoryBriefSerializer(CachedModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = Territory
        fields = ["id", "slug", "kind", "subkind", "code", "country", "name", "label", "population", "density_class"]


class TerritorySerializer(TerritoryBriefSerializer):
    display = serializers.SerializerMethodField(help_text=_("Nom suivi du territoire parent : « Chabanière (Rhône) »."))
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta(TerritoryBriefSerializer.Meta):
        fields = [
            *TerritoryBriefSerializer.Meta.fields,
            "display",
            "kind_label",
            "parent",
            "epci",
            "area_km2",
            "density",
            "latitude",
            "longitude",
        ]

    def get_display(self, obj) -> str:
        return territory_display(obj)

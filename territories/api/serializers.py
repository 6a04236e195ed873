from rest_framework import serializers

from ..models import Territory


class TerritoryBriefSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = Territory
        fields = ["id", "slug", "kind", "subkind", "code", "country", "name", "label", "population", "density_class"]


class TerritorySerializer(TerritoryBriefSerializer):
    class Meta(TerritoryBriefSerializer.Meta):
        fields = [*TerritoryBriefSerializer.Meta.fields, "parent", "epci", "area_km2", "density", "latitude", "longitude"]

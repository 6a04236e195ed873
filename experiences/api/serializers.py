from rest_framework import serializers

from territories.api.serializers import TerritoryBriefSerializer

from ..models import Experience, Organisation, Tag, Theme


class ThemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Theme
        fields = ["id", "slug", "name", "name_en", "parent", "synonyms"]


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "slug", "name"]


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "slug", "name", "kind", "country", "website", "description"]


class ExperienceListSerializer(serializers.ModelSerializer):
    lead_territory = TerritoryBriefSerializer(read_only=True)
    themes = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Experience
        fields = [
            "id",
            "slug",
            "url",
            "title",
            "title_en",
            "summary",
            "lead_territory",
            "themes",
            "tags",
            "period_start",
            "period_end",
            "project_status",
            "budget_amount",
            "currency",
            "status",
            "visibility",
            "published_at",
        ]

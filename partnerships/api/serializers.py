from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import CachedModelSerializer
from territories.api.serializers import TerritoryBriefSerializer

from ..models import Deliverable, Milestone, Partnership, PartnershipFunding, PartnershipParty


class PartySerializer(CachedModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = PartnershipParty
        fields = ["organisation", "organisation_name", "role"]


class FundingSerializer(CachedModelSerializer):
    funder = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    funder_name = serializers.CharField(source="funder.name", read_only=True)

    class Meta:
        model = PartnershipFunding
        fields = ["funder", "funder_name", "year", "amount", "currency", "received"]


class DeliverableSerializer(CachedModelSerializer):
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = Deliverable
        fields = ["id", "title", "due_date", "status", "delivered_on", "overdue"]


class MilestoneSerializer(CachedModelSerializer):
    class Meta:
        model = Milestone
        fields = ["date", "title"]


class FundingTotalSerializer(serializers.Serializer):
    currency = serializers.CharField()
    total = serializers.DecimalField(max_digits=16, decimal_places=2)
    received = serializers.DecimalField(max_digits=16, decimal_places=2)
    by_year = serializers.DictField(child=serializers.DecimalField(max_digits=16, decimal_places=2))


class LinkSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField()


class PartnershipListSerializer(CachedModelSerializer):
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    phase = serializers.ChoiceField(choices=Partnership.Phase.choices, read_only=True)
    parties = PartySerializer(many=True, read_only=True)
    territories = TerritoryBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Partnership
        fields = [
            "id",
            "slug",
            "url",
            "title",
            "kind",
            "phase",
            "visibility",
            "start_date",
            "end_date",
            "currency",
            "parties",
            "territories",
        ]


class PartnershipDetailSerializer(PartnershipListSerializer):
    """The detail; `studies` and `experiences` hold only what the caller may read."""

    funding_lines = FundingSerializer(many=True, read_only=True)
    funding_totals = serializers.SerializerMethodField()
    deliverables = DeliverableSerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)
    studies = serializers.SerializerMethodField()
    experiences = serializers.SerializerMethodField()

    class Meta(PartnershipListSerializer.Meta):
        fields = [
            *PartnershipListSerializer.Meta.fields,
            "description",
            "funding_lines",
            "funding_totals",
            "deliverables",
            "milestones",
            "studies",
            "experiences",
        ]

    @extend_schema_field(FundingTotalSerializer(many=True))
    def get_funding_totals(self, obj):
        totals = [
            {
                "currency": table.currency,
                "total": table.total,
                "received": table.received,
                "by_year": {str(y): t for y, t in zip(table.years, table.year_totals, strict=True)},
            }
            for table in self.context["funding"]
        ]
        return FundingTotalSerializer(totals, many=True).data

    @extend_schema_field(LinkSerializer(many=True))
    def get_studies(self, obj):
        return [{"slug": s.slug, "title": s.title, "url": s.get_absolute_url()} for s in self.context["studies"]]

    @extend_schema_field(LinkSerializer(many=True))
    def get_experiences(self, obj):
        return [{"slug": e.slug, "title": e.title, "url": e.get_absolute_url()} for e in self.context["experiences"]]

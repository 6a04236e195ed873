"""Read-only serializers of studies and report jobs (writes go through the HTML workspace and services)."""

from rest_framework import serializers

from core.api.serializers import CachedModelSerializer

from ..models import ReportJob, ReportVersion, Study, StudyExperience


class StudyItemSerializer(CachedModelSerializer):
    experience = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = StudyExperience
        fields = ["position", "experience", "analysis_note", "transferability", "client_vigilance"]


class ReportVersionSerializer(CachedModelSerializer):
    generated_by = serializers.SerializerMethodField()

    class Meta:
        model = ReportVersion
        fields = ["number", "pages", "size", "checksum", "generated_by", "generated_at"]

    def get_generated_by(self, version) -> str | None:
        return str(version.generated_by) if version.generated_by else None


class StudyListSerializer(CachedModelSerializer):
    client = serializers.StringRelatedField(source="client_organisation")

    class Meta:
        model = Study
        fields = ["slug", "title", "client", "status", "deadline", "created_at"]


class StudyDetailSerializer(StudyListSerializer):
    items = StudyItemSerializer(many=True, read_only=True)
    versions = ReportVersionSerializer(many=True, read_only=True)

    class Meta(StudyListSerializer.Meta):
        fields = [
            *StudyListSerializer.Meta.fields,
            "question",
            "scope",
            "method",
            "conclusions",
            "recommendations",
            "items",
            "versions",
        ]


class ReportJobSerializer(CachedModelSerializer):
    study = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    version = serializers.SerializerMethodField()

    class Meta:
        model = ReportJob
        fields = [
            "id",
            "study",
            "status",
            "progress",
            "total",
            "message",
            "error",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "version",
        ]

    def get_version(self, job) -> int | None:
        version = getattr(job, "version", None)
        return version.number if version else None

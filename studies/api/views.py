"""Read-only API of studies and report jobs; every queryset starts from `visible_to`."""

from django.db.models import Prefetch
from rest_framework import permissions, viewsets

from experiences.models import Experience

from ..models import ReportJob, ReportVersion, Study, StudyExperience
from .serializers import ReportJobSerializer, StudyDetailSerializer, StudyListSerializer


class StudyViewSet(viewsets.ReadOnlyModelViewSet):
    """Studies whose team the caller is on (staff: all)."""

    lookup_field = "slug"
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        qs = Study.objects.visible_to(self.request.user).select_related("client_organisation").order_by("-created_at")
        if self.action == "retrieve":
            qs = qs.prefetch_related(
                # Only the experiences the caller may read (one visibility rule).
                Prefetch(
                    "items",
                    queryset=StudyExperience.objects.filter(
                        experience__in=Experience.objects.visible_to(self.request.user).values("pk")
                    ).select_related("experience"),
                ),
                # Only the versions whose every fiche the caller may read.
                Prefetch(
                    "versions",
                    queryset=ReportVersion.objects.visible_to(self.request.user).select_related("generated_by"),
                ),
            )
        return qs

    def get_serializer_class(self):
        return StudyDetailSerializer if self.action == "retrieve" else StudyListSerializer


class ReportJobViewSet(viewsets.ReadOnlyModelViewSet):
    """Report generations (state, progress, error, resulting version) of the caller's studies."""

    serializer_class = ReportJobSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return (
            ReportJob.objects.visible_to(self.request.user).select_related("study", "version").order_by("-created_at")
        )

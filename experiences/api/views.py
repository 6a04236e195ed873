from rest_framework import viewsets

from ..filtersets import ExperienceFilterSet
from ..models import Experience, Organisation, Tag, Theme
from .serializers import ExperienceListSerializer, OrganisationSerializer, TagSerializer, ThemeSerializer


class ExperienceViewSet(viewsets.ReadOnlyModelViewSet):
    """Experiences the caller may read, filtered by the same FilterSet as the search page."""

    serializer_class = ExperienceListSerializer
    filterset_class = ExperienceFilterSet
    lookup_field = "slug"

    def get_queryset(self):
        return Experience.objects.visible_to(self.request.user).with_list_relations()


class ThemeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ThemeSerializer
    pagination_class = None

    def get_queryset(self):
        return Theme.objects.visible_to(self.request.user)


class TagViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TagSerializer

    def get_queryset(self):
        return Tag.objects.visible_to(self.request.user)


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OrganisationSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return Organisation.objects.visible_to(self.request.user)

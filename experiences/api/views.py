from django.core.cache import cache
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from territories.api.serializers import TerritoryBriefSerializer

from .. import search, selectors
from ..filtersets import ExperienceFilterSet
from ..models import Experience, Organisation, Tag, Theme
from .serializers import (
    ExperienceDetailSerializer,
    ExperienceListSerializer,
    ExperienceSearchSerializer,
    OrganisationSerializer,
    TagSerializer,
    ThemeSerializer,
    search_hit_data,
)

LANDING_PARAMS = {"page", "page_size"}


class ExperienceViewSet(viewsets.ReadOnlyModelViewSet):
    """Experiences the caller may read, searched with the same FilterSet and selector as the search page."""

    serializer_class = ExperienceListSerializer
    filterset_class = ExperienceFilterSet
    lookup_field = "slug"

    def get_queryset(self):
        return Experience.objects.visible_to(self.request.user).with_list_relations()

    def get_serializer_class(self):
        return ExperienceDetailSerializer if self.action == "retrieve" else ExperienceListSerializer

    @extend_schema(
        summary="Recherche à facettes",
        description=(
            "Recherche plein texte en français (racinisation, accents, traits d'union, mots vides), facettes "
            "disjonctives (plusieurs valeurs d'une facette : OU ; facettes différentes : ET ; les compteurs d'une "
            "facette appliquent tous les autres filtres), tri par pertinence, date ou comparabilité avec un "
            "territoire de référence (`ref`). Tous les compteurs ne comptent que les fiches visibles par l'appelant."
        ),
        parameters=[
            OpenApiParameter("page", OpenApiTypes.INT, description="Page (1…500)."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Résultats par page (1…100, 20 par défaut)."),
        ],
        responses=ExperienceSearchSerializer,
    )
    def list(self, request, *args, **kwargs):
        key = self._landing_key(request)
        if key is None:
            return Response(self._search_data(request))
        # The unfiltered first pages are the same for every viewer of a visibility
        # class until content changes (the key holds the search generation).
        data = cache.get(key)
        if data is None:
            data = self._search_data(request)
            cache.set(key, data, search.LANDING_CACHE_SECONDS)
        return Response(data)

    @staticmethod
    def _landing_key(request) -> str | None:
        if set(request.query_params) - LANDING_PARAMS or getattr(request.user, "reference_territory_id", None):
            return None  # filtered, or ranked by the viewer's own reference territory
        query = request.query_params.urlencode()
        base = request.build_absolute_uri(request.path)
        return f"{search.landing_cache_key(request.user)}:api:{get_language()}:{base}?{query}"

    def _search_data(self, request) -> dict:
        result = selectors.experience_search(viewer=request.user, params=request.query_params)
        if not result.valid:
            raise ValidationError(result.errors)
        reference = result.reference.territory if result.reference else None
        # Built by hand: running ~300 facet values through nested DRF serializers cost
        # more than the search itself. ExperienceSearchSerializer documents this shape.
        data = {
            "total": result.total,
            "page": result.page,
            "page_size": result.page_size,
            "num_pages": result.num_pages,
            "next": self._page_url(request, result, result.page + 1) if result.has_next else None,
            "previous": self._page_url(request, result, result.page - 1) if result.has_previous else None,
            "sort": result.sort,
            "suggestion": result.suggestion,
            "stop_words_only": result.stop_words_only,
            "reference": TerritoryBriefSerializer(reference).data if reference else None,
            "rescue": ({"comparable": result.rescue[0] or None, "count": result.rescue[1]} if result.rescue else None),
            "results": search_hit_data(result.experiences),
            # A FacetValue's __dict__ is exactly its API object (see selectors.FacetValue).
            "facets": {facet.name: [v.__dict__ for v in facet.values] for facet in result.facets},
        }
        return data

    @staticmethod
    def _page_url(request, result, number: int) -> str:
        return request.build_absolute_uri(request.path) + "?" + result.page_query(number)


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

from django.conf import settings
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets

from ..models import Territory
from ..selectors import territory_autocomplete
from .serializers import TerritorySerializer


@extend_schema_view(
    list=extend_schema(
        description=(
            "Sans `q` : tous les territoires, paginés. Avec `q` : autocomplétion (accents, casse et traits d'union "
            "ignorés ; préfixe du nom, préfixes de chacun des mots — « cc plaine » — ou proximité trigramme), "
            "20 résultats au plus (une seule page), les plus connus d'abord."
        ),
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Autocomplétion (accents et casse ignorés)"),
            OpenApiParameter("kind", OpenApiTypes.STR, description="Type de territoire (commune, epci, …)"),
            OpenApiParameter(
                "lang",
                OpenApiTypes.STR,
                description="Langue des libellés (fr, en) : « Ramillies (Brabant wallon, Belgium) » sur une page anglaise.",
            ),
        ],
    )
)
class TerritoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Every territory; `?q=` gives the autocomplete ranking."""

    serializer_class = TerritorySerializer
    lookup_field = "slug"

    def dispatch(self, request, *args, **kwargs):
        # The API lives outside the language prefixes, so Django answers it in French;
        # a combobox on an English page asks for its labels (country, kind) in English.
        lang = request.GET.get("lang", "")
        if lang in dict(settings.LANGUAGES):
            with translation.override(lang):
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        qs = Territory.objects.visible_to(self.request.user).select_related("parent")
        q = self.request.query_params.get("q", "").strip()
        kind = self.request.query_params.get("kind")
        if self.action == "list" and q:
            return territory_autocomplete(query=q, limit=20, kinds=[kind] if kind else None)
        if kind:
            qs = qs.filter(kind=kind)
        return qs.order_by("kind", "name")

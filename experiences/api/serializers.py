import functools
from urllib.parse import quote

from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from core.api.serializers import CachedModelSerializer
from territories.api.serializers import TerritoryBriefSerializer

from ..content import RICH_TEXT_FIELDS
from ..models import Experience, Organisation, Tag, Theme


class ThemeSerializer(CachedModelSerializer):
    class Meta:
        model = Theme
        fields = ["id", "slug", "name", "name_en", "parent", "synonyms"]


class TagSerializer(CachedModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "slug", "name"]


class OrganisationSerializer(CachedModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "slug", "name", "kind", "country", "website", "description"]


class ExperienceListSerializer(CachedModelSerializer):
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


class ExperienceDetailSerializer(ExperienceListSerializer):
    """One fiche: the list's fields, its long texts (canonical HTML, documented) and its English summary."""

    class Meta(ExperienceListSerializer.Meta):
        fields = [*ExperienceListSerializer.Meta.fields, "summary_en", *RICH_TEXT_FIELDS, "language"]


class ExperienceSearchHitSerializer(ExperienceListSerializer):
    """A search result: the fiche, its highlighted text and, with a reference territory, why it is comparable."""

    themes = serializers.ListField(source="theme_slugs", child=serializers.CharField(), read_only=True)
    tags = serializers.ListField(source="tag_names", child=serializers.CharField(), read_only=True)
    title_html = serializers.SerializerMethodField(
        help_text=_("Titre échappé, termes trouvés entre <mark> (seule balise présente).")
    )
    snippet_html = serializers.SerializerMethodField(
        help_text=_("Extrait échappé, termes trouvés entre <mark> (seule balise présente).")
    )
    score = serializers.FloatField(read_only=True, help_text=_("Score de tri (pertinence et/ou comparabilité)."))
    comparability = serializers.FloatField(
        read_only=True, allow_null=True, help_text=_("Comparabilité du territoire avec la référence, de 0 à 1.")
    )
    comparability_reason = serializers.SerializerMethodField(help_text=_("Pourquoi ce territoire est comparable."))
    matched_words = serializers.SerializerMethodField(help_text=_("La fiche contient les mots de la recherche."))
    matched_meaning = serializers.SerializerMethodField(
        help_text=_("La fiche est proche de la recherche par le sens (recherche hybride ; false avec match=words).")
    )

    class Meta(ExperienceListSerializer.Meta):
        fields = [
            *ExperienceListSerializer.Meta.fields,
            "title_html",
            "snippet_html",
            "score",
            "comparability",
            "comparability_reason",
            "matched_words",
            "matched_meaning",
        ]

    def get_title_html(self, obj) -> str | None:
        return str(obj.title_html) if getattr(obj, "title_html", None) else None

    def get_snippet_html(self, obj) -> str | None:
        return str(obj.snippet) if getattr(obj, "snippet", None) else None

    def get_comparability_reason(self, obj) -> str | None:
        return getattr(obj, "comparability_reason", None)

    def get_matched_words(self, obj) -> bool:
        return bool(getattr(obj, "matched_words", False))

    def get_matched_meaning(self, obj) -> bool:
        return bool(getattr(obj, "matched_meaning", False))


_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()


@functools.cache
def _budget_field() -> serializers.Field:
    return ExperienceSearchHitSerializer().fields["budget_amount"]


def search_hit_data(experiences) -> list[dict]:
    """What ExperienceSearchHitSerializer(experiences, many=True).data gives, built directly.

    A page of 20 hits through nested DRF serializers cost as much as the search
    statement; a test keeps both outputs identical.
    """
    budget = _budget_field()
    # One reverse() for the page: a fiche's URL differs from another's by its slug only.
    url_pattern = reverse("experiences:detail", kwargs={"slug": "__slug__"})
    hits = []
    for e in experiences:
        t = e.lead_territory
        hits.append(
            {
                "id": e.id,
                "slug": e.slug,
                "url": url_pattern.replace("__slug__", quote(e.slug, safe=RFC3986_SUBDELIMS + "/~:@")),
                "title": e.title,
                "title_en": e.title_en,
                "summary": e.summary,
                "lead_territory": None
                if t is None
                else {
                    "id": t.id,
                    "slug": t.slug,
                    "kind": t.kind,
                    "subkind": t.subkind,
                    "code": t.code,
                    "country": t.country,
                    "name": t.name,
                    "label": t.label,
                    "population": t.population,
                    "density_class": t.density_class,
                },
                "themes": list(e.theme_slugs),
                "tags": list(e.tag_names),
                "period_start": _DATE.to_representation(e.period_start) if e.period_start else None,
                "period_end": _DATE.to_representation(e.period_end) if e.period_end else None,
                "project_status": e.project_status,
                "budget_amount": None if e.budget_amount is None else budget.to_representation(e.budget_amount),
                "currency": e.currency,
                "status": e.status,
                "visibility": e.visibility,
                "published_at": _DATETIME.to_representation(e.published_at) if e.published_at else None,
                "title_html": str(e.title_html) if getattr(e, "title_html", None) else None,
                "snippet_html": str(e.snippet) if getattr(e, "snippet", None) else None,
                "score": e.score,
                "comparability": e.comparability,
                "comparability_reason": getattr(e, "comparability_reason", None),
                "matched_words": bool(getattr(e, "matched_words", False)),
                "matched_meaning": bool(getattr(e, "matched_meaning", False)),
            }
        )
    return hits


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField(help_text=_("Valeur à passer dans le paramètre du même nom."))
    label = serializers.CharField()
    count = serializers.IntegerField(help_text=_("Fiches visibles, avec tous les autres filtres appliqués."))
    selected = serializers.BooleanField()
    depth = serializers.IntegerField(help_text=_("Profondeur dans l'arbre des thèmes (0 ailleurs)."))


class RescueSerializer(serializers.Serializer):
    comparable = serializers.IntegerField(
        allow_null=True, help_text=_("Niveau de comparabilité plus large à essayer (null : sans ce filtre).")
    )
    count = serializers.IntegerField()


# One object (not a paginated list of them), although it answers the list action.
@extend_schema_serializer(many=False)
class ExperienceSearchSerializer(serializers.Serializer):
    """The response of GET /api/v1/experiences/: results, total and facets in one response."""

    total = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    sort = serializers.CharField()
    suggestion = serializers.CharField(allow_null=True, help_text=_("« Vouliez-vous dire » : requête corrigée."))
    stop_words_only = serializers.BooleanField(
        help_text=_("La requête ne contenait que des mots vides : cherchée comme sans texte (toutes les fiches).")
    )
    reference = TerritoryBriefSerializer(allow_null=True, help_text=_("Territoire de référence (ma collectivité)."))
    rescue = RescueSerializer(allow_null=True, help_text=_("Si « comparables uniquement » ne donne rien."))
    results = ExperienceSearchHitSerializer(many=True)
    facets = serializers.DictField(child=FacetValueSerializer(many=True))

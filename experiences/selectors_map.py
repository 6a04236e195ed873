"""Read use cases behind the maps of France and Belgium: the home page and the search results.

An experience is placed in the département or Belgian province of its lead
territory (a commune's or an EPCI's, or the unit itself), the
`search_department_id` column that search keeps up to date; in the
Brussels-Capital Region, which has no province, by `search_region_id`. The
overseas départements are drawn in insets. Experiences led by a région, a
country or a territory elsewhere are placed nowhere on the map; the search map
lists them. Every count starts from `Experience.objects.visible_to(viewer)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.urls import reverse

from core.maps import Choropleth, choropleth, territory_map
from territories.countries import country_name
from territories.models import Territory

from . import selectors
from .models import Experience

FOREIGN_LIMIT = 100


# Countries the map draws; fiches elsewhere are listed beside it.
MAPPED_COUNTRIES = ("FR", "BE")


def _mapped_units():
    """The territories drawn on the map: départements, provinces, and the Brussels-Capital Region."""
    _view_box, shapes, _insets = territory_map()
    wanted = Q()
    for kind in {s.kind for s in shapes}:
        for country in MAPPED_COUNTRIES:
            codes = [s.code for s in shapes if s.kind == kind and s.country == country]
            if codes:
                wanted |= Q(kind=kind, country=country, code__in=codes)
    return Territory.objects.filter(wanted)


def _unit_column(kind: str) -> str:
    """The fiche column that places a fiche in a unit of this kind, and the search filter of the same name."""
    return "region" if kind == Territory.Kind.REGION else "department"


def department_map(*, viewer) -> Choropleth:
    """Visible experiences per département and province, each linking to its search (one query)."""
    visible = Experience.objects.visible_to(viewer).order_by()

    def per(column: str):
        return visible.filter(**{column: OuterRef("pk")}).values(column).annotate(n=Count("id")).values("n")

    rows = (
        _mapped_units()
        .annotate(
            n=Case(
                When(kind=Territory.Kind.REGION, then=Coalesce(Subquery(per("search_region_id")), 0)),
                default=Coalesce(Subquery(per("search_department_id")), 0),
                output_field=IntegerField(),
            )
        )
        .values_list("country", "code", "kind", "slug", "n")
    )
    base = reverse("experiences:list")
    counts, urls = {}, {}
    for country, code, kind, slug, n in rows:
        counts[country, code] = n
        urls[country, code] = f"{base}?{_unit_column(kind)}={slug}"
    return choropleth(counts, urls)


@dataclass
class ForeignGroup:
    country: str
    label: str
    count: int
    query: str  # the search narrowed to this country
    experiences: list = field(default_factory=list)


@dataclass
class SearchMap:
    result: selectors.SearchResult
    map: Choropleth | None
    elsewhere: list[ForeignGroup]  # countries the map does not draw
    unplaced: int  # French and Belgian experiences led by a région or the country


def search_map(*, viewer, params: QueryDict) -> SearchMap:
    """The search (same parameters, same rules as the list) drawn on the map of France and Belgium.

    Counts per département or province are the search's own facet counts
    (département/province facet; région facet for Brussels-Capital), so a click
    on a unit lands on exactly that many results. Experiences elsewhere are
    listed by country, each with its visible fiches.
    """
    result = selectors.experience_search(viewer=viewer, params=params)
    if not result.valid:
        return SearchMap(result, None, [], 0)
    facets = {f.name: f for f in result.facets}
    # Facet counts are disjunctive (a selected facet counts what each other value
    # would add); the map shows the results themselves, so selected values only.
    by_slug = {**_counts(facets.get("department")), **_counts(facets.get("region"))}
    units = _mapped_units().filter(slug__in=list(by_slug)).values_list("slug", "country", "code", "kind")
    counts, urls = {}, {}
    base = reverse("experiences:list")
    for slug, country, code, kind in units:
        counts[country, code] = by_slug[slug]
        query = result.params.copy()
        query.setlist(_unit_column(kind), [slug])
        query.pop("page", None)
        urls[country, code] = f"{base}?{query.urlencode()}"
    mapped = choropleth(counts, urls)
    placed = mapped.total
    by_country = _counts(facets.get("country"))
    elsewhere = []
    for country, count in sorted(by_country.items(), key=lambda item: (-item[1], item[0])):
        if country in MAPPED_COUNTRIES:
            continue
        query = result.params.copy()
        query.setlist("country", [country])
        query.pop("page", None)
        elsewhere.append(ForeignGroup(country, country_name(country), count, query.urlencode()))
    if elsewhere:
        wanted = result.params.copy()
        wanted.setlist("country", [g.country for g in elsewhere])
        wanted["page_size"] = str(FOREIGN_LIMIT)
        wanted.pop("page", None)
        abroad = selectors.experience_search(viewer=viewer, params=wanted, with_facets=False)
        groups = {g.country: g for g in elsewhere}
        for experience in abroad.experiences:
            group = groups.get(experience.lead_territory.country)
            if group is not None:
                group.experiences.append(experience)
    in_mapped_countries = sum(by_country.get(country, 0) for country in MAPPED_COUNTRIES)
    return SearchMap(result, mapped, elsewhere, max(0, in_mapped_countries - placed))


def _counts(facet) -> dict[str, int]:
    """{value: count} of a facet, restricted to its selected values when some are selected."""
    if facet is None:
        return {}
    chosen = [v for v in facet.values if v.selected] or facet.values
    return {v.value: v.count for v in chosen if v.count}

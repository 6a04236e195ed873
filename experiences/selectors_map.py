"""Read use cases behind the maps of France: the home page and the search results.

An experience is placed in the département of its lead territory (a commune's or
an EPCI's département, or the département itself), the `search_department_id`
column that search keeps up to date. Experiences led by a région, a country or
a territory abroad are placed nowhere on the map; the search map lists them.
Every count starts from `Experience.objects.visible_to(viewer)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.urls import reverse

from core.maps import Choropleth, choropleth
from territories.models import Territory

from . import selectors
from .filtersets import COUNTRY_NAMES
from .models import Experience

FOREIGN_LIMIT = 100


def _french_departments():
    return Territory.objects.filter(kind=Territory.Kind.DEPARTMENT, country="FR")


def department_map(*, viewer) -> Choropleth:
    """Visible experiences per French département, each département linking to its search (one query)."""
    per_department = (
        Experience.objects.visible_to(viewer)
        .filter(search_department_id=OuterRef("pk"))
        .order_by()
        .values("search_department_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = (
        _french_departments()
        .annotate(n=Coalesce(Subquery(per_department, output_field=IntegerField()), 0))
        .values_list("code", "slug", "n")
    )
    base = reverse("experiences:list")
    counts, urls = {}, {}
    for code, slug, n in rows:
        counts[code] = n
        urls[code] = f"{base}?department={slug}"
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
    elsewhere: list[ForeignGroup]  # abroad, then French experiences placed on no département
    unplaced: int  # French experiences led by a région, the country, or overseas


def search_map(*, viewer, params: QueryDict) -> SearchMap:
    """The search (same parameters, same rules as the list) drawn on the map of France.

    Counts per département are the search's own département facet counts, so a
    click on a département lands on exactly that many results. Experiences
    abroad are listed by country, each with its visible fiches.
    """
    result = selectors.experience_search(viewer=viewer, params=params)
    if not result.valid:
        return SearchMap(result, None, [], 0)
    facets = {f.name: f for f in result.facets}
    # Facet counts are disjunctive (a selected facet counts what each other value
    # would add); the map shows the results themselves, so selected values only.
    by_slug = _counts(facets.get("department"))
    codes = dict(_french_departments().filter(slug__in=list(by_slug)).values_list("slug", "code"))
    counts, urls = {}, {}
    base = reverse("experiences:list")
    for slug, code in codes.items():
        counts[code] = by_slug[slug]
        query = result.params.copy()
        query.setlist("department", [slug])
        query.pop("page", None)
        urls[code] = f"{base}?{query.urlencode()}"
    mapped = choropleth(counts, urls)
    # Départements the map does not draw (overseas) and Belgian provinces are not on it either.
    placed = mapped.total
    by_country = _counts(facets.get("country"))
    elsewhere = []
    for country, count in sorted(by_country.items(), key=lambda item: (-item[1], item[0])):
        if country == "FR":
            continue
        query = result.params.copy()
        query.setlist("country", [country])
        query.pop("page", None)
        elsewhere.append(ForeignGroup(country, str(COUNTRY_NAMES.get(country, country)), count, query.urlencode()))
    if elsewhere:
        wanted = result.params.copy()
        wanted.setlist("country", [g.country for g in elsewhere])
        wanted["page_size"] = str(FOREIGN_LIMIT)
        wanted.pop("page", None)
        abroad = selectors.experience_search(viewer=viewer, params=wanted, with_facets=False)
        by_country = {g.country: g for g in elsewhere}
        for experience in abroad.experiences:
            group = by_country.get(experience.lead_territory.country)
            if group is not None:
                group.experiences.append(experience)
    return SearchMap(result, mapped, elsewhere, max(0, by_country.get("FR", 0) - placed))


def _counts(facet) -> dict[str, int]:
    """{value: count} of a facet, restricted to its selected values when some are selected."""
    if facet is None:
        return {}
    chosen = [v for v in facet.values if v.selected] or facet.values
    return {v.value: v.count for v in chosen if v.count}

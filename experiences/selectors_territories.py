"""Read use cases behind the territory pages and the territory directory.

A territory page rolls up: a région, département, province, EPCI or country
lists the fiches led anywhere inside it (the search's own `territory` filter,
so that its count is the one the "see in the search" link finds), counted per
child unit; a commune lists its own fiches and, as "nearby", those of its EPCI
and of its département. The directory (/territoires/) counts fiches per région
and per département or province. Every count starts from
`Experience.objects.visible_to(viewer)`, so each role sees its own figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.http import urlencode

from territories.countries import country_name
from territories.models import Territory

from . import search
from .filtersets import ExperienceFilterSet
from .models import Experience

PAGE_FICHES = 12
NEARBY_FICHES = 4
DIRECTORY_CACHE_SECONDS = 600  # a backstop: the key carries the search generation


def search_url(territory: Territory) -> str:
    """The search page narrowed to this territory and everything inside it."""
    return f"{reverse('experiences:list')}?{urlencode({'territory': territory.slug})}"


def _inside(territory: Territory) -> Q:
    """Fiches led in this territory or inside it (the search's filter), or naming it among their territories."""
    return ExperienceFilterSet.territory_q(territory) | Q(territories=territory)


@dataclass
class ChildCount:
    territory: Territory
    count: int

    @property
    def search_url(self) -> str:
        return search_url(self.territory)


@dataclass
class Nearby:
    """Fiches of a larger unit the commune belongs to, its own left out."""

    territory: Territory
    experiences: list
    count: int

    @property
    def search_url(self) -> str:
        return search_url(self.territory)


@dataclass
class TerritoryPage:
    territory: Territory
    experiences: list  # the first PAGE_FICHES, newest first
    count: int  # every visible fiche inside
    search_url: str
    children: list[ChildCount] = field(default_factory=list)  # the next level down, with fiches first
    children_label: str = ""  # "department", "epci", "commune"… the kind of the children listed
    communes: list[ChildCount] = field(default_factory=list)  # communes with fiches, for a département
    nearby: list[Nearby] = field(default_factory=list)  # for a commune: its EPCI's and département's fiches


def _child_level(territory: Territory) -> tuple[str, str] | None:
    """(column of the fiche row, kind of child) by which a territory's fiches are counted, if any."""
    kind = territory.kind
    if kind == Territory.Kind.COUNTRY:
        return "search_region_id", "region"
    if kind == Territory.Kind.REGION:
        if territory.children.filter(kind__in=["department", "province"]).exists():
            return "search_department_id", "department"
        return "lead_territory_id", "commune"  # Brussels-Capital: communes, no province
    if kind == Territory.Kind.DEPARTMENT and territory.country == "FR":
        return "search_epci_id", "epci"
    if kind in (Territory.Kind.DEPARTMENT, Territory.Kind.PROVINCE, Territory.Kind.EPCI):
        return "lead_territory_id", "commune"
    return None


def _children(territory: Territory, child_kind: str) -> list[Territory]:
    """Every unit one level down, for the list: members of an EPCI, EPCI of a département, etc."""
    if territory.kind == Territory.Kind.EPCI:
        queryset = territory.member_communes.all()
    elif child_kind == "epci":
        queryset = Territory.objects.filter(kind="epci", parent=territory)
    elif child_kind == "department":
        queryset = territory.children.filter(kind__in=["department", "province"])
    else:
        queryset = territory.children.filter(kind=child_kind)
    return list(queryset.current().order_by("-population", "name"))


def territory_page(*, viewer, territory: Territory) -> TerritoryPage:
    """What a territory page shows, every figure counted on the fiches the viewer may read."""
    visible = Experience.objects.visible_to(viewer)
    inside = visible.filter(_inside(territory)).distinct()
    count = inside.count()
    experiences = list(
        visible.filter(pk__in=inside.values("pk")).with_list_relations().order_by("-published_at", "-pk")[:PAGE_FICHES]
    )
    page = TerritoryPage(territory, experiences, count, search_url(territory))
    level = _child_level(territory)
    if level is not None:
        column, child_kind = level
        counts = _counts(visible.filter(ExperienceFilterSet.territory_q(territory)), column)
        children = _children(territory, child_kind)
        known = {child.pk for child in children}
        # An EPCI whose seat is in the next département still counts here for its communes.
        # (The fiches led by the territory itself are no child's: they stay out of the table.)
        extra = [pk for pk in counts if pk not in known and pk != territory.pk]
        children += list(Territory.objects.filter(pk__in=extra))
        page.children = _ranked(children, counts)
        page.children_label = child_kind
        if column == "search_epci_id":
            communes = _counts(visible.filter(ExperienceFilterSet.territory_q(territory)), "lead_territory_id")
            led = Territory.objects.filter(pk__in=list(communes), kind="commune").select_related("parent")
            page.communes = [c for c in _ranked(list(led), communes) if c.count]
    if territory.kind == Territory.Kind.COMMUNE:
        page.nearby = _nearby(visible, territory)
    return page


def _counts(queryset, column: str) -> dict[int, int]:
    rows = queryset.order_by().values_list(column).annotate(n=Count("id", distinct=True))
    return {pk: n for pk, n in rows if pk is not None}


def _ranked(children: list[Territory], counts: dict[int, int]) -> list[ChildCount]:
    """Units with fiches first (most first), then the others by population."""
    entries = [ChildCount(child, counts.get(child.pk, 0)) for child in children]
    return sorted(entries, key=lambda c: (-c.count, -(c.territory.population or 0), c.territory.name))


def _nearby(visible, commune: Territory) -> list[Nearby]:
    """The fiches of the commune's EPCI, then of its département, province or (Brussels) région, no repeats."""
    groups = []
    left_out = Q(lead_territory_id=commune.pk)
    parent = commune.parent if commune.parent and commune.parent.kind != Territory.Kind.COUNTRY else None
    for unit in (commune.epci, parent):
        if unit is None:
            continue
        around = visible.filter(ExperienceFilterSet.territory_q(unit)).exclude(left_out)
        count = around.count()
        if count:
            fiches = list(around.with_list_relations().order_by("-published_at", "-pk")[:NEARBY_FICHES])
            groups.append(Nearby(unit, fiches, count))
        if unit.kind == Territory.Kind.EPCI:
            left_out |= Q(search_epci_id=unit.pk)  # already shown with the EPCI
    return groups


# --------------------------------------------------------------------------
# The directory
# --------------------------------------------------------------------------


@dataclass
class DirectoryUnit:
    territory: Territory
    count: int
    children: list[DirectoryUnit] = field(default_factory=list)

    @property
    def search_url(self) -> str:
        return search_url(self.territory)

    @property
    def country_name(self) -> str:
        """The country, unless the territory's name says it (the Mali, as a whole)."""
        name = country_name(self.territory.country)
        return "" if name == self.territory.name else name


@dataclass
class DirectoryCountry:
    code: str
    name: str
    count: int
    regions: list[DirectoryUnit]
    territory: Territory | None = None


@dataclass
class Directory:
    countries: list[DirectoryCountry]  # France and Belgium, région by région
    abroad: list[DirectoryUnit]  # territories elsewhere that lead fiches


def territory_directory(*, viewer) -> Directory:
    """Régions, then départements and provinces, with their visible fiche counts; territories abroad with fiches.

    Cached per visibility class under the search generation, as the search's
    landing counts are: a new or edited fiche shows at the next request.
    """
    key = f"{search.landing_cache_key(viewer)}:territory-directory"
    cached = cache.get(key)
    if cached is None:
        cached = _directory_counts(viewer)
        cache.set(key, cached, DIRECTORY_CACHE_SECONDS)
    by_country, by_region, by_department, by_lead = cached
    # Sorted on the accent-free name: "Île-de-France" among the I, not after "Provence".
    units = sorted(
        Territory.objects.filter(kind__in=["country", "region", "department", "province"], country__in=["FR", "BE"]),
        key=lambda t: t.search_name,
    )
    regions: dict[int, DirectoryUnit] = {}
    countries = {code: DirectoryCountry(code, country_name(code), by_country.get(code, 0), []) for code in ("FR", "BE")}
    for unit in units:
        if unit.kind == "country":
            countries[unit.country].territory = unit
        elif unit.kind == "region":
            regions[unit.pk] = DirectoryUnit(unit, by_region.get(unit.pk, 0))
            countries[unit.country].regions.append(regions[unit.pk])
    for unit in units:
        if unit.kind in ("department", "province") and unit.parent_id in regions:
            regions[unit.parent_id].children.append(DirectoryUnit(unit, by_department.get(unit.pk, 0)))
    abroad = [
        DirectoryUnit(t, by_lead.get(t.pk, 0))
        for t in Territory.objects.filter(pk__in=list(by_lead))
        .exclude(country__in=["FR", "BE"])
        .order_by("country", "name")
    ]
    return Directory([countries["FR"], countries["BE"]], abroad)


def _directory_counts(viewer) -> tuple[dict, dict, dict, dict]:
    visible = Experience.objects.visible_to(viewer).order_by()

    def grouped(column: str) -> dict:
        return {value: n for value, n in visible.values_list(column).annotate(n=Count("id")) if value is not None}

    abroad = visible.exclude(search_country__in=["FR", "BE", ""])
    by_lead = {pk: n for pk, n in abroad.values_list("lead_territory_id").annotate(n=Count("id")) if pk}
    return grouped("search_country"), grouped("search_region_id"), grouped("search_department_id"), by_lead

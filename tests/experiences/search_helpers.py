"""Territories, themes and fiches for the search tests, with their search columns refreshed."""

from dataclasses import dataclass

from experiences.search import refresh_search_fields
from territories.models import Territory
from tests.factories import ExperienceFactory, TerritoryFactory, ThemeFactory


@dataclass
class Geo:
    france: Territory
    ara: Territory
    occitanie: Territory
    rhone: Territory
    isere: Territory
    herault: Territory
    cc_vallons: Territory
    chabaniere: Territory
    mornant: Territory
    neighbour: Territory
    lyon: Territory
    montpellier: Territory
    village: Territory


def make_geo() -> Geo:
    t = TerritoryFactory
    france = t(kind="country", code="FR", name="France", slug="pays-france", population=68_000_000)
    ara = t(
        kind="region", code="84", name="Auvergne-Rhône-Alpes", slug="region-ara", parent=france, population=8_000_000
    )
    occ = t(kind="region", code="76", name="Occitanie", slug="region-occitanie", parent=france, population=6_000_000)
    rhone = t(kind="department", code="69", name="Rhône", slug="departement-rhone", parent=ara, population=1_900_000)
    isere = t(kind="department", code="38", name="Isère", slug="departement-isere", parent=ara, population=1_270_000)
    herault = t(
        kind="department", code="34", name="Hérault", slug="departement-herault", parent=occ, population=1_200_000
    )
    cc = t(
        kind="epci",
        subkind="CC",
        code="246900740",
        name="CC des Vallons du Lyonnais",
        slug="cc-vallons",
        parent=rhone,
        population=28_000,
        area_km2=130.0,
    )
    chab = t(code="69228", name="Chabanière", slug="chabaniere", parent=rhone, epci=cc, population=3_900, area_km2=34.9)
    mornant = t(code="69141", name="Mornant", slug="mornant", parent=rhone, epci=cc, population=4_323, area_km2=34.0)
    neighbour = t(code="38001", name="Les Abrets", slug="les-abrets", parent=isere, population=4_100, area_km2=30.0)
    lyon = t(code="69123", name="Lyon", slug="lyon", parent=rhone, population=520_000, area_km2=48.0)
    montpellier = t(
        code="34172", name="Montpellier", slug="montpellier", parent=herault, population=300_000, area_km2=57.0
    )
    village = t(code="34001", name="Petit Village", slug="petit-village", parent=herault, population=180, area_km2=12.0)
    return Geo(france, ara, occ, rhone, isere, herault, cc, chab, mornant, neighbour, lyon, montpellier, village)


def fiche(**kwargs):
    """An experience whose search columns are up to date (factories bypass the services)."""
    experience = ExperienceFactory(**kwargs)
    refresh_search_fields([experience.pk])
    experience.refresh_from_db()
    return experience


def theme_tree():
    innovation = ThemeFactory(
        name="Innovation territoriale", slug="innovation-territoriale", synonyms=["innovation locale"]
    )
    tiers = ThemeFactory(
        name="Tiers-lieux", slug="tiers-lieux", parent=innovation, synonyms=["coworking", "fablab", "third place"]
    )
    democratie = ThemeFactory(name="Démocratie locale", slug="democratie-locale")
    concertation = ThemeFactory(name="Concertation", slug="concertation", parent=democratie)
    return innovation, tiers, democratie, concertation

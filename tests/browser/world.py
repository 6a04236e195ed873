"""A small, realistic Périscope for the browser journeys: territories, thesaurus, fiches, users.

Built with the factories (fast) and the search columns refreshed, as the services do.
Every account's password is PASSWORD.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from experiences.models import Experience, Organisation, Theme
from experiences.search import refresh_search_fields
from territories.models import Territory
from tests.experiences.search_helpers import Geo, make_geo
from tests.factories import (
    ExperienceFactory,
    OrganisationFactory,
    PartnershipFactory,
    PartnershipFundingFactory,
    PartnershipPartyFactory,
    TagFactory,
    TerritoryFactory,
    ThemeFactory,
    UserFactory,
)

PASSWORD = "secret-pass-123"


@dataclass
class World:
    geo: Geo
    tiers_lieux: Theme
    concertation: Theme
    numerique: Theme
    rural_tl: Experience  # tiers-lieu, rural, ongoing
    gare_tl: Experience  # tiers-lieu, rural, ongoing
    city_tl: Experience  # tiers-lieu, big city, completed
    client: Organisation
    member: object
    consultant: object
    staff: object
    partnership: object


def build_world() -> World:
    geo = make_geo()
    # A Creuse-like rural commune and its département, for the "rural tiers-lieu" searches.
    creuse = TerritoryFactory(
        kind="department", code="23", name="Creuse", slug="departement-creuse", population=115_000
    )
    felletin = TerritoryFactory(
        code="23079", name="Felletin", slug="felletin", parent=creuse, population=1_750, area_km2=35.0
    )
    bologna = TerritoryFactory(
        kind="other", country="IT", code="IT-BOLOGNA", name="Bologna", slug="bologna", population=390_000
    )
    innovation = ThemeFactory(name="Innovation territoriale", name_en="Territorial innovation", slug="innovation")
    tiers = ThemeFactory(name="Tiers-lieux", name_en="Third places", slug="tiers-lieux", parent=innovation)
    democratie = ThemeFactory(name="Démocratie locale", name_en="Local democracy", slug="democratie-locale")
    concertation = ThemeFactory(
        name="Concertation", name_en="Public consultation", slug="concertation", parent=democratie
    )
    numerique = ThemeFactory(name="Numérique", name_en="Digital", slug="numerique")
    gare = TagFactory(name="ancienne gare", slug="ancienne-gare")

    def fiche(**kwargs) -> Experience:
        kwargs.setdefault("context", "<p>Un bourg qui perdait ses commerces et ses services publics.</p>")
        kwargs.setdefault("actions", "<p>Rénovation du bâtiment, programmation associative, permanences.</p>")
        kwargs.setdefault("results", "<p>Trois cents usagers par mois et douze emplois.</p>")
        kwargs.setdefault("vigilance_points", "<p>Prévoir l'animation dès le départ : le lieu ne vit pas seul.</p>")
        experience = ExperienceFactory(**kwargs)
        refresh_search_fields([experience.pk])
        experience.refresh_from_db()
        return experience

    rural = fiche(
        title="Un tiers-lieu dans l'ancienne poste de Felletin",
        title_en="A third place in Felletin's former post office",
        summary="La commune de Felletin transforme son ancienne poste en tiers-lieu : coworking, fab-lab et services.",
        summary_en="Felletin turns its former post office into a third place with coworking, a fab lab and services.",
        lead_territory=felletin,
        themes=[tiers],
        project_status="ongoing",
        budget_amount=180_000,
        period_start=datetime.date(2022, 3, 1),
    )
    station = fiche(
        title="Tiers-lieu en gare à Chabanière",
        title_en="A third place in Chabanière's railway station",
        summary="Un tiers-lieu ouvert dans l'ancienne gare, avec une conciergerie et un espace de télétravail.",
        summary_en="A third place in the former railway station, with a concierge service and coworking.",
        lead_territory=geo.chabaniere,
        themes=[tiers],
        tags=[gare],
        project_status="ongoing",
        budget_amount=1_800_000,
        period_start=datetime.date(2021, 9, 1),
    )
    city = fiche(
        title="Réseau de tiers-lieux à Lyon",
        title_en="A network of third places in Lyon",
        summary="La ville anime un réseau de tiers-lieux de quartier et finance leur démarrage.",
        lead_territory=geo.lyon,
        themes=[tiers],
        project_status="completed",
        period_start=datetime.date(2019, 1, 1),
    )
    fiche(
        title="Concertation itinérante dans les Vallons",
        summary="Des ateliers de concertation itinérants dans les villages de la communauté de communes.",
        lead_territory=geo.cc_vallons,
        themes=[concertation],
        project_status="completed",
    )
    fiche(
        title="Former 1 800 agents au numérique à Montpellier",
        summary="Un plan de formation aux compétences numériques pour 1 800 agents municipaux.",
        lead_territory=geo.montpellier,
        themes=[numerique],
        budget_amount=5_000,
    )
    fiche(
        title="Tiers-lieu culturel à Bologne",
        summary="Un ancien marché couvert devenu tiers-lieu culturel, cité en exemple par les villes françaises.",
        lead_territory=bologna,
        themes=[tiers],
    )
    client = OrganisationFactory(name="Commune de Mornant", slug="commune-de-mornant")
    member = UserFactory(
        username="camille", first_name="Camille", last_name="Durand", role="member", organisation=client
    )
    consultant = UserFactory(username="sacha", first_name="Sacha", last_name="Martin", role="consultant")
    staff = UserFactory(username="dominique", first_name="Dominique", last_name="Petit", role="staff")
    partnership = PartnershipFactory(
        title="Coopération décentralisée Roissy Pays de France – Kampti",
        slug="roissy-kampti",
        kind="decentralised_cooperation",
        description="Vingt ans de coopération autour de l'eau, de l'école et de la santé.",
        start_date=datetime.date(2005, 1, 1),
    )
    PartnershipPartyFactory(partnership=partnership, organisation=client)
    PartnershipFundingFactory(partnership=partnership, funder=client, amount=5_000, year=2024)
    return World(
        geo, tiers, concertation, numerique, rural, station, city, client, member, consultant, staff, partnership
    )


def login(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/comptes/connexion/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")


def logout(page) -> None:
    page.locator("details.account-menu > summary").click()
    page.locator("form[action$='/deconnexion/'] button").first.click()
    page.wait_for_load_state("networkidle")


__all__ = ["PASSWORD", "Territory", "World", "build_world", "login", "logout"]

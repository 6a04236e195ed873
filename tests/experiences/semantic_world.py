"""The semantic tests' world (tests/experiences/test_semantic.py, test_hybrid_search.py): a Walloon
village's station turned third place, a confidential fiche on the same subject, a canteen fiche."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from experiences import services
from experiences.models import Experience
from experiences.semantic import jobs
from territories.models import Territory
from tests.factories import ExperienceFactory, OrganisationFactory, TerritoryFactory, ThemeFactory, UserFactory

GARE_CONTEXT = (
    "<p>Le bâtiment de la gare, <strong>propriété communale</strong> après l'arrêt des trains, restait fermé.</p>"
    "<ul><li>Diagnostic des usages avec les habitants</li><li>Ouverture test d'un espace de coworking</li></ul>"
    '<p>Voir <a href="https://example.org/gare">le dossier</a>.</p>'
)


@pytest.fixture
def world(db):
    """A Walloon-like village with its station turned third place (public), a confidential fiche
    on the same subject for client A, a school-canteen fiche, and an unrelated territory."""
    epci = TerritoryFactory(kind=Territory.Kind.EPCI, name="CC des Collines", slug="cc-collines", code="200000001")
    village = TerritoryFactory(name="Ramillies", slug="ramillies", code="25122", country="BE", population=6_500)
    village.epci = epci
    village.save()
    elsewhere = TerritoryFactory(name="Mouans-Sartoux", slug="mouans-sartoux", code="06084", population=9_500)
    client = OrganisationFactory(name="Client A")
    root = ThemeFactory(name="Innovation territoriale", slug="innovation-territoriale")
    tiers_lieux = ThemeFactory(
        name="Tiers-lieux", name_en="Third places", slug="tiers-lieux", parent=root, synonyms=["coworking", "fablab"]
    )
    food_root = ThemeFactory(name="Transition écologique", slug="transition-ecologique")
    alimentation = ThemeFactory(
        name="Alimentation",
        name_en="Food",
        slug="alimentation",
        parent=food_root,
        synonyms=["restauration collective", "cantine", "circuits courts"],
    )
    evaluation = ThemeFactory(name="Évaluation des politiques", slug="evaluation", parent=root)
    gare = ExperienceFactory(
        title="Transformer l'ancienne gare de Ramillies en tiers-lieu de village",
        title_en="Turning the former Ramillies railway station into a village third place",
        summary="La commune reconvertit son ancienne gare désaffectée en tiers-lieu mêlant espace de travail "
        "partagé, point de rencontre et services de proximité.",
        context=GARE_CONTEXT,
        lead_territory=village,
        themes=[tiers_lieux],
    )
    secret = ExperienceFactory(
        title="Étude confidentielle : une gare désaffectée transformée en tiers-lieu de village",
        summary="Analyse pour le client de la reconversion de la gare en tiers-lieu : espace de coworking, "
        "café et services aux habitants.",
        lead_territory=village,
        visibility=Experience.Visibility.CONFIDENTIAL,
        client_organisation=client,
        themes=[tiers_lieux, evaluation],
    )
    cantine = ExperienceFactory(
        title="Une régie agricole municipale pour des cantines 100 % bio",
        summary="La commune produit elle-même les légumes servis dans ses cantines scolaires.",
        lead_territory=elsewhere,
        themes=[alimentation],
    )
    services.refresh_derived_fields([gare.pk, secret.pk, cantine.pk])
    report = jobs.embed_experiences([gare.pk, secret.pk, cantine.pk])
    assert report.embedded == 3
    return {
        "gare": gare,
        "secret": secret,
        "cantine": cantine,
        "village": village,
        "epci": epci,
        "elsewhere": elsewhere,
        "client": client,
        "tiers_lieux": tiers_lieux,
        "evaluation": evaluation,
        "alimentation": alimentation,
    }


@pytest.fixture
def insider(world):
    return UserFactory(role=Role.MEMBER, organisation=world["client"])

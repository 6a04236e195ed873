"""The fiche form: round trips with every field, errors that say what to fix and keep what was typed."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from experiences.models import Experience
from tests.factories import OrganisationFactory, TerritoryFactory

PDF = b"%PDF-1.4\n%%EOF\n"
INLINE_PREFIXES = ("actors", "funding", "contacts", "sources", "attachments")


def management(prefix: str, total: int, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "50",
    }


def full_post(rennes, brest, themes, client) -> dict:
    data = {
        "lead_territory": rennes.slug,
        "lead_territory_label": rennes.label,
        "territories": [brest.slug],
        "territories_add": "",
        "title": "Un tiers-lieu dans l'ancienne gare",
        "summary": "La commune rouvre sa gare avec les habitants.",
        "context": "<p>Une gare <strong>fermée</strong> depuis 2015.</p>",
        "actions": "<ul><li>Diagnostic</li><li>Travaux</li></ul>",
        "project_status": "completed",
        "period_start": "2022-01-15",
        "period_end": "2024-06-30",
        "themes": [str(t.pk) for t in themes],
        "tags": ["gare"],
        "tags_add": "ruralité, coworking",
        "language": "fr",
        "title_en": "A third place in the old station",
        "summary_en": "The town reopens its station with residents.",
        "results": "<p>40 usagers réguliers.</p>",
        "vigilance_points": "<p>Modèle économique fragile.</p>",
        "budget_amount": "620000",
        "currency": "EUR",
        "visibility": "confidential",
        "client_organisation": client.slug,
        "client_organisation_label": client.name,
        "external_ref": "GARE-2024-01",
        **management("actors", 1),
        "actors-0-organisation": client.slug,
        "actors-0-organisation_label": client.name,
        "actors-0-role": "lead",
        **management("funding", 1),
        "funding-0-funder": "",
        "funding-0-funder_label": "Région Bretagne",
        "funding-0-label": "Contrat de territoire",
        "funding-0-amount": "250000",
        "funding-0-year": "2023",
        **management("contacts", 1),
        "contacts-0-name": "Camille Martin",
        "contacts-0-role": "Cheffe de projet",
        "contacts-0-email": "c.martin@example.org",
        "contacts-0-phone": "+33 2 99 00 00 00",
        "contacts-0-organisation": client.slug,
        "contacts-0-organisation_label": client.name,
        **management("sources", 1),
        "sources-0-title": "Bulletin municipal",
        "sources-0-url": "https://example.org/gare",
        "sources-0-publisher": "Ville de Rennes",
        "sources-0-published_on": "2024-02-01",
        **management("attachments", 1),
        "attachments-0-title": "Plan du bâtiment",
        "attachments-0-file": SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf"),
    }
    return data


@pytest.mark.django_db
def test_create_form_round_trip_keeps_every_field(client, consultant, rennes, brest, tiers_lieux, concertation):
    organisation = OrganisationFactory(name="Ville de Rennes")
    client.force_login(consultant)
    response = client.post(
        reverse("experiences:create"), full_post(rennes, brest, [tiers_lieux, concertation], organisation)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    experience = Experience.objects.get(external_ref="GARE-2024-01")
    assert response["Location"] == experience.get_absolute_url()
    assert experience.lead_territory == rennes and list(experience.territories.all()) == [brest]
    assert experience.title_en == "A third place in the old station"
    assert experience.context == "<p>Une gare <strong>fermée</strong> depuis 2015.</p>"
    assert str(experience.period_start) == "2022-01-15" and str(experience.period_end) == "2024-06-30"
    assert experience.project_status == "completed" and experience.budget_amount == Decimal("620000")
    assert experience.visibility == "confidential" and experience.client_organisation == organisation
    assert set(experience.themes.all()) == {tiers_lieux, concertation}
    assert sorted(experience.tags.values_list("name", flat=True)) == ["coworking", "gare", "ruralité"]
    assert experience.actor_links.get().role == "lead"
    line = experience.funding_lines.get()
    assert line.funder.name == "Région Bretagne" and line.amount == Decimal("250000") and line.year == 2023
    assert experience.contacts.get().organisation == organisation
    assert experience.sources.get().published_on.isoformat() == "2024-02-01"
    assert experience.attachments.get().title == "Plan du bâtiment"

    # The edit form shows every value back.
    page = client.get(reverse("experiences:edit", args=[experience.slug])).content.decode()
    for expected in (
        rennes.label,
        brest.label,
        "A third place in the old station",
        "Une gare &lt;strong&gt;fermée&lt;/strong&gt; depuis 2015.",
        'value="2022-01-15"',
        'value="620000.00"',
        'value="GARE-2024-01"',
        'value="gare"',
        'value="coworking"',
        "Région Bretagne",
        "Camille Martin",
        "c.martin@example.org",
        "Bulletin municipal",
        "Plan du bâtiment",
        f'value="{tiers_lieux.pk}" id="id_themes_{tiers_lieux.pk}" checked',
    ):
        assert expected in page, expected

    # Saving the edit form unchanged keeps everything and records no new version.
    versions = experience.history.count()
    data = full_post(rennes, brest, [tiers_lieux, concertation], organisation)
    data.update(
        {
            **management("actors", 1, 1),
            "actors-0-id": str(experience.actor_links.get().pk),
            **management("funding", 1, 1),
            "funding-0-id": str(line.pk),
            "funding-0-funder": line.funder.slug,
            **management("contacts", 1, 1),
            "contacts-0-id": str(experience.contacts.get().pk),
            **management("sources", 1, 1),
            "sources-0-id": str(experience.sources.get().pk),
            **management("attachments", 1, 1),
            "attachments-0-id": str(experience.attachments.get().pk),
            "tags": ["gare", "ruralité", "coworking"],
            "tags_add": "",
        }
    )
    del data["attachments-0-file"]
    response = client.post(reverse("experiences:edit", args=[experience.slug]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert experience.history.count() == versions
    assert experience.attachments.count() == 1 and experience.funding_lines.count() == 1


@pytest.mark.django_db
def test_errors_say_what_to_fix_and_keep_what_was_typed(client, consultant, rennes, brest, tiers_lieux):
    organisation = OrganisationFactory(name="Ville de Rennes")
    client.force_login(consultant)
    data = full_post(rennes, brest, [tiers_lieux], organisation)
    data.update({"title": "", "period_end": "2021-01-01", "funding-0-amount": "-5", "sources-0-url": "pas une adresse"})
    response = client.post(reverse("experiences:create"), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Le formulaire contient 4 erreurs" in page
    assert "La fin doit venir après le début (15/01/2022)." in page
    assert "Lignes de financement, ligne 1" in page and "Sources, ligne 1" in page
    # What was typed is still there.
    for kept in (
        "La commune rouvre sa gare avec les habitants.",
        "Région Bretagne",
        "Camille Martin",
        'value="ruralité, coworking"',
        brest.label,
        f'id="id_themes_{tiers_lieux.pk}" checked',
    ):
        assert kept in page, kept
    assert not Experience.objects.exists()


@pytest.mark.django_db
def test_typed_territory_name_is_resolved_without_javascript(client, consultant, rennes):
    client.force_login(consultant)
    data = {
        "lead_territory": "",
        "lead_territory_label": "rennes",
        "title": "Sans JavaScript",
        "summary": "Résumé.",
        "project_status": "ongoing",
        "language": "fr",
        "visibility": "public",
        "currency": "EUR",
        **{k: v for p in INLINE_PREFIXES for k, v in management(p, 0).items()},
    }
    response = client.post(reverse("experiences:create"), data)
    assert response.status_code == 302
    assert Experience.objects.get().lead_territory == rennes


@pytest.mark.django_db
def test_ambiguous_territory_name_lists_the_candidates(client, consultant):
    TerritoryFactory(name="Saint-Denis", slug="saint-denis-93", code="93066")
    TerritoryFactory(name="Saint-Denis", slug="saint-denis-974", code="97411")
    client.force_login(consultant)
    data = {
        "lead_territory_label": "Saint-Denis",
        "title": "Homonymes",
        "summary": "Résumé.",
        "project_status": "ongoing",
        "language": "fr",
        "visibility": "public",
        "currency": "EUR",
        **{k: v for p in INLINE_PREFIXES for k, v in management(p, 0).items()},
    }
    response = client.post(reverse("experiences:create"), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "« Saint-Denis » peut désigner plusieurs territoires" in page
    assert "Saint-Denis (93)" in page and "Saint-Denis (974)" in page
    # "Name (département)" picks one.
    data["lead_territory_label"] = "Saint-Denis (974)"
    assert client.post(reverse("experiences:create"), data).status_code == 302
    assert Experience.objects.get().lead_territory.code == "97411"


@pytest.mark.django_db
def test_wrong_attachment_type_is_reported_on_its_row(client, consultant, rennes, brest, tiers_lieux):
    organisation = OrganisationFactory(name="Ville de Rennes")
    client.force_login(consultant)
    data = full_post(rennes, brest, [tiers_lieux], organisation)
    data["attachments-0-file"] = SimpleUploadedFile(
        "script.exe", b"MZ\x90\x00", content_type="application/octet-stream"
    )
    response = client.post(reverse("experiences:create"), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "type de fichier non accepté" in page and "Pièces jointes, ligne 1" in page
    assert "sélectionnez-les à nouveau" in page
    assert not Experience.objects.exists()


@pytest.mark.django_db
def test_deleting_a_row_in_the_form_removes_it(client, consultant, rennes, brest, tiers_lieux):
    organisation = OrganisationFactory(name="Ville de Rennes")
    client.force_login(consultant)
    client.post(reverse("experiences:create"), full_post(rennes, brest, [tiers_lieux], organisation))
    experience = Experience.objects.get()
    source = experience.sources.get()
    data = full_post(rennes, brest, [tiers_lieux], organisation)
    del data["attachments-0-file"]
    data.update(
        {
            **management("sources", 1, 1),
            "sources-0-id": str(source.pk),
            "sources-0-DELETE": "on",
            **management("actors", 0),
            **management("funding", 0),
            **management("contacts", 0),
            **management("attachments", 1, 1),
            "attachments-0-id": str(experience.attachments.get().pk),
            "attachments-0-DELETE": "on",
            "tags": [],
            "tags_add": "",
        }
    )
    response = client.post(reverse("experiences:edit", args=[experience.slug]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not experience.sources.exists() and not experience.attachments.exists()
    assert not experience.actor_links.exists() and not experience.tags.exists()


@pytest.mark.django_db
def test_form_pages_are_for_consultants_only(client, member, rennes):
    assert client.get(reverse("experiences:create")).status_code == 302  # to the sign-in page
    client.force_login(member)
    assert client.get(reverse("experiences:create")).status_code == 403


@pytest.mark.django_db
def test_edit_page_query_count_is_bounded(
    client, consultant, rennes, brest, tiers_lieux, django_assert_max_num_queries
):
    organisation = OrganisationFactory(name="Ville de Rennes")
    client.force_login(consultant)
    client.post(reverse("experiences:create"), full_post(rennes, brest, [tiers_lieux], organisation))
    experience = Experience.objects.get()
    with django_assert_max_num_queries(30):
        assert client.get(reverse("experiences:edit", args=[experience.slug])).status_code == 200


@pytest.mark.django_db
def test_territory_typed_without_javascript_accepts_labels_and_qualified_codes():
    from django.core.exceptions import ValidationError

    from territories.forms import resolve_territory

    brabant = TerritoryFactory(kind="province", country="BE", code="20002", name="Province du Brabant wallon")
    nord = TerritoryFactory(kind="department", code="59", name="Nord")
    ramillies_be = TerritoryFactory(country="BE", code="25122", name="Ramillies", slug="ramillies-be", parent=brabant)
    ramillies_fr = TerritoryFactory(code="59492", name="Ramillies", slug="ramillies-fr", parent=nord)
    TerritoryFactory(code="25122", name="Chapelle-d'Huin", slug="chapelle")
    assert resolve_territory("BE-25122") == ramillies_be
    assert resolve_territory("Ramillies (Brabant wallon, Belgique)") == ramillies_be
    assert resolve_territory("Ramillies (Nord)") == ramillies_fr == resolve_territory("Ramillies (59)")
    for ambiguous in ("Ramillies", "25122"):
        with pytest.raises(ValidationError) as raised:
            resolve_territory(ambiguous)
        assert "BE-25122" in str(raised.value)

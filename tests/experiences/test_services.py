"""Services: every write to a fiche, its children, files and derived data."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.richtext import sanitize, to_text
from experiences import services
from experiences.completeness import completeness_report
from experiences.models import Attachment, Experience, Organisation, Tag
from tests.factories import ExperienceFactory, OrganisationFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _create(author, territory, **extra):
    fields = {
        "title": "Un tiers-lieu dans la gare",
        "summary": "La commune rouvre sa gare.",
        "lead_territory": territory,
    }
    fields.update(extra.pop("fields", {}))
    return services.experience_create(author=author, fields=fields, **extra)


@pytest.mark.django_db
def test_create_stores_every_part_of_a_fiche(consultant, rennes, brest, tiers_lieux, org_a):
    experience = _create(
        consultant,
        rennes,
        fields={
            "title_en": "A third place",
            "summary_en": "The town reopens its station.",
            "context": "Une gare fermée.",
            "actions": "- Diagnostic\n- Travaux",
            "results": "<p>40 usagers</p>",
            "vigilance_points": "Modèle économique fragile.",
            "period_start": datetime.date(2022, 1, 1),
            "period_end": datetime.date(2024, 6, 30),
            "project_status": "completed",
            "budget_amount": Decimal("620000"),
            "currency": "EUR",
            "language": "fr",
            "visibility": "confidential",
            "client_organisation": org_a,
            "external_ref": "GARE-01",
        },
        themes=[tiers_lieux],
        tags=["gare", "ruralité"],
        territories=[brest],
        actors=[{"organisation": org_a, "role": "lead"}, {"organisation": "Atelier Nouveau", "role": "provider"}],
        funding_lines=[{"funder": org_a, "label": "Fonds propres", "amount": Decimal("120000"), "year": 2023}],
        contacts=[
            {"name": "Camille Martin", "role": "Cheffe de projet", "email": "c.martin@example.org", "phone": "01"}
        ],
        sources=[{"title": "Bulletin municipal", "url": "https://example.org/gare", "publisher": "Ville"}],
        attachments=[{"title": "Plan", "file": SimpleUploadedFile("plan.pdf", PDF)}],
    )
    experience.refresh_from_db()
    assert experience.status == "draft" and experience.author == consultant
    assert experience.slug == "un-tiers-lieu-dans-la-gare"
    assert experience.actions == "<ul><li>Diagnostic</li><li>Travaux</li></ul>"
    assert experience.client_organisation == org_a and experience.external_ref == "GARE-01"
    assert list(experience.themes.all()) == [tiers_lieux]
    assert sorted(experience.tags.values_list("name", flat=True)) == ["gare", "ruralité"]
    assert list(experience.territories.all()) == [brest]
    assert {(a.organisation.name, a.role) for a in experience.actor_links.all()} == {
        (org_a.name, "lead"),
        ("Atelier Nouveau", "provider"),
    }
    assert experience.funding_lines.get().amount == Decimal("120000")
    assert experience.contacts.get().email == "c.martin@example.org"
    assert experience.sources.get().publisher == "Ville"
    attachment = experience.attachments.get()
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF)
    assert experience.completeness == 100


@pytest.mark.django_db
def test_a_member_cannot_create_a_fiche(member, rennes):
    with pytest.raises(PermissionDenied):
        _create(member, rennes)
    assert not Experience.objects.exists()


@pytest.mark.django_db
def test_update_syncs_child_rows_by_id(consultant, rennes):
    experience = _create(
        consultant,
        rennes,
        sources=[{"title": "A", "url": "https://a.example.org"}, {"title": "B"}],
    )
    first, second = experience.sources.order_by("id")
    services.experience_update(
        experience=experience,
        by=consultant,
        sources=[{"id": first.pk, "title": "A (corrigé)", "url": "https://a.example.org"}, {"title": "C"}],
    )
    titles = list(experience.sources.order_by("id").values_list("id", "title"))
    assert titles[0] == (first.pk, "A (corrigé)")
    assert [t for _pk, t in titles] == ["A (corrigé)", "C"]
    assert not experience.sources.filter(pk=second.pk).exists()


@pytest.mark.django_db
def test_update_refuses_a_row_of_another_fiche(consultant, rennes):
    mine = _create(consultant, rennes)
    other = _create(consultant, rennes, sources=[{"title": "Autre"}])
    with pytest.raises(ValidationError):
        services.experience_update(
            experience=mine, by=consultant, sources=[{"id": other.sources.get().pk, "title": "volée"}]
        )
    assert other.sources.get().title == "Autre"


@pytest.mark.django_db
def test_rich_text_is_sanitised_on_save(consultant, rennes):
    experience = _create(
        consultant,
        rennes,
        fields={
            "context": '<p onclick="x()">Texte <script>alert(1)</script><b>gras</b> '
            '<a href="javascript:alert(1)">piège</a> <a href="https://ok.example.org">lien</a></p><img src=x>',
        },
    )
    stored = Experience.objects.get(pk=experience.pk).context
    assert "script" not in stored and "onclick" not in stored and "javascript" not in stored and "<img" not in stored
    assert "<strong>gras</strong>" in stored
    assert '<a href="https://ok.example.org" rel="noopener noreferrer nofollow">lien</a>' in stored


def test_sanitiser_turns_plain_text_into_paragraphs_and_lists():
    assert sanitize("Ligne 1\nLigne 2\n\n- a\n- b") == "<p>Ligne 1<br>Ligne 2</p><ul><li>a</li><li>b</li></ul>"
    assert sanitize("<p> </p><div><br></div>") == ""
    assert sanitize("a < b & c") == "<p>a &lt; b &amp; c</p>"
    assert to_text("<p>Un</p><ul><li>a</li></ul>") == "Un\n\n- a"


@pytest.mark.django_db
def test_completeness_names_what_is_missing(consultant, rennes):
    experience = _create(consultant, rennes)
    report = completeness_report(experience)
    assert report.score == 0
    assert {"pas encore de résultats", "pas de points de vigilance", "aucune source", "pas de budget"} <= set(
        report.missing
    )
    services.experience_update(
        experience=experience,
        by=consultant,
        fields={"results": "Des résultats", "budget_amount": Decimal(1000)},
        sources=[{"title": "Article"}],
    )
    experience.refresh_from_db()
    report = completeness_report(experience)
    assert "pas encore de résultats" not in report.missing and "aucune source" not in report.missing
    assert experience.completeness == report.score == 43


@pytest.mark.django_db
def test_every_write_refreshes_the_search_columns(consultant, rennes, tiers_lieux):
    experience = _create(consultant, rennes, themes=[tiers_lieux], tags=["gare"])
    experience.refresh_from_db()
    assert tiers_lieux.pk in experience.search_theme_ids
    assert "gare" in experience.search_keywords


@pytest.mark.django_db
def test_slug_avoids_workspace_paths_and_duplicates(consultant, rennes):
    first = _create(consultant, rennes, fields={"title": "Espace"})
    second = _create(consultant, rennes, fields={"title": "Espace"})
    assert first.slug == "espace-2" and second.slug == "espace-3"


@pytest.mark.django_db
def test_tags_are_matched_case_insensitively_and_created_once(consultant, rennes):
    Tag.objects.create(name="Ruralité", slug="ruralite")
    experience = _create(consultant, rennes, tags=["ruralité", "Nouveau mot", "nouveau mot"])
    assert sorted(experience.tags.values_list("name", flat=True)) == ["Nouveau mot", "Ruralité"]
    assert Tag.objects.count() == 2


@pytest.mark.django_db
def test_new_organisation_names_are_created_and_reused(consultant, rennes):
    OrganisationFactory(name="Banque des Territoires")
    _create(consultant, rennes, actors=[{"organisation": "banque des territoires", "role": "funder"}])
    _create(consultant, rennes, actors=[{"organisation": "Collectif Nouveau", "role": "partner"}])
    assert Organisation.objects.filter(name__iexact="banque des territoires").count() == 1
    assert Organisation.objects.filter(name="Collectif Nouveau").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ" + b"\x00" * 10, "type de fichier non accepté"),
        ("faux.pdf", b"<html><script>alert(1)</script></html>", "ne contient pas un vrai fichier PDF"),
        ("image.png", b"GIF89a" + b"\x00" * 10, "ne contient pas un vrai fichier PNG"),
        ("page.svg", b"<svg onload=alert(1)>", "type de fichier non accepté"),
        ("vide.pdf", b"", "est vide"),
        ("rapport.docx", b"PK\x03\x04 not really a zip", "ne contient pas un vrai fichier DOCX"),
    ],
)
def test_attachments_are_checked_before_they_are_stored(consultant, rennes, name, content, message):
    experience = _create(consultant, rennes)
    with pytest.raises(ValidationError) as excinfo:
        services.experience_update(
            experience=experience,
            by=consultant,
            attachments=[{"title": "x", "file": SimpleUploadedFile(name, content)}],
        )
    assert message in " ".join(excinfo.value.messages)
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_oversized_attachment_is_refused_with_its_size(consultant, rennes, monkeypatch):
    monkeypatch.setattr(services, "ATTACHMENT_MAX_BYTES", 1024)
    experience = _create(consultant, rennes)
    big = SimpleUploadedFile("gros.png", PNG + b"\x00" * 2048)
    with pytest.raises(ValidationError, match="la limite est de"):
        services.experience_update(experience=experience, by=consultant, attachments=[{"title": "", "file": big}])


@pytest.mark.django_db
def test_removing_an_attachment_deletes_its_row(consultant, rennes):
    experience = _create(consultant, rennes, attachments=[{"title": "Photo", "file": SimpleUploadedFile("p.png", PNG)}])
    services.experience_update(experience=experience, by=consultant, attachments=[])
    assert not experience.attachments.exists()


@pytest.mark.django_db
def test_consultant_cannot_edit_a_confidential_fiche_of_someone_else(consultant, staff, rennes, org_a):
    secret = ExperienceFactory(visibility="confidential", client_organisation=org_a, lead_territory=rennes)
    with pytest.raises(PermissionDenied):
        services.experience_update(experience=secret, by=consultant, fields={"title": "Piraté"})
    services.experience_update(experience=secret, by=staff, fields={"title": "Corrigé"})
    assert Experience.objects.get(pk=secret.pk).title == "Corrigé"


@pytest.mark.django_db
def test_update_without_change_records_nothing(consultant, rennes):
    experience = _create(consultant, rennes, tags=["gare"])
    before = experience.history.count()
    services.experience_update(experience=experience, by=consultant, fields={"title": experience.title}, tags=["gare"])
    assert experience.history.count() == before

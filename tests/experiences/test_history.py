"""History: every write path records who changed what and when; staff restore versions."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from experiences import importers, services
from experiences.history import history_entries
from experiences.models import Experience, Tag
from tests.factories import ExperienceFactory, TagFactory

from .workspace_helpers import HEADERS, valid_row, xlsx_bytes


def _create(author, territory, **extra):
    fields = {"title": "Première version", "summary": "Résumé initial.", "lead_territory": territory}
    fields.update(extra.pop("fields", {}))
    return services.experience_create(author=author, fields=fields, **extra)


@pytest.mark.django_db
def test_one_version_per_write_with_author_time_and_reason(consultant, staff, rennes, tiers_lieux):
    experience = _create(consultant, rennes, themes=[tiers_lieux], tags=["gare"], sources=[{"title": "S1"}])
    services.experience_update(
        experience=experience, by=consultant, fields={"title": "Deuxième version"}, tags=["gare", "ruralité"]
    )
    services.experience_submit(experience=experience, by=consultant)
    services.experience_publish(experience=experience, by=staff)
    records = list(experience.history.order_by("history_date", "history_id"))
    assert [(r.history_type, r.history_change_reason, r.history_user) for r in records] == [
        ("+", "Création", consultant),
        ("~", "Modification", consultant),
        ("~", "Soumise à relecture", consultant),
        ("~", "Publiée", staff),
    ]
    assert all(r.history_date for r in records)
    # The many-to-many snapshot of each version is stored with it.
    assert set(records[0].tags.values_list("tag__name", flat=True)) == {"gare"}
    assert set(records[1].tags.values_list("tag__name", flat=True)) == {"gare", "ruralité"}


@pytest.mark.django_db
def test_history_shows_field_by_field_differences(consultant, rennes):
    experience = _create(consultant, rennes, sources=[{"title": "Article"}])
    services.experience_update(
        experience=experience,
        by=consultant,
        fields={"title": "Titre changé", "budget_amount": Decimal("1500"), "results": "Beaucoup de résultats " * 6},
        tags=["nouveau"],
        sources=[],
    )
    latest = history_entries(experience)[0]
    changes = {c.name: c for c in latest.changes}
    assert (changes["title"].old, changes["title"].new) == ("Première version", "Titre changé")
    assert changes["budget_amount"].new == "1\u202f500" or changes["budget_amount"].new.replace("\xa0", " ") == "1 500"
    assert changes["results"].segments  # long text: word-level diff
    assert changes["tags"].added == ["nouveau"]
    assert [(i.action, i.label) for i in latest.items] == [("-", "Article")]


@pytest.mark.django_db
def test_history_page_lists_versions_with_bounded_queries(client, consultant, rennes, django_assert_max_num_queries):
    experience = _create(consultant, rennes, sources=[{"title": "S"}], funding_lines=[{"label": "DETR", "amount": 10}])
    for n in range(8):
        services.experience_update(experience=experience, by=consultant, fields={"title": f"Titre {n}"})
    client.force_login(consultant)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("experiences:history", args=[experience.slug]))
    page = response.content.decode()
    assert page.count('class="history-entry') == 9
    assert "Titre 6" in page and "Titre 7" in page and "DETR" in page


@pytest.mark.django_db
def test_members_cannot_read_the_history(client, member):
    experience = ExperienceFactory()
    client.force_login(member)
    assert client.get(reverse("experiences:history", args=[experience.slug])).status_code == 403


@pytest.mark.django_db
def test_staff_restore_a_version_with_its_relations_and_rows(client, consultant, staff, rennes, tiers_lieux):
    experience = _create(
        consultant,
        rennes,
        themes=[tiers_lieux],
        tags=["gare"],
        sources=[{"title": "Source d'origine", "url": "https://example.org/a"}],
        funding_lines=[{"label": "DETR", "amount": Decimal(1000)}],
    )
    first = experience.history.earliest("history_date")
    services.experience_update(
        experience=experience,
        by=consultant,
        fields={"title": "Vandalisé", "summary": "Effacé."},
        themes=[],
        tags=["autre"],
        sources=[],
        funding_lines=[],
    )
    services.experience_transition(experience=experience, action="submit", by=consultant)

    client.force_login(consultant)
    url = reverse("experiences:restore", args=[experience.slug, first.history_id])
    assert client.post(url).status_code == 403
    client.force_login(staff)
    assert client.post(url).status_code == 302

    experience.refresh_from_db()
    assert (experience.title, experience.summary) == ("Première version", "Résumé initial.")
    assert experience.status == "review"  # the workflow state is not rolled back
    assert list(experience.themes.all()) == [tiers_lieux]
    assert list(experience.tags.values_list("name", flat=True)) == ["gare"]
    assert list(experience.sources.values_list("title", flat=True)) == ["Source d'origine"]
    assert experience.funding_lines.get().label == "DETR"
    last = experience.history.first()
    assert last.history_user == staff and last.history_change_reason.startswith("Restauration de la version du")


@pytest.mark.django_db
def test_consultants_cannot_restore_through_the_service(consultant, rennes):
    experience = _create(consultant, rennes)
    with pytest.raises(PermissionDenied):
        services.experience_restore_version(
            experience=experience, history_id=experience.history.first().history_id, by=consultant
        )


@pytest.mark.django_db
def test_tag_merge_and_promotion_are_recorded_on_each_fiche(consultant, staff, tiers_lieux):
    old, new, promoted = TagFactory(name="coworking rural"), TagFactory(name="coworking"), TagFactory(name="Fablab")
    fiches = [ExperienceFactory(tags=[old, promoted]) for _ in range(3)]
    services.tag_merge(source=old, target=new, by=consultant)
    services.tag_promote(tag=promoted, by=staff, parent=tiers_lieux.parent)
    for fiche in fiches:
        # The factory's own saves come first; the last two versions are the stewardship ones.
        reasons = list(fiche.history.order_by("history_date").values_list("history_change_reason", "history_user"))
        assert reasons[-2:] == [
            ("Mot-clé « coworking rural » fusionné dans « coworking »", consultant.pk),
            ("Mot-clé « Fablab » promu (thème « Fablab »)", staff.pk),
        ]


@pytest.mark.django_db
def test_import_records_one_version_per_fiche_with_the_importer(consultant, rennes, tiers_lieux):
    content = xlsx_bytes([valid_row(n, rennes, tiers_lieux) for n in range(3)])
    report = importers.import_experiences(content=content, filename="cas.xlsx", by=consultant, commit=True)
    assert report.committed and report.created == 3
    for experience in Experience.objects.all():
        record = experience.history.get()
        assert (record.history_type, record.history_user, record.history_change_reason) == (
            "+",
            consultant,
            "Import cas.xlsx",
        )
        assert list(record.themes.values_list("theme_id", flat=True)) == [tiers_lieux.pk]
        assert experience.sources.get().history.get().history_user == consultant

    # A second import that changes one row adds one version to that fiche only.
    rows = [valid_row(n, rennes, tiers_lieux) for n in range(3)]
    rows[1][HEADERS.index("titre")] = "Titre corrigé"
    report = importers.import_experiences(content=xlsx_bytes(rows), filename="cas-v2.xlsx", by=consultant, commit=True)
    assert (report.updated, report.unchanged) == (1, 2)
    changed = Experience.objects.get(external_ref="REF-00001")
    assert changed.history.count() == 2 and changed.history.first().title == "Titre corrigé"
    assert Experience.objects.get(external_ref="REF-00000").history.count() == 1


@pytest.mark.django_db
def test_tag_rename_keeps_fiches_and_their_history_readable(consultant):
    tag = TagFactory(name="tiers lieu")
    fiche = ExperienceFactory(tags=[tag])
    services.tag_rename(tag=tag, name="tiers-lieu", by=consultant)
    assert list(fiche.tags.values_list("name", flat=True)) == ["tiers-lieu"]
    assert Tag.objects.get(pk=tag.pk).slug == "tiers-lieu"

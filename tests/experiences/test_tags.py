"""Tag stewardship: rename, merge, promote to the thesaurus, suggestions while editing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from experiences import services
from experiences.models import Experience, Tag, Theme
from experiences.selectors_workspace import tag_suggestions
from tests.factories import ExperienceFactory, TagFactory


@pytest.mark.django_db
def test_rename_refuses_an_existing_name_and_suggests_a_merge(consultant):
    tag, other = TagFactory(name="coworking"), TagFactory(name="Tiers-lieu")
    with pytest.raises(ValidationError, match="fusionnez plutôt"):
        services.tag_rename(tag=tag, name="tiers-lieu", by=consultant)
    assert Tag.objects.get(pk=tag.pk).name == "coworking" and other.name == "Tiers-lieu"


@pytest.mark.django_db
def test_merge_moves_every_fiche_without_duplicates(consultant):
    source, target = TagFactory(name="tiers lieu"), TagFactory(name="tiers-lieu")
    only_source = ExperienceFactory(tags=[source])
    both = ExperienceFactory(tags=[source, target])
    moved = services.tag_merge(source=source, target=target, by=consultant)
    assert moved == 2
    assert not Tag.objects.filter(pk=source.pk).exists()
    assert list(only_source.tags.all()) == [target] and list(both.tags.all()) == [target]
    assert Experience.tags.through.objects.filter(tag=target).count() == 2


@pytest.mark.django_db
def test_merge_into_itself_is_refused(consultant):
    tag = TagFactory()
    with pytest.raises(ValidationError):
        services.tag_merge(source=tag, target=tag, by=consultant)


@pytest.mark.django_db
def test_promote_to_a_new_theme_gives_the_theme_to_every_fiche(staff, tiers_lieux):
    tag = TagFactory(name="Fablab solidaire")
    fiches = [ExperienceFactory(tags=[tag]) for _ in range(2)]
    theme = services.tag_promote(tag=tag, by=staff, parent=tiers_lieux.parent)
    assert theme.parent == tiers_lieux.parent and theme.name == "Fablab solidaire"
    assert not Tag.objects.filter(pk=tag.pk).exists()
    for fiche in fiches:
        assert list(fiche.themes.all()) == [theme] and not fiche.tags.exists()
        fiche.refresh_from_db()
        assert theme.pk in fiche.search_theme_ids


@pytest.mark.django_db
def test_promote_as_synonym_adds_it_to_the_theme(staff, tiers_lieux):
    tag = TagFactory(name="troisième lieu")
    fiche = ExperienceFactory(tags=[tag], themes=[tiers_lieux])
    theme = services.tag_promote(tag=tag, by=staff, synonym_of=tiers_lieux)
    assert theme == tiers_lieux and "troisième lieu" in Theme.objects.get(pk=tiers_lieux.pk).synonyms
    assert list(fiche.themes.all()) == [tiers_lieux]


@pytest.mark.django_db
def test_promote_refuses_a_duplicate_theme_name(staff, tiers_lieux):
    tag = TagFactory(name="tiers-lieux")
    with pytest.raises(ValidationError, match="existe déjà"):
        services.tag_promote(tag=tag, by=staff, parent=tiers_lieux.parent)


@pytest.mark.django_db
def test_only_staff_promote_and_members_do_nothing(consultant, member, tiers_lieux):
    tag = TagFactory()
    with pytest.raises(PermissionDenied):
        services.tag_promote(tag=tag, by=consultant, parent=None)
    with pytest.raises(PermissionDenied):
        services.tag_rename(tag=tag, name="x", by=member)
    with pytest.raises(PermissionDenied):
        services.tag_merge(source=tag, target=TagFactory(), by=member)


@pytest.mark.django_db
def test_suggestions_offer_close_tags_and_tags_used_with_the_themes(consultant, tiers_lieux, concertation):
    ExperienceFactory(tags=[TagFactory(name="participation citoyenne")])
    gare, rural = TagFactory(name="gare"), TagFactory(name="ruralité")
    ExperienceFactory(themes=[tiers_lieux], tags=[gare, rural])
    ExperienceFactory(themes=[tiers_lieux], tags=[gare])
    ExperienceFactory(themes=[concertation], tags=[TagFactory(name="budget participatif")])
    ExperienceFactory(tags=[TagFactory(name="participatif citoyen")])
    found = tag_suggestions(
        viewer=consultant, text="participation citoyene", theme_ids=[tiers_lieux.pk], exclude=["ruralité"]
    )
    assert found["similar"][0] == "participation citoyenne"
    assert found["related"] == ["gare"]


@pytest.mark.django_db
def test_suggestions_and_autocomplete_hide_tags_of_fiches_the_viewer_cannot_read(client, consultant, org_a):
    ExperienceFactory(visibility="confidential", client_organisation=org_a, tags=[TagFactory(name="secret client")])
    ExperienceFactory(tags=[TagFactory(name="secteur public")])
    client.force_login(consultant)
    data = client.get(reverse("experiences:tag_autocomplete"), {"q": "sec"}).json()
    assert [r["label"] for r in data["results"]] == ["secteur public"]
    data = client.get(reverse("experiences:tag_suggestions"), {"q": "secret client"}).json()
    assert "secret client" not in data["similar"]


@pytest.mark.django_db
def test_tag_pages_merge_from_the_browser(client, consultant):
    source, target = TagFactory(name="coworking"), TagFactory(name="Coworking rural")
    fiche = ExperienceFactory(tags=[source])
    client.force_login(consultant)
    assert "coworking" in client.get(reverse("experiences:tag_list")).content.decode()
    response = client.post(
        reverse("experiences:tag_detail", args=[source.pk]), {"action": "merge", "target": "coworking rural"}
    )
    assert response.status_code == 302
    assert list(fiche.tags.all()) == [target]


@pytest.mark.django_db
def test_promote_form_is_shown_to_staff_only(client, consultant, staff):
    tag = TagFactory()
    ExperienceFactory(tags=[tag])
    client.force_login(consultant)
    assert (
        "Promouvoir au thésaurus" not in client.get(reverse("experiences:tag_detail", args=[tag.pk])).content.decode()
    )
    client.force_login(staff)
    assert "Promouvoir au thésaurus" in client.get(reverse("experiences:tag_detail", args=[tag.pk])).content.decode()
    response = client.post(
        reverse("experiences:tag_detail", args=[tag.pk]), {"action": "promote", "mode": "theme", "parent": ""}
    )
    assert response.status_code == 302 and Theme.objects.filter(name=tag.name, parent=None).exists()

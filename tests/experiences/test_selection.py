"""The reader's selection: session for visitors, table for members, visibility on every read, compare, export, study."""

import pytest

from experiences import selection
from experiences.models import SelectionItem
from studies.models import Study
from tests.factories import ExperienceFactory, OrganisationFactory


def _add(client, experience):
    return client.post(f"/experiences/selection/{experience.pk}/", {"action": "add"})


@pytest.mark.django_db
def test_a_visitor_keeps_a_selection_in_the_session_and_sees_it_on_the_selection_page(client):
    first, second = (
        ExperienceFactory(title="Tiers-lieu de Felletin"),
        ExperienceFactory(title="Concertation à Saillans"),
    )
    assert _add(client, first).status_code == 302
    _add(client, second)
    response = client.get("/experiences/selection/")
    body = response.content.decode()
    assert "Tiers-lieu de Felletin" in body and "Concertation à Saillans" in body
    assert [e.pk for e in response.context["experiences"]] == [first.pk, second.pk]
    assert SelectionItem.objects.count() == 0  # nothing stored for anonymous readers


@pytest.mark.django_db
def test_a_member_selection_is_stored_and_follows_them_to_another_session(client, member):
    experience = ExperienceFactory()
    client.force_login(member)
    _add(client, experience)
    assert list(SelectionItem.objects.filter(user=member).values_list("experience_id", flat=True)) == [experience.pk]
    client.logout()
    client.force_login(member)
    assert [e.pk for e in client.get("/experiences/selection/").context["experiences"]] == [experience.pk]


@pytest.mark.django_db
def test_signing_in_merges_the_anonymous_selection_into_the_stored_one(client, member):
    kept, picked = ExperienceFactory(), ExperienceFactory()
    SelectionItem.objects.create(user=member, experience=kept)
    _add(client, picked)
    client.login(username=member.username, password="secret-pass-123")
    ids = [e.pk for e in client.get("/experiences/selection/").context["experiences"]]
    assert ids == [kept.pk, picked.pk]


@pytest.mark.django_db
def test_an_experience_the_reader_may_not_see_cannot_be_added(client, org_a):
    secret = ExperienceFactory(visibility="confidential", client_organisation=org_a)
    draft = ExperienceFactory(status="draft", published_at=None)
    assert _add(client, secret).status_code == 404
    assert _add(client, draft).status_code == 404
    assert client.session.get(selection.SESSION_KEY) is None


@pytest.mark.django_db
def test_a_fiche_that_became_invisible_disappears_from_the_selection_page(client, member):
    experience = ExperienceFactory(title="Bientôt dépubliée")
    client.force_login(member)
    _add(client, experience)
    experience.status = "draft"
    experience.published_at = None
    experience.save()
    body = client.get("/experiences/selection/").content.decode()
    assert "Bientôt dépubliée" not in body
    # …and can still be removed.
    client.post(f"/experiences/selection/{experience.pk}/", {"action": "remove"})
    assert not SelectionItem.objects.filter(user=member).exists()


@pytest.mark.django_db
def test_htmx_toggle_returns_the_new_button_and_updates_the_count_out_of_band(client):
    experience = ExperienceFactory()
    response = client.post(
        f"/experiences/selection/{experience.pk}/", {"action": "add"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Dans ma sélection" in body
    assert 'id="selection-count"' in body and 'hx-swap-oob="true"' in body
    assert ">1</span>" in body
    response = client.post(
        f"/experiences/selection/{experience.pk}/", {"action": "remove"}, headers={"HX-Request": "true"}
    )
    assert "Ajouter à ma sélection" in response.content.decode()


@pytest.mark.django_db
def test_the_selection_is_capped(client, monkeypatch):
    monkeypatch.setattr(selection, "MAX_ITEMS", 2)
    experiences = [ExperienceFactory() for _ in range(3)]
    for experience in experiences:
        _add(client, experience)
    assert len(client.session[selection.SESSION_KEY]["ids"]) == 2


@pytest.mark.django_db
def test_cards_show_whether_an_experience_is_already_selected(client):
    experience = ExperienceFactory(title="Sélectionnée")
    _add(client, experience)
    body = client.get(experience.get_absolute_url()).content.decode()
    assert "Dans ma sélection" in body
    assert 'id="selection-count" class="selection-count badge rounded-pill">1<' in body


@pytest.mark.django_db
def test_selection_page_links_to_the_comparison_with_the_first_six_checked(client):
    experiences = [ExperienceFactory() for _ in range(7)]
    for experience in experiences:
        _add(client, experience)
    response = client.get("/experiences/selection/")
    body = response.content.decode()
    assert 'action="/etudes/comparer/"' in body
    assert response.context["compare_ids"] == [e.pk for e in experiences[:6]]
    assert body.count("checked") == 6


@pytest.mark.django_db
def test_selection_exports_as_csv_with_only_visible_fiches(client, member, org_b):
    public = ExperienceFactory(title="Fiche exportée")
    client.force_login(member)
    _add(client, public)
    other_client = ExperienceFactory(title="Secret du client B", visibility="confidential", client_organisation=org_b)
    SelectionItem.objects.create(user=member, experience=other_client)  # planted behind the views' back
    response = client.get("/experiences/selection/export/", {"format": "csv"})
    content = response.content.decode("utf-8-sig")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "Fiche exportée" in content
    assert "Secret du client B" not in content


@pytest.mark.django_db
def test_an_empty_selection_exports_an_empty_file_not_everything(client):
    ExperienceFactory(title="Pas sélectionnée")
    content = client.get("/experiences/selection/export/", {"format": "json"}).content.decode()
    assert "Pas sélectionnée" not in content


@pytest.mark.django_db
def test_staff_create_a_study_from_their_selection(client, staff):
    first, second = ExperienceFactory(), ExperienceFactory()
    client.force_login(staff)
    _add(client, first)
    _add(client, second)
    assert "Créer une étude à partir de la sélection" in client.get("/experiences/selection/").content.decode()
    organisation = OrganisationFactory(name="Commune cliente")
    response = client.post(
        "/etudes/depuis-ma-selection/",
        {
            "title": "Tiers-lieux en milieu rural",
            "client_organisation": organisation.slug,
            "client_organisation_label": organisation.name,
            "question": "Quels tiers-lieux en gare ?",
            "status": Study.Status.DRAFT,
            "lead": staff.pk,
        },
    )
    study = Study.objects.get(title="Tiers-lieux en milieu rural")
    assert response.status_code == 302 and response.url == study.get_absolute_url()
    assert list(study.items.order_by("position").values_list("experience_id", flat=True)) == [first.pk, second.pk]


@pytest.mark.django_db
def test_only_staff_may_create_a_study_from_a_selection(client, member, consultant):
    for user in (member, consultant):
        client.force_login(user)
        assert client.get("/etudes/depuis-ma-selection/").status_code == 403
    client.logout()
    assert client.get("/etudes/depuis-ma-selection/").status_code == 302

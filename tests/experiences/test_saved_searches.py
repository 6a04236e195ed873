"""Saved searches and their weekly alert: visible fiches only, each fiche once, in the owner's language."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from experiences import alerts, tasks
from experiences.models import SavedSearch, SavedSearchNotification
from tests.experiences.search_helpers import fiche, make_geo, theme_tree


@pytest.fixture
def geo(db):
    return make_geo()


@pytest.fixture
def themes(db):
    return theme_tree()


def _saved(user, query, *, days_ago=10, **kwargs):
    saved = alerts.saved_search_create(
        user=user, name=kwargs.pop("name", "Tiers-lieux"), query=query, weekly_digest=True, **kwargs
    )
    SavedSearch.objects.filter(pk=saved.pk).update(created_at=timezone.now() - datetime.timedelta(days=days_ago))
    saved.refresh_from_db()
    return saved


@pytest.mark.django_db
def test_a_member_saves_the_current_search_from_the_search_page(client, member, geo, themes):
    client.force_login(member)
    form = client.get("/experiences/recherches/enregistrer/", {"q": "tiers-lieu", "theme": "tiers-lieux", "page": "2"})
    assert form.status_code == 200
    assert form.context["query"] == "q=tiers-lieu&theme=tiers-lieux"  # paging dropped
    response = client.post(
        "/experiences/recherches/enregistrer/",
        {"query": form.context["query"], "name": "Tiers-lieux ruraux", "weekly_digest": "on"},
    )
    assert response.status_code == 302
    saved = SavedSearch.objects.get(user=member)
    assert (saved.name, saved.query, saved.weekly_digest, saved.language) == (
        "Tiers-lieux ruraux",
        "q=tiers-lieu&theme=tiers-lieux",
        True,
        "fr",
    )
    listing = client.get("/experiences/recherches/").content.decode()
    assert "Tiers-lieux ruraux" in listing
    assert "/experiences/?q=tiers-lieu&amp;theme=tiers-lieux" in listing


@pytest.mark.django_db
def test_saving_requires_a_signed_in_reader(client):
    response = client.get("/experiences/recherches/enregistrer/", {"q": "tiers-lieu"})
    assert response.status_code == 302 and "/comptes/" in response.url


@pytest.mark.django_db
def test_two_saved_searches_of_one_member_cannot_share_a_name(client, member):
    client.force_login(member)
    alerts.saved_search_create(user=member, name="Concertation", query="q=concertation")
    response = client.post("/experiences/recherches/enregistrer/", {"query": "q=x", "name": "Concertation"})
    assert response.status_code == 200
    assert "déjà une recherche" in response.content.decode()


@pytest.mark.django_db
def test_a_member_cannot_touch_another_members_saved_search(client, member, member_b):
    saved = alerts.saved_search_create(user=member_b, name="La sienne", query="q=x", weekly_digest=True)
    client.force_login(member)
    assert client.post(f"/experiences/recherches/{saved.pk}/supprimer/").status_code == 404
    assert client.post(f"/experiences/recherches/{saved.pk}/", {"weekly_digest": ""}).status_code == 404
    saved.refresh_from_db()
    assert saved.weekly_digest


@pytest.mark.django_db
def test_the_weekly_alert_can_be_turned_off_and_the_search_deleted(client, member):
    saved = alerts.saved_search_create(user=member, name="La mienne", query="q=x", weekly_digest=True)
    client.force_login(member)
    client.post(f"/experiences/recherches/{saved.pk}/", {})
    saved.refresh_from_db()
    assert not saved.weekly_digest
    client.post(f"/experiences/recherches/{saved.pk}/supprimer/")
    assert not SavedSearch.objects.filter(pk=saved.pk).exists()


@pytest.mark.django_db
def test_digest_sends_new_matching_fiches_once_and_only_once(member, geo, themes):
    _innovation, tiers, _dem, concertation = themes
    saved = _saved(member, "theme=tiers-lieux")
    old = fiche(title="Ancien tiers-lieu", lead_territory=geo.lyon, themes=[tiers])
    type(old).objects.filter(pk=old.pk).update(published_at=timezone.now() - datetime.timedelta(days=30))
    fiche(title="Nouveau tiers-lieu", lead_territory=geo.lyon, themes=[tiers])
    fiche(title="Concertation récente", lead_territory=geo.lyon, themes=[concertation])

    outcome = alerts.saved_search_send_digest(saved_search_id=saved.pk)
    assert outcome.sent and outcome.experiences == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [member.email]
    assert "Nouveau tiers-lieu" in message.body
    assert "Ancien tiers-lieu" not in message.body  # published before the search was saved
    assert "Concertation récente" not in message.body
    assert f"{settings.PORTAL_BASE_URL}/experiences/" in message.body

    # A second run the same week sends nothing; next week, nothing new either.
    assert not alerts.saved_search_send_digest(saved_search_id=saved.pk).sent
    later = timezone.now() + datetime.timedelta(days=7)
    assert not alerts.saved_search_send_digest(saved_search_id=saved.pk, now=later).sent
    assert len(mail.outbox) == 1
    assert SavedSearchNotification.objects.filter(saved_search=saved).count() == 1


@pytest.mark.django_db
def test_digest_never_mails_a_fiche_the_owner_may_not_read(member, org_b, geo, themes):
    tiers = themes[1]
    saved = _saved(member, "theme=tiers-lieux")
    fiche(
        title="Confidentiel B",
        lead_territory=geo.lyon,
        themes=[tiers],
        visibility="confidential",
        client_organisation=org_b,
    )
    fiche(title="Réservé aux membres", lead_territory=geo.lyon, themes=[tiers], visibility="members")
    alerts.saved_search_send_digest(saved_search_id=saved.pk)
    assert len(mail.outbox) == 1
    assert "Réservé aux membres" in mail.outbox[0].body
    assert "Confidentiel B" not in mail.outbox[0].body


@pytest.mark.django_db
def test_comparable_to_my_territory_follows_my_current_reference(member, geo, themes):
    tiers = themes[1]
    member.reference_territory = geo.mornant  # 4,323 inhabitants, rural, in the same CC as Chabanière
    member.save()
    saved = _saved(member, "theme=tiers-lieux", comparable_to_mine=True)
    fiche(title="Tiers-lieu de bourg", lead_territory=geo.chabaniere, themes=[tiers])
    fiche(title="Tiers-lieu de métropole", lead_territory=geo.lyon, themes=[tiers])
    params = alerts.saved_search_params(saved)
    assert params["ref"] == "mornant" and params["comparable"] == "2"
    alerts.saved_search_send_digest(saved_search_id=saved.pk)
    body = mail.outbox[0].body
    assert "Tiers-lieu de bourg" in body
    assert "Tiers-lieu de métropole" not in body
    member.reference_territory = geo.montpellier
    member.save()
    saved.refresh_from_db()
    assert alerts.saved_search_params(saved)["ref"] == "montpellier"


@pytest.mark.django_db
def test_digest_is_written_in_the_language_the_search_was_saved_in(member, geo, themes):
    saved = _saved(member, "theme=tiers-lieux", language="en")
    fiche(title="Tiers-lieu", title_en="A third place", lead_territory=geo.lyon, themes=[themes[1]])
    alerts.saved_search_send_digest(saved_search_id=saved.pk)
    message = mail.outbox[0]
    assert "A third place" in message.body
    assert "/en/experiences/" in message.body


@pytest.mark.django_db
def test_beat_task_queues_one_alert_per_due_search_and_is_scheduled_every_morning(member, member_b, geo, themes):
    tiers = themes[1]
    _saved(member, "theme=tiers-lieux")
    _saved(member_b, "theme=tiers-lieux")
    off = _saved(member, "q=x", name="Sans alerte")
    SavedSearch.objects.filter(pk=off.pk).update(weekly_digest=False)
    fiche(title="Nouveau", lead_territory=geo.lyon, themes=[tiers])
    assert tasks.send_saved_search_digests.delay().get() == 2  # eager in tests: the alerts run inline
    assert len(mail.outbox) == 2
    assert tasks.send_saved_search_digests.delay().get() == 0  # already run this week
    schedule = settings.CELERY_BEAT_SCHEDULE["experiences-saved-search-digests"]
    assert schedule["task"] == "experiences.tasks.send_saved_search_digests"
    assert schedule["schedule"].hour == {7} and schedule["schedule"].day_of_week == set(range(7))


@pytest.mark.django_db
def test_a_failed_sending_leaves_the_fiches_for_the_next_run(member, geo, themes, monkeypatch):
    saved = _saved(member, "theme=tiers-lieux")
    fiche(title="Nouveau", lead_territory=geo.lyon, themes=[themes[1]])

    def broken(*args, **kwargs):
        raise ConnectionError("smtp down")

    monkeypatch.setattr(alerts, "send_mail", broken)
    with pytest.raises(ConnectionError):
        alerts.saved_search_send_digest(saved_search_id=saved.pk)
    assert not SavedSearchNotification.objects.exists()
    saved.refresh_from_db()
    assert saved.last_notified_at is None
    monkeypatch.undo()
    assert alerts.saved_search_send_digest(saved_search_id=saved.pk).experiences == 1


@pytest.mark.django_db
def test_a_saved_search_is_renamed_its_alert_made_daily_and_its_criteria_kept(client, member, geo, themes):
    tiers = themes[1]
    saved = _saved(member, "q=gare&ref=chabaniere&comparable=2&sort=newest&theme=tiers-lieux", days_ago=3)
    client.force_login(member)
    page = client.get(f"/experiences/recherches/{saved.pk}/modifier/")
    assert page.status_code == 200 and page.context["query"] == saved.query
    response = client.post(
        f"/experiences/recherches/{saved.pk}/modifier/",
        {"name": "Gares comparables", "weekly_digest": "on", "alert_frequency": "daily", "query": saved.query},
    )
    assert response.status_code == 302
    saved.refresh_from_db()
    assert (saved.name, saved.alert_frequency, saved.weekly_digest) == ("Gares comparables", "daily", True)
    assert saved.query == "comparable=2&q=gare&ref=chabaniere&sort=newest&theme=tiers-lieux"
    fiche(title="Une gare", lead_territory=geo.mornant, themes=[tiers])
    now = timezone.now()
    assert alerts.due_saved_searches(now=now) == [saved.pk]
    assert alerts.saved_search_send_digest(saved_search_id=saved.pk, now=now).sent
    assert alerts.due_saved_searches(now=now + datetime.timedelta(hours=12)) == []
    assert alerts.due_saved_searches(now=now + datetime.timedelta(days=1)) == [saved.pk]  # daily: due again
    SavedSearch.objects.filter(pk=saved.pk).update(alert_frequency="weekly")
    assert alerts.due_saved_searches(now=now + datetime.timedelta(days=1)) == []  # weekly: not yet


@pytest.mark.django_db
def test_another_member_cannot_open_the_edit_form_of_my_saved_search(client, member, member_b):
    saved = alerts.saved_search_create(user=member, name="Mine", query="q=gare")
    client.force_login(member_b)
    assert client.get(f"/experiences/recherches/{saved.pk}/modifier/").status_code == 404
    assert client.post(f"/experiences/recherches/{saved.pk}/modifier/", {"name": "Theirs"}).status_code == 404
    saved.refresh_from_db()
    assert saved.name == "Mine"


@pytest.mark.django_db
def test_the_alert_replays_the_saved_reference_not_the_owners_current_one(member, geo, themes):
    tiers = themes[1]
    member.reference_territory = geo.montpellier
    member.save()
    saved = _saved(member, "theme=tiers-lieux&ref=chabaniere&comparable=1")
    fiche(title="Tiers-lieu de bourg", lead_territory=geo.mornant, themes=[tiers])
    fiche(title="Tiers-lieu de métropole", lead_territory=geo.lyon, themes=[tiers])
    alerts.saved_search_send_digest(saved_search_id=saved.pk)
    body = mail.outbox[0].body
    assert "Tiers-lieu de bourg" in body and "Tiers-lieu de métropole" not in body
    assert "ref=chabaniere" in body and "montpellier" not in body


@pytest.mark.django_db
def test_a_reopened_saved_search_takes_the_changed_criteria_with_mettre_a_jour(client, member, geo, themes):
    saved = alerts.saved_search_create(user=member, name="Gares", query="q=gare&ref=chabaniere&comparable=2")
    client.force_login(member)
    listing = client.get("/experiences/recherches/").content.decode()
    reopened_url = alerts.saved_search_url(saved, reopened=True)
    assert reopened_url.replace("&", "&amp;") in listing
    page = client.get(reopened_url.replace("comparable=2", "comparable=1") + "&sort=newest")
    body = page.content.decode()
    assert f'name="saved" value="{saved.pk}"' in body  # kept by the search form while the reader refines
    assert "Mettre à jour « Gares »" in body
    edit_url = (
        f"/experiences/recherches/{saved.pk}/modifier/?q=gare&ref=chabaniere&comparable=1&sort=newest&saved={saved.pk}"
    )
    form = client.get(edit_url)
    assert form.context["criteria_changed"]
    assert form.context["query"] == "comparable=1&q=gare&ref=chabaniere&sort=newest"
    client.post(edit_url, {"name": "Gares", "query": form.context["query"]})
    saved.refresh_from_db()
    assert saved.query == "comparable=1&q=gare&ref=chabaniere&sort=newest"
    assert "saved=" not in saved.query

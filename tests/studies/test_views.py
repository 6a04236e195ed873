"""Study pages, autosave endpoints, comparison page and the experience fiche PDF."""

from __future__ import annotations

import subprocess
import tempfile

import pytest

from accounts.roles import Role
from studies.models import ReportJob
from tests.factories import ContactFactory, CriterionFactory, ExperienceFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_consultant():
    return UserFactory(role=Role.CONSULTANT)


@pytest.fixture
def study(team_consultant):
    study = StudyFactory(title="Tiers-lieux ruraux")
    study.team.add(team_consultant)
    for position in range(1, 4):
        item = study.items.create(experience=ExperienceFactory(), position=position)
        CriterionFactory(study=study, name=f"Critère {position}").values.create(item=item, value="x")
    return study


def pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        return subprocess.run(["pdftotext", handle.name, "-"], capture_output=True, text=True, check=True).stdout


def test_study_list_shows_only_the_users_studies(
    client, study, team_consultant, consultant, django_assert_max_num_queries
):
    StudyFactory(title="Autre étude")
    client.force_login(team_consultant)
    with django_assert_max_num_queries(8):
        body = client.get("/etudes/").content.decode()
    assert "Tiers-lieux ruraux" in body and "Autre étude" not in body


def test_workspace_detail_has_a_bounded_number_of_queries(client, study, staff, django_assert_max_num_queries):
    for position in range(4, 12):
        study.items.create(experience=ExperienceFactory(), position=position)
    client.force_login(staff)
    with django_assert_max_num_queries(30):
        response = client.get(f"/etudes/{study.slug}/")
    assert response.status_code == 200
    assert "Générer le rapport" in response.content.decode()


@pytest.mark.parametrize("who", ["visitor", "member", "consultant"])
def test_every_study_url_is_404_outside_the_team(client, study, staff, who, request):
    job = ReportJob.objects.create(study=study, requested_by=staff)
    item = study.items.first()
    criterion = study.criteria.first()
    user = request.getfixturevalue(who)
    if user.is_authenticated:
        client.force_login(user)
    gets = [
        f"/etudes/{study.slug}/",
        f"/etudes/{study.slug}/modifier/",
        f"/etudes/{study.slug}/candidats/?q=a",
        f"/etudes/{study.slug}/rapports/jobs/{job.pk}/",
        f"/etudes/{study.slug}/rapports/v1.pdf",
        f"/etudes/{study.slug}/rapports/v1/",
    ]
    posts = [
        f"/etudes/{study.slug}/experiences/ajouter/",
        f"/etudes/{study.slug}/experiences/{item.pk}/notes/",
        f"/etudes/{study.slug}/grille/{criterion.pk}/{item.pk}/",
        f"/etudes/{study.slug}/conclusions/",
        f"/etudes/{study.slug}/rapports/generer/",
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, {"value": "x"}).status_code == 404, url
    assert not ReportJob.objects.exclude(pk=job.pk).exists()


def test_a_member_on_the_team_reads_the_workspace_but_gets_403_on_writes(client, study, member):
    study.team.add(member)
    client.force_login(member)
    assert client.get(f"/etudes/{study.slug}/").status_code == 200
    assert client.post(f"/etudes/{study.slug}/conclusions/", {"conclusions": "x"}).status_code == 403


def test_autosave_of_a_note_answers_json_and_keeps_the_other_fields(client, study, team_consultant):
    item = study.items.first()
    item.analysis_note = "déjà écrit"
    item.save()
    client.force_login(team_consultant)
    response = client.post(
        f"/etudes/{study.slug}/experiences/{item.pk}/notes/",
        {f"item{item.pk}-transferability": "La phase de test"},
        headers={"X-Autosave": "1"},
    )
    assert response.status_code == 200 and response.json()["ok"] is True
    item.refresh_from_db()
    assert (item.analysis_note, item.transferability) == ("déjà écrit", "<p>La phase de test</p>")


def test_autosave_of_an_invalid_criterion_answers_400_with_the_reason(client, study, team_consultant):
    first, second = study.criteria.all()[:2]
    client.force_login(team_consultant)
    response = client.post(
        f"/etudes/{study.slug}/criteres/{second.pk}/modifier/", {"name": first.name}, headers={"X-Autosave": "1"}
    )
    assert response.status_code == 400
    assert "existe déjà" in " ".join(response.json()["errors"]["name"])


def test_grid_cell_and_conclusions_save_without_javascript(client, study, team_consultant):
    item, criterion = study.items.first(), study.criteria.first()
    client.force_login(team_consultant)
    response = client.post(f"/etudes/{study.slug}/grille/{criterion.pk}/{item.pk}/", {"value": "250 000 €"})
    assert response.status_code == 302
    assert criterion.values.get(item=item).value == "250 000 €"
    # Without JavaScript the textarea takes the text form: a blank line, "- " bullets.
    client.post(
        f"/etudes/{study.slug}/conclusions/",
        {"conclusions": "Tester avant d'investir.\n\n- un pilote\n- une évaluation", "conclusions__format": "text"},
    )
    study.refresh_from_db()
    assert study.conclusions == "<p>Tester avant d'investir.</p><ul><li>un pilote</li><li>une évaluation</li></ul>"


def test_generate_button_creates_a_job_and_the_status_partial_shows_it(client, study, team_consultant, monkeypatch):
    from studies import services

    monkeypatch.setattr(services, "_enqueue_report", lambda job_id: None)
    client.force_login(team_consultant)
    response = client.post(f"/etudes/{study.slug}/rapports/generer/", headers={"HX-Request": "true"})
    job = ReportJob.objects.get()
    assert response.status_code == 200 and 'hx-trigger="every 1s"' in response.content.decode()
    status = client.get(f"/etudes/{study.slug}/rapports/jobs/{job.pk}/", headers={"Accept": "application/json"})
    assert status.json()["status"] == "queued"


def test_the_poll_that_sees_the_job_done_also_refreshes_the_versions_list(client, study, team_consultant, monkeypatch):
    from studies import services

    monkeypatch.setattr(services, "_enqueue_report", lambda job_id: None)
    client.force_login(team_consultant)
    client.post(f"/etudes/{study.slug}/rapports/generer/")
    job = ReportJob.objects.get()
    url = f"/etudes/{study.slug}/rapports/jobs/{job.pk}/"
    page = client.get(f"/etudes/{study.slug}/").content.decode()
    assert page.count('id="report-versions"') == 1 and "hx-swap-oob" not in page
    running = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'id="report-versions"' not in running
    version_id = services.report_job_run(job_id=job.pk)
    done = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'id="report-versions" hx-swap-oob="true"' in done
    version = study.versions.get(pk=version_id)
    assert f"/etudes/{study.slug}/rapports/v{version.number}.pdf" in done
    assert "Aucun rapport généré" not in done


def test_the_generate_form_offers_the_report_languages_and_passes_the_choice(
    client, study, team_consultant, monkeypatch
):
    from studies import services

    monkeypatch.setattr(services, "_enqueue_report", lambda job_id: None)
    client.force_login(team_consultant)
    page = client.get(f"/etudes/{study.slug}/").content.decode()
    assert 'name="language"' in page and 'value="en"' in page
    client.post(f"/etudes/{study.slug}/rapports/generer/", {"language": "en"})
    assert ReportJob.objects.get().language == "en"
    assert client.post(f"/etudes/{study.slug}/rapports/generer/", {"language": "xx"}).status_code == 400


def test_staff_creates_a_study_from_the_form(client, staff, org_a):
    client.force_login(staff)
    response = client.post(
        "/etudes/nouvelle/",
        {"title": "Gares rurales", "client_organisation_label": org_a.name, "question": "Comment ?", "status": "draft"},
    )
    assert response.status_code == 302 and response["Location"].endswith("/etudes/gares-rurales/")


def test_comparison_page_shows_two_to_six_visible_experiences(client, member, org_b, django_assert_max_num_queries):
    shown = [ExperienceFactory(title=f"Visible {i}") for i in range(3)]
    hidden = ExperienceFactory(title="Confidentielle B", visibility="confidential", client_organisation=org_b)
    client.force_login(member)
    ids = ",".join(str(e.pk) for e in [*shown, hidden])
    with django_assert_max_num_queries(20):
        body = client.get(f"/etudes/comparer/?ids={ids}").content.decode()
    assert all(f"Visible {i}" in body for i in range(3))
    assert "Confidentielle B" not in body
    assert client.get(f"/etudes/comparer/?ids={shown[0].pk},{hidden.pk}").status_code == 400


def test_comparison_adds_the_study_criteria_when_the_user_sees_the_study(client, study, team_consultant):
    ids = ",".join(str(i.experience_id) for i in study.items.all())
    client.force_login(team_consultant)
    body = client.get(f"/etudes/comparer/?ids={ids}&etude={study.slug}").content.decode()
    assert "Critère 1" in body
    client.force_login(UserFactory(role=Role.CONSULTANT))
    assert "Critère 1" not in client.get(f"/etudes/comparer/?ids={ids}&etude={study.slug}").content.decode()


def test_fiche_pdf_respects_visibility_and_hides_contacts_from_visitors(client, member, org_b):
    experience = ExperienceFactory(title="Gare de Felletin")
    ContactFactory(experience=experience, name="Camille Martin")
    secret = ExperienceFactory(visibility="confidential", client_organisation=org_b)
    response = client.get(f"/etudes/fiche/{experience.slug}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Gare de Felletin" in text and "Camille Martin" not in text
    assert client.get(f"/etudes/fiche/{secret.slug}.pdf").status_code == 404
    client.force_login(member)
    assert "Camille Martin" in pdf_text(client.get(f"/etudes/fiche/{experience.slug}.pdf").content)
    assert client.get(f"/etudes/fiche/{secret.slug}.pdf").status_code == 404


def test_the_readers_saved_selection_can_be_added_to_the_study_in_one_click(client, study, team_consultant):
    from experiences.models import SelectionItem

    kept = [ExperienceFactory(title=f"Gardée {i}") for i in range(2)]
    for experience in kept:
        SelectionItem.objects.create(user=team_consultant, experience=experience)
    client.force_login(team_consultant)
    body = client.get(f"/etudes/{study.slug}/").content.decode()
    assert "Ajouter les 2 expériences de ma sélection" in body
    ids = ",".join(str(e.pk) for e in kept)
    client.post(f"/etudes/{study.slug}/experiences/ajouter/", {"ids": ids})
    assert set(study.items.values_list("experience_id", flat=True)) >= {e.pk for e in kept}


def test_workspace_and_api_hide_an_experience_confidential_to_another_client(client, study, team_consultant, org_b):
    secret = ExperienceFactory(title="Projet confidentiel B", visibility="confidential", client_organisation=org_b)
    study.items.create(experience=secret, position=9, analysis_note="note secrète")
    client.force_login(team_consultant)
    body = client.get(f"/etudes/{study.slug}/").content.decode()
    assert "Projet confidentiel B" not in body and "note secrète" not in body
    assert "1 autre expérience de l’étude ne vous est pas accessible" in body
    detail = client.get(f"/api/v1/studies/{study.slug}/").json()
    assert secret.slug not in [i["experience"] for i in detail["items"]]
    hidden_item = study.items.get(experience=secret)
    assert client.post(f"/etudes/{study.slug}/experiences/{hidden_item.pk}/notes/", {}).status_code == 404

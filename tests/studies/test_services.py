"""Study services: the workspace writes, permissions, and report jobs run in-process."""

from __future__ import annotations

import subprocess

import pytest
from django.core.exceptions import PermissionDenied

from accounts.roles import Role
from studies import selectors, services
from studies.models import CriterionValue, ReportJob, ReportVersion
from tests.factories import ContactFactory, ExperienceFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_consultant():
    return UserFactory(role=Role.CONSULTANT)


@pytest.fixture
def study(team_consultant):
    study = StudyFactory(title="Tiers-lieux ruraux", question="Comment faire ?")
    study.team.add(team_consultant)
    return study


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def test_report_files_are_stored_outside_media_root(study, staff, settings):
    study.items.create(experience=ExperienceFactory(), position=1)
    job = ReportJob.objects.create(study=study, requested_by=staff, total=9)
    services.report_job_run(job_id=job.pk)
    path = ReportVersion.objects.get().file.path
    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT))


def test_report_progress_follows_the_layout_page_by_page_and_never_goes_back(study, staff, monkeypatch):
    for position in (1, 2):
        study.items.create(experience=ExperienceFactory(), position=position)
    steps: list[tuple[int, int, str]] = []
    original = services._Progress.set

    def record(self, progress, total, message, *, force=False):
        original(self, progress, total, message, force=True)  # no time throttle: every step may reach the row
        seen = ReportJob.objects.values_list("progress", "total", "message").get(pk=self.job_id)
        if not steps or seen != steps[-1]:
            steps.append(seen)  # what the page's progress bar reads

    monkeypatch.setattr(services._Progress, "set", record)
    job = ReportJob.objects.create(study=study, requested_by=staff, total=services.PROGRESS_TOTAL)
    version = ReportVersion.objects.get(pk=services.report_job_run(job_id=job.pk))
    values = [p for p, _t, _m in steps]
    assert values == sorted(values) and values[-1] < services.PROGRESS_TOTAL
    assert {t for _p, t, _m in steps} == {services.PROGRESS_TOTAL}
    pages = [m for _p, _t, m in steps if m.startswith("Mise en page : page")]
    assert pages[0] == "Mise en page : page 1" and pages[-1] == f"Mise en page : page {version.pages}"
    layout = [p for p, _t, m in steps if m.startswith("Mise en page")]
    assert min(layout) >= services.SECTIONS_SHARE and max(layout) < services.SECTIONS_SHARE + services.LAYOUT_SHARE
    assert steps[-1][2] == "Écriture du PDF"
    job.refresh_from_db()
    assert job.status == "done" and job.progress == job.total
    # The next run of the same study expects the last version's page count.
    assert services._expected_pages(study, version.snapshot) == version.pages


def test_staff_creates_a_study_and_leads_it(staff, org_a):
    study = services.study_create(by=staff, title="Gares rurales", client_organisation=org_a, question="Quoi ?")
    assert study.lead == staff and study.slug == "gares-rurales"
    again = services.study_create(by=staff, title="Gares rurales", client_organisation=org_a, question="Quoi ?")
    assert again.slug == "gares-rurales-2"


def test_a_consultant_cannot_create_a_study(consultant, org_a):
    with pytest.raises(PermissionDenied):
        services.study_create(by=consultant, title="X", client_organisation=org_a, question="Q")


def test_team_consultant_adds_only_visible_experiences_once_and_in_order(study, team_consultant, org_b):
    public = ExperienceFactory()
    draft = ExperienceFactory(status="draft", published_at=None)
    confidential = ExperienceFactory(visibility="confidential", client_organisation=org_b)
    added = services.study_add_experiences(
        study=study, experience_ids=[public.pk, draft.pk, confidential.pk, public.pk], by=team_consultant
    )
    assert [i.experience_id for i in added] == [public.pk, draft.pk]  # consultants see drafts, not others' secrets
    assert services.study_add_experiences(study=study, experience_ids=[public.pk], by=team_consultant) == []
    assert list(study.items.values_list("position", flat=True)) == [1, 2]


def test_a_consultant_outside_the_team_cannot_edit(study, consultant):
    experience = ExperienceFactory()
    with pytest.raises(PermissionDenied):
        services.study_add_experiences(study=study, experience_ids=[experience.pk], by=consultant)


def test_a_member_on_the_team_can_read_but_not_edit(study, member):
    study.team.add(member)
    assert selectors.study_can_edit(study=study, user=member) is False
    with pytest.raises(PermissionDenied):
        services.study_texts_update(study=study, by=member, conclusions="x")


def test_reorder_moves_and_removes_items(study, staff):
    experiences = [ExperienceFactory() for _ in range(3)]
    services.study_add_experiences(study=study, experience_ids=[e.pk for e in experiences], by=staff)
    first, second, third = study.items.order_by("position")
    services.study_move_item(item=third, direction=-1, by=staff)
    assert list(study.items.values_list("experience_id", flat=True)) == [
        experiences[0].pk,
        experiences[2].pk,
        experiences[1].pk,
    ]
    services.study_remove_item(item=first, by=staff)
    services.study_reorder(study=study, item_ids=[second.pk, third.pk], by=staff)
    assert list(study.items.values_list("pk", "position")) == [(second.pk, 1), (third.pk, 2)]


def test_notes_autosave_updates_only_the_fields_given(study, staff):
    item = study.items.create(experience=ExperienceFactory(), position=1, analysis_note="avant")
    services.study_item_notes_update(item=item, by=staff, transferability="La phase de test")
    item.refresh_from_db()
    # Stored in the one rich-text format; the note written directly stays as it was.
    assert (item.analysis_note, item.transferability) == ("avant", "<p>La phase de test</p>")


def test_grid_cells_are_set_once_per_criterion_and_item(study, staff):
    item = study.items.create(experience=ExperienceFactory(), position=1)
    criterion = services.criterion_create(study=study, name="Budget", by=staff)
    services.criterion_value_set(criterion=criterion, item=item, value="100 000 €", by=staff)
    services.criterion_value_set(criterion=criterion, item=item, value="120 000 €", by=staff)
    assert list(CriterionValue.objects.values_list("value", flat=True)) == ["120 000 €"]


def test_only_staff_may_include_contacts(study, team_consultant, staff):
    with pytest.raises(PermissionDenied):
        services.study_update(study=study, by=team_consultant, include_contacts=True)
    services.study_update(study=study, by=staff, include_contacts=True)
    study.refresh_from_db()
    assert study.include_contacts


def test_requesting_a_report_enqueues_after_commit_and_a_second_click_returns_the_same_job(
    study, staff, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(services, "_enqueue_report", sent.append)
    study.items.create(experience=ExperienceFactory(), position=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.report_job_request(study=study, by=staff)
        again = services.report_job_request(study=study, by=staff)
    assert job == again and job.status == "queued" and sent == []
    for callback in callbacks:
        callback()
    assert sent == [job.pk]


def test_running_a_job_twice_yields_one_version_with_file_checksum_and_snapshot(study, staff):
    study.items.create(experience=ExperienceFactory(title="Gare de Felletin"), position=1)
    job = ReportJob.objects.create(study=study, requested_by=staff, total=9)
    first = services.report_job_run(job_id=job.pk)
    second = services.report_job_run(job_id=job.pk)
    assert first == second
    version = ReportVersion.objects.get()
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 1 and job.progress == job.total
    assert version.number == 1 and version.generated_by == staff and version.pages >= 5
    import hashlib

    assert hashlib.sha256(version.file.read()).hexdigest() == version.checksum
    assert version.snapshot["items"][0]["experience"]["title"] == "Gare de Felletin"


def test_each_generation_is_a_new_version_and_changes_since_the_last_are_listed(study, staff):
    kept = ExperienceFactory(title="Gare de Felletin")
    study.items.create(experience=kept, position=1)
    for _ in range(2):
        job = ReportJob.objects.create(study=study, requested_by=staff, total=9)
        services.report_job_run(job_id=job.pk)
    assert list(study.versions.order_by("number").values_list("number", flat=True)) == [1, 2]
    kept.results = "Nouveaux résultats"
    kept.save()
    study.items.create(experience=ExperienceFactory(title="Café de Gembloux"), position=2)
    last, changes = selectors.report_changes_since_last(study=study, viewer=staff)
    assert last.number == 2
    summary = {(c.title, c.kind) for c in changes.experiences}
    assert summary == {("Gare de Felletin", "modified"), ("Café de Gembloux", "added")}
    modified = next(c for c in changes.experiences if c.kind == "modified")
    assert "résultats" in modified.fields


def test_contacts_reach_the_report_only_when_the_study_includes_them(study, staff):
    contact = ContactFactory(name="Camille Martin", experience=ExperienceFactory())
    study.items.create(experience=contact.experience, position=1)

    def render_text():
        job = ReportJob.objects.create(study=study, requested_by=staff, total=9)
        services.report_job_run(job_id=job.pk)
        path = ReportVersion.objects.get(job=job).file.path
        return subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True).stdout

    assert "Camille Martin" not in render_text()
    study.include_contacts = True
    study.save()
    assert "Camille Martin" in render_text()


def test_report_leaves_out_experiences_the_requester_may_no_longer_read(study, team_consultant, org_b):
    secret = ExperienceFactory(title="Projet secret", visibility="confidential", client_organisation=org_b)
    study.items.create(experience=secret, position=1)
    study.items.create(experience=ExperienceFactory(title="Projet public"), position=2)
    snapshot = selectors.report_snapshot(study_id=study.pk, viewer=team_consultant)
    assert [i["experience"]["title"] for i in snapshot["items"]] == ["Projet public"]
    assert snapshot["excluded"] == 1


def test_failing_a_job_never_overrides_a_finished_one(study, staff):
    job = ReportJob.objects.create(study=study, requested_by=staff, status="done")
    assert services.report_job_fail(job_id=job.pk, reason="trop tard") is False
    job.refresh_from_db()
    assert job.status == "done"


def test_a_job_interrupted_too_many_times_is_given_up(study, staff):
    job = ReportJob.objects.create(study=study, requested_by=staff, status="running", attempts=services.MAX_ATTEMPTS)
    assert services.report_job_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert job.status == "failed" and "interrompu" in job.error


def test_a_report_asked_in_english_has_english_headings_and_keeps_the_fiches_texts(study, team_consultant, monkeypatch):
    monkeypatch.setattr(services, "_enqueue_report", lambda job_id: None)
    study.items.create(experience=ExperienceFactory(title="Un tiers-lieu en gare"), position=1)
    job = services.report_job_request(study=study, by=team_consultant, language="en")
    version = ReportVersion.objects.get(pk=services.report_job_run(job_id=job.pk))
    text = subprocess.run(["pdftotext", version.file.path, "-"], capture_output=True, text=True, check=True).stdout
    assert version.language == "en" and version.file.name.endswith("-v1-en.pdf")
    assert "benchmarking study" in text.lower() and "experience fiches" in text.lower()
    assert "fiches expériences" not in text.lower()
    assert "Un tiers-lieu en gare" in text  # the fiche's own words are not translated
    # The default stays French.
    job = services.report_job_request(study=study, by=team_consultant)
    french = ReportVersion.objects.get(pk=services.report_job_run(job_id=job.pk))
    text = subprocess.run(["pdftotext", french.file.path, "-"], capture_output=True, text=True, check=True).stdout
    assert french.language == "fr" and "fiches expériences" in text.lower()


def test_an_unknown_report_language_is_refused(study, team_consultant):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.report_job_request(study=study, by=team_consultant, language="xx")
    assert not ReportJob.objects.exists()

"""What is made from a fiche obeys the fiche's visibility: report PDFs, uploaded files,
organisations typed into it; and the heavy endpoints of issue #24 have limits.

Each test is one case of the issue, with the content users bring: a PDF uploaded through
the fiche form, a fiche confidential to another organisation added to a study by staff,
a consultant on the study's team, a real report rendered by WeasyPrint.
"""

from __future__ import annotations

import io
import subprocess

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle

from accounts.roles import Role
from experiences.models import Attachment, Experience, Organisation
from studies import services as study_services
from studies.models import ReportVersion, Study
from tests.experiences.test_forms import full_post
from tests.experiences.workspace_helpers import brest, concertation, rennes, tiers_lieux  # noqa: F401 - fixtures
from tests.factories import ExperienceFactory, OrganisationFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_roots(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- 1. A study report shows a confidential fiche only to who may read it ---------------


@pytest.fixture
def report_world(monkeypatch):
    """Staff add a fiche confidential to another organisation to a study whose team has a
    consultant, and generate the report (rendered for real, in the process)."""
    monkeypatch.setattr(study_services, "_enqueue_report", lambda job_id: None)
    client_org = OrganisationFactory(name="Communauté de communes du Haut-Bugey")
    other_org = OrganisationFactory(name="Ville de Liège")
    staff = UserFactory(role=Role.STAFF)
    consultant = UserFactory(role=Role.CONSULTANT)
    member_other = UserFactory(role=Role.MEMBER, organisation=other_org)
    public = ExperienceFactory(title="Tiers-lieu de la gare de Ramillies", status="published", visibility="public")
    secret = ExperienceFactory(
        title="Concertation confidentielle zqsecretfiche",
        summary="Résumé zqsecretresume réservé à Liège.",
        status="published",
        visibility="confidential",
        client_organisation=other_org,
    )
    study = study_services.study_create(
        by=staff, title="Tiers-lieux ruraux", client_organisation=client_org, question="Quoi ?", team=[consultant]
    )
    study_services.study_add_experiences(study=study, experience_ids=[public.pk, secret.pk], by=staff)
    job = study_services.report_job_request(study=study, by=staff)
    version = ReportVersion.objects.get(pk=study_services.report_job_run(job_id=job.pk))
    return {
        "study": study,
        "version": version,
        "staff": staff,
        "consultant": consultant,
        "member_other": member_other,
        "public": public,
        "secret": secret,
    }


def test_a_report_records_the_fiches_it_contains(report_world):
    version = report_world["version"]
    assert sorted(version.experience_ids) == sorted([report_world["public"].pk, report_world["secret"].pk])


def test_a_team_consultant_gets_404_on_a_report_holding_a_fiche_confidential_to_another_organisation(
    client, report_world
):
    study, version = report_world["study"], report_world["version"]
    assert not Experience.objects.visible_to(report_world["consultant"]).filter(pk=report_world["secret"].pk).exists()
    client.force_login(report_world["consultant"])
    download = client.get(reverse("studies:report_download", args=[study.slug, version.number]))
    page = client.get(reverse("studies:report_version", args=[study.slug, version.number]))
    unknown = client.get(reverse("studies:report_download", args=[study.slug, 99]))
    assert download.status_code == page.status_code == unknown.status_code == 404
    assert b"zqsecret" not in body(download) + page.content
    # The study page lists no link to it, and says a version is reserved.
    detail = client.get(study.get_absolute_url()).content.decode()
    assert reverse("studies:report_download", args=[study.slug, version.number]) not in detail
    assert "seule l’équipe peut la télécharger" in detail
    # The API lists only the versions the caller may download.
    api = client.get(f"/api/v1/studies/{study.slug}/").json()
    assert api["versions"] == []


def test_the_study_grid_and_comparison_exports_leave_out_a_fiche_the_team_consultant_may_not_read(client, report_world):
    import io

    from openpyxl import load_workbook

    study, secret, public = report_world["study"], report_world["secret"], report_world["public"]
    client.force_login(report_world["consultant"])
    for fmt in ("xlsx", "pdf"):
        response = client.get(reverse("studies:grid_export", args=[study.slug, fmt]))
        assert response.status_code == 200
        data = body(response)
        text = (
            pdf_text(data)
            if fmt == "pdf"
            else " ".join(
                str(cell.value)
                for row in load_workbook(io.BytesIO(data)).active.iter_rows()
                for cell in row
                if cell.value
            )
        )
        assert "zqsecret" not in text
    compare = client.get(reverse("studies:compare_export", args=["xlsx"]), {"ids": [secret.pk, public.pk]})
    assert compare.status_code == 404  # one readable fiche is not a comparison
    client.force_login(report_world["staff"])  # who may read it gets it
    assert "zqsecret" in pdf_text(body(client.get(reverse("studies:grid_export", args=[study.slug, "pdf"]))))


def test_staff_download_the_same_report_as_an_attachment_with_the_confidential_fiche(client, report_world):
    study, version = report_world["study"], report_world["version"]
    client.force_login(report_world["staff"])
    response = client.get(reverse("studies:report_download", args=[study.slug, version.number]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "zqsecretfiche" in pdf_text(body(response))


def test_a_report_the_team_consultant_generates_leaves_the_hidden_fiche_out_and_is_theirs_to_download(
    client, report_world
):
    study = report_world["study"]
    job = study_services.report_job_request(study=study, by=report_world["consultant"])
    version = ReportVersion.objects.get(pk=study_services.report_job_run(job_id=job.pk))
    assert version.experience_ids == [report_world["public"].pk]
    client.force_login(report_world["consultant"])
    response = client.get(reverse("studies:report_download", args=[study.slug, version.number]))
    assert response.status_code == 200
    text = pdf_text(body(response))
    assert "Ramillies" in text and "zqsecret" not in text


def test_a_report_becomes_unreadable_when_one_of_its_fiches_becomes_confidential(client, report_world):
    study = report_world["study"]
    job = study_services.report_job_request(study=study, by=report_world["consultant"])
    version = ReportVersion.objects.get(pk=study_services.report_job_run(job_id=job.pk))
    Experience.objects.filter(pk=report_world["public"].pk).update(
        visibility="confidential", client_organisation=report_world["secret"].client_organisation
    )
    client.force_login(report_world["consultant"])
    assert client.get(reverse("studies:report_download", args=[study.slug, version.number])).status_code == 404


def test_erasing_a_contact_withdraws_the_report_pdfs_that_showed_them(
    client, report_world, django_capture_on_commit_callbacks
):
    from accounts import services as account_services
    from experiences.models import Contact

    study = report_world["study"]
    Study.objects.filter(pk=study.pk).update(include_contacts=True)
    Contact.objects.create(experience=report_world["public"], name="Camille Durand", email="camille.durand@example.org")
    job = study_services.report_job_request(study=study, by=report_world["staff"])
    version = ReportVersion.objects.get(pk=study_services.report_job_run(job_id=job.pk))
    path = version.file.path
    assert "Camille Durand" in subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True).stdout

    with django_capture_on_commit_callbacks(execute=True):
        result = account_services.contact_erase(by=report_world["staff"], email="camille.durand@example.org")
    version.refresh_from_db()
    assert result["contacts"] == 1 and result["report_versions"] >= 1
    assert version.withdrawn_at is not None and "données personnelles" in version.withdrawn_reason
    assert "camille" not in str(version.snapshot).lower()
    import os

    assert not os.path.exists(path)
    client.force_login(report_world["staff"])
    response = client.get(reverse("studies:report_download", args=[study.slug, version.number]))
    assert response.status_code == 410
    assert "retiré" in response.content.decode().lower()
    # The earlier version, made without contacts, is untouched.
    assert report_world["version"].__class__.objects.get(pk=report_world["version"].pk).withdrawn_at is None


# --- 2. Uploaded files live in private storage, served only through checked views ------


@pytest.fixture
def uploaded(client, rennes, brest, tiers_lieux, concertation):  # noqa: F811 - fixtures
    """A consultant uploads a PDF through the fiche form, on a fiche confidential to a client."""
    consultant = UserFactory(role=Role.CONSULTANT)
    client_org = OrganisationFactory(name="Ville de Rennes")
    client.force_login(consultant)
    response = client.post(
        reverse("experiences:create"), full_post(rennes, brest, [tiers_lieux, concertation], client_org)
    )
    assert response.status_code == 302
    experience = Experience.objects.get(external_ref="GARE-2024-01")
    client.logout()
    return {
        "experience": experience,
        "attachment": experience.attachments.get(),
        "consultant": consultant,
        "client": client_org,
    }


def test_an_uploaded_attachment_is_stored_outside_the_media_folder(uploaded, settings):
    attachment = uploaded["attachment"]
    path = attachment.file.path
    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not (settings.MEDIA_ROOT / attachment.file.name).exists()


@override_settings(DEBUG=True)
def test_no_media_address_serves_an_attachment_even_with_the_local_settings(uploaded, settings):
    from django.urls import clear_url_caches

    import benchmark_portal.urls

    attachment = uploaded["attachment"]
    clear_url_caches()
    import importlib

    importlib.reload(benchmark_portal.urls)
    try:
        response = Client().get(f"/media/{attachment.file.name}")
        assert response.status_code == 404
    finally:
        importlib.reload(benchmark_portal.urls)
        clear_url_caches()


@pytest.mark.parametrize(
    ("role", "status"),
    [("visitor", 404), ("member_other", 404), ("member_client", 200), ("consultant_author", 200), ("staff", 200)],
)
def test_a_confidential_attachment_downloads_only_for_who_may_read_the_fiche(uploaded, role, status):
    experience, attachment = uploaded["experience"], uploaded["attachment"]
    Experience.objects.filter(pk=experience.pk).update(status="published", published_at=experience.created_at)
    users = {
        "member_other": UserFactory(role=Role.MEMBER, organisation=OrganisationFactory(name="Autre")),
        "member_client": UserFactory(role=Role.MEMBER, organisation=uploaded["client"]),
        "consultant_author": uploaded["consultant"],
        "staff": UserFactory(role=Role.STAFF),
    }
    client = Client()
    if role in users:
        client.force_login(users[role])
    response = client.get(reverse("experiences:attachment", args=[experience.slug, attachment.pk]))
    assert response.status_code == status
    if status == 200:
        assert body(response).startswith(b"%PDF")
        assert response["Content-Disposition"].startswith("attachment;")
        assert (
            'filename="Plan du bâtiment.pdf"' in response["Content-Disposition"]
            or "filename*=" in response["Content-Disposition"]
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"


def test_the_private_root_inside_the_media_root_is_refused_by_a_system_check(settings, tmp_path):
    from core.checks import private_root_is_not_served

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "media" / "private"
    assert [e.id for e in private_root_is_not_served(None)] == ["core.E001"]
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    assert private_root_is_not_served(None) == []


def test_moving_existing_files_to_the_private_root_is_idempotent(settings):
    from core.storage import move_to_private

    public = settings.MEDIA_ROOT / "attachments" / "48"
    public.mkdir(parents=True)
    (public / "rapport-été.pdf").write_bytes(b"%PDF-1.4 ancien")
    names = ["attachments/48/rapport-été.pdf", "attachments/49/absent.pdf", "../../etc/passwd"]
    assert move_to_private(names) == {"moved": 1, "already": 0, "missing": 1}
    assert (settings.PRIVATE_MEDIA_ROOT / "attachments/48/rapport-été.pdf").read_bytes() == b"%PDF-1.4 ancien"
    assert not (public / "rapport-été.pdf").exists()
    assert move_to_private(names) == {"moved": 0, "already": 1, "missing": 1}


# --- 3. The browsable API renders no huge option list; production serves JSON only ------


def test_the_browsable_api_renders_no_list_of_territories(client):
    parent = TerritoryFactory(name="Ain", kind="department", code="01")
    from territories.models import Territory

    Territory.objects.bulk_create(
        [
            Territory(name=f"Commune {i}", slug=f"zz-commune-{i}", code=f"99{i:03d}", kind="commune", parent=parent)
            for i in range(400)
        ]
    )
    response = client.get("/api/v1/experiences/?format=api")
    assert response.status_code == 200
    assert response.content.count(b"<option") < 300
    assert b"zz-commune-399" not in response.content


def test_the_production_settings_serve_the_api_as_json_only():
    from tests.security.test_deploy_check import PRODUCTION_ENV, manage

    code = (
        "from rest_framework.settings import api_settings as s; print([r.format for r in s.DEFAULT_RENDERER_CLASSES])"
    )
    result = manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['json']"


# --- 4. Organisations typed into a draft or confidential fiche stay as visible as it ----


def test_a_funder_typed_into_a_confidential_fiche_is_invisible_to_visitors_and_other_members(uploaded):
    funder = Organisation.objects.get(name="Région Bretagne")
    assert not funder.vetted
    other = UserFactory(role=Role.MEMBER, organisation=OrganisationFactory(name="Autre commune"))
    for client in (Client(), Client()):
        if other and client is not None:
            pass
    anonymous, member = Client(), Client()
    member.force_login(other)
    for reader in (anonymous, member):
        assert funder.slug not in reader.get("/api/v1/organisations/?page_size=100").content.decode()
        assert reader.get(f"/api/v1/organisations/{funder.pk}/").status_code == 404
        assert reader.get(reverse("experiences:organisation", args=[funder.slug])).status_code == 404
    staff = Client()
    staff.force_login(UserFactory(role=Role.STAFF))
    assert staff.get(reverse("experiences:organisation", args=[funder.slug])).status_code == 200


def test_an_organisation_becomes_public_when_its_fiche_is_published_publicly_or_when_staff_vet_it(uploaded):
    funder = Organisation.objects.get(name="Région Bretagne")
    experience = uploaded["experience"]
    visitor = Client()
    assert not Organisation.objects.visible_to(None).filter(pk=funder.pk).exists()
    Experience.objects.filter(pk=experience.pk).update(
        status="published", visibility="public", client_organisation=None, published_at=experience.created_at
    )
    assert visitor.get(reverse("experiences:organisation", args=[funder.slug])).status_code == 200
    Experience.objects.filter(pk=experience.pk).update(status="draft")
    assert visitor.get(reverse("experiences:organisation", args=[funder.slug])).status_code == 404
    Organisation.objects.filter(pk=funder.pk).update(vetted=True)
    assert visitor.get(reverse("experiences:organisation", args=[funder.slug])).status_code == 200


def test_the_organisation_autocomplete_offers_no_name_from_a_fiche_the_consultant_may_not_read(client):
    other = OrganisationFactory(name="Client confidentiel")
    hidden = OrganisationFactory(name="Association zqcachée de Liège")
    secret = ExperienceFactory(status="published", visibility="confidential", client_organisation=other)
    secret.actor_links.create(organisation=hidden)
    client.force_login(UserFactory(role=Role.CONSULTANT))
    response = client.get(reverse("experiences:organisation_autocomplete"), {"q": "zqcachée"})
    assert response.json()["results"] == []


# --- 7. Heavy endpoints answer 429 with Retry-After past their allowance ---------------

RATES = {
    "anon": "100000/min",
    "user": "100000/min",
    "exports": "3/hour",
    "pdf": "3/hour",
    "reports": "3/hour",
    "imports": "3/hour",
    "password_reset": "3/hour",
}


@pytest.fixture
def tight_rates(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", RATES)
    cache.clear()
    yield
    cache.clear()


def _fourth(client, method: str, url: str, data=None):
    statuses = [getattr(client, method)(url, data or {}).status_code for _ in range(4)]
    return statuses


def test_the_partnership_selection_and_fiche_pdf_downloads_are_limited_for_visitors(tight_rates):
    fiche = ExperienceFactory(status="published", visibility="public")
    for n, url in enumerate(
        (
            reverse("partnerships:export_csv"),
            reverse("experiences:selection_export") + "?format=csv",
            reverse("studies:fiche_pdf", args=[fiche.slug]),
        )
    ):
        client = Client(REMOTE_ADDR=f"203.0.113.{n + 1}")  # exports share one allowance per address
        statuses = [client.get(url).status_code for _ in range(4)]
        assert statuses[:3] == [200] * 3 and statuses[3] == 429, (url, statuses)
        last = client.get(url)
        assert int(last["Retry-After"]) > 0
        assert "Trop de demandes" in last.content.decode()


def test_the_partnership_export_shares_its_allowance_between_the_page_and_the_api(tight_rates):
    client = Client()
    user = UserFactory(role=Role.MEMBER)
    client.force_login(user)
    assert [client.get(reverse("partnerships:export_csv")).status_code for _ in range(2)] == [200, 200]
    assert client.get("/api/v1/partnerships/export/?output=csv").status_code == 200
    assert client.get("/api/v1/partnerships/export/?output=csv").status_code == 429


def test_search_export_report_generation_import_and_password_reset_are_limited(tight_rates, monkeypatch):
    from tests.experiences.workspace_helpers import csv_bytes

    monkeypatch.setattr(study_services, "_enqueue_report", lambda job_id: None)
    consultant = UserFactory(role=Role.CONSULTANT, email="c@example.org")
    staff = UserFactory(role=Role.STAFF)
    client = Client()
    client.force_login(consultant)
    export = [client.post(reverse("experiences:export"), {"format": "csv"}).status_code for _ in range(4)]
    assert export[3] == 429 and 429 not in export[:3]
    from django.core.files.uploadedfile import SimpleUploadedFile

    imports = [
        client.post(
            reverse("experiences:import"),
            {"file": SimpleUploadedFile("fiches.csv", csv_bytes([]), content_type="text/csv")},
        ).status_code
        for _ in range(4)
    ]
    assert imports[3] == 429 and 429 not in imports[:3]
    staff_client = Client()
    staff_client.force_login(staff)
    study = study_services.study_create(
        by=staff, title="Étude", client_organisation=OrganisationFactory(), question="?"
    )
    reports = [staff_client.post(reverse("studies:report_generate", args=[study.slug])).status_code for _ in range(4)]
    assert reports[3] == 429 and 429 not in reports[:3]
    anonymous = Client()
    resets = [anonymous.post(reverse("password_reset"), {"email": "c@example.org"}).status_code for _ in range(4)]
    assert resets[:3] == [302] * 3 and resets[3] == 429
    assert anonymous.get(reverse("password_reset")).status_code == 200  # the form itself is not counted


# --- Alerts are for members --------------------------------------------------------------


def test_a_visitor_account_saves_a_search_but_gets_no_alert(client):
    from django.core.exceptions import PermissionDenied

    from experiences import alerts

    visitor = UserFactory(role=Role.VISITOR, email="v@example.org")
    client.force_login(visitor)
    form = client.get(reverse("experiences:saved_search_create") + "?q=gare").content.decode()
    assert 'name="weekly_digest"' not in form
    client.post(reverse("experiences:saved_search_create"), {"query": "q=gare", "name": "Gares", "weekly_digest": "on"})
    saved = visitor.saved_searches.get()
    assert saved.weekly_digest is False
    with pytest.raises(PermissionDenied):
        alerts.saved_search_update(saved=saved, by=visitor, weekly_digest=True)
    assert (
        client.post(reverse("experiences:saved_search_update", args=[saved.pk]), {"weekly_digest": "on"}).status_code
        == 403
    )


def test_existing_visitor_alerts_are_switched_off_and_never_sent():
    import importlib

    from django.apps import apps

    from experiences import alerts
    from experiences.models import SavedSearch

    visitor = UserFactory(role=Role.VISITOR, email="v@example.org")
    member = UserFactory(role=Role.MEMBER, email="m@example.org")
    old = SavedSearch.objects.create(user=visitor, name="Gares", query="q=gare", weekly_digest=True)
    kept = SavedSearch.objects.create(user=member, name="Gares", query="q=gare", weekly_digest=True)
    assert alerts.due_saved_searches() == [kept.pk]
    assert alerts.saved_search_send_digest(saved_search_id=old.pk).sent is False
    migration = importlib.import_module("experiences.migrations.0014_alerts_for_members_only")
    for _ in range(2):  # idempotent
        migration.switch_off_visitor_alerts(apps, None)
    old.refresh_from_db()
    kept.refresh_from_db()
    assert old.weekly_digest is False and kept.weekly_digest is True


def test_existing_report_versions_get_their_fiches_from_their_snapshot():
    import importlib

    migration = importlib.import_module("studies.migrations.0004_report_version_fiches_and_withdrawal")
    snapshot = {"items": [{"experience": {"id": 12}}, {"experience": {"id": 7}}, {"experience": {}}, {}]}
    assert migration.snapshot_experience_ids(snapshot) == [7, 12]
    assert migration.snapshot_experience_ids({}) == []
    assert Attachment  # imported for the fixtures' models

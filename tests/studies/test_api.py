"""Read-only studies API: visible_to everywhere, bounded queries."""

import pytest

from accounts.roles import Role
from studies.models import ReportJob
from tests.factories import ExperienceFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_studies_api_lists_only_the_callers_studies(client, consultant, django_assert_max_num_queries):
    mine = StudyFactory(title="La mienne")
    mine.team.add(consultant)
    StudyFactory(title="Pas la mienne")
    for position in range(5):
        mine.items.create(experience=ExperienceFactory(), position=position)
    client.force_login(consultant)
    with django_assert_max_num_queries(8):
        data = client.get("/api/v1/studies/").json()
    assert [s["title"] for s in data["results"]] == ["La mienne"]
    with django_assert_max_num_queries(8):
        detail = client.get(f"/api/v1/studies/{mine.slug}/").json()
    assert len(detail["items"]) == 5


def test_report_job_api_is_404_outside_the_team(client, staff):
    study = StudyFactory()
    job = ReportJob.objects.create(study=study, requested_by=staff)
    client.force_login(UserFactory(role=Role.CONSULTANT))
    assert client.get(f"/api/v1/report-jobs/{job.pk}/").status_code == 404
    client.force_login(staff)
    assert client.get(f"/api/v1/report-jobs/{job.pk}/").json()["status"] == "queued"


def test_studies_api_requires_authentication(client):
    assert client.get("/api/v1/studies/").status_code in (401, 403)

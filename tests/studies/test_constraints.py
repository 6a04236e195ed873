"""Database constraints and visibility of the studies app."""

import pytest
from django.db import IntegrityError, transaction

from studies.models import CriterionValue, ReportJob, ReportVersion, Study
from tests.factories import CriterionFactory, StudyExperienceFactory, StudyFactory


def violates(fn) -> bool:
    try:
        with transaction.atomic():
            fn()
    except IntegrityError:
        return True
    return False


@pytest.mark.django_db
def test_an_experience_is_retained_once_per_study():
    item = StudyExperienceFactory()
    assert violates(lambda: StudyExperienceFactory(study=item.study, experience=item.experience))


@pytest.mark.django_db
def test_criterion_names_are_unique_per_study_and_values_unique_per_cell():
    item = StudyExperienceFactory()
    criterion = CriterionFactory(study=item.study, name="Budget")
    assert violates(lambda: CriterionFactory(study=item.study, name="Budget"))
    CriterionValue.objects.create(criterion=criterion, item=item, value="120 k€")
    assert violates(lambda: CriterionValue.objects.create(criterion=criterion, item=item, value="autre"))


@pytest.mark.django_db
def test_report_versions_are_numbered_from_one_and_unique():
    study = StudyFactory()
    ReportVersion.objects.create(study=study, number=1, checksum="x" * 64)
    assert violates(lambda: ReportVersion.objects.create(study=study, number=1, checksum="y" * 64))
    assert violates(lambda: ReportVersion.objects.create(study=study, number=0, checksum="z" * 64))


@pytest.mark.django_db
def test_report_job_progress_cannot_exceed_total():
    study = StudyFactory()
    assert violates(lambda: ReportJob.objects.create(study=study, progress=5, total=3))
    assert not violates(lambda: ReportJob.objects.create(study=study, progress=3, total=3))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "sees_other_team_study"),
    [("visitor", False), ("member", False), ("consultant", False), ("staff", True)],
)
def test_studies_are_visible_to_their_team_and_to_staff_only(role, sees_other_team_study, request, consultant):
    user = request.getfixturevalue(role)
    mine = StudyFactory()
    other = StudyFactory()
    if role != "visitor":
        mine.team.add(user)
    visible = set(Study.objects.visible_to(user))
    assert (other in visible) is sees_other_team_study
    assert (mine in visible) is (role != "visitor")
    assert set(ReportJob.objects.visible_to(user)) == set()

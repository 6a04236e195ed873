"""Database constraints of the experiences app."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from experiences.models import Experience, FundingLine
from tests.factories import ExperienceFactory, OrganisationFactory, ThemeFactory


def violates(fn) -> bool:
    try:
        with transaction.atomic():
            fn()
    except IntegrityError:
        return True
    return False


@pytest.mark.django_db
def test_period_end_before_start_is_refused():
    exp = ExperienceFactory()
    exp.period_start = datetime.date(2022, 1, 1)
    exp.period_end = datetime.date(2021, 1, 1)
    assert violates(exp.save)


@pytest.mark.django_db
def test_negative_budget_is_refused():
    exp = ExperienceFactory()
    exp.budget_amount = -1
    assert violates(exp.save)


@pytest.mark.django_db
def test_confidential_experience_needs_a_client_organisation():
    assert violates(lambda: ExperienceFactory(visibility="confidential", client_organisation=None))
    assert not violates(lambda: ExperienceFactory(visibility="confidential", client_organisation=OrganisationFactory()))


@pytest.mark.django_db
def test_published_experience_needs_a_publication_date():
    assert violates(lambda: ExperienceFactory(status="published", published_at=None))
    assert not violates(lambda: ExperienceFactory(status="draft", published_at=None))


@pytest.mark.django_db
def test_funding_line_amount_cannot_be_negative():
    exp = ExperienceFactory()
    assert violates(lambda: FundingLine.objects.create(experience=exp, amount=-5))
    assert not violates(lambda: FundingLine.objects.create(experience=exp, amount=0))


@pytest.mark.django_db
def test_theme_names_are_unique_within_a_parent_and_a_theme_is_not_its_own_parent():
    root = ThemeFactory(name="Numérique")
    ThemeFactory(name="Numérique responsable", parent=root)
    assert violates(lambda: ThemeFactory(name="Numérique responsable", parent=root))

    def self_parent():
        root.parent_id = root.pk
        root.save()

    assert violates(self_parent)


@pytest.mark.django_db
def test_experience_slug_and_external_reference_are_unique():
    ExperienceFactory(slug="same", external_ref="ref-1")
    assert violates(lambda: ExperienceFactory(slug="same"))
    assert violates(lambda: ExperienceFactory(external_ref="ref-1"))
    assert Experience.objects.count() == 1

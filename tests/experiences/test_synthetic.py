"""Synthetic experiences for benchmarks: realistic, complete search columns, removable."""

import pytest

from experiences.models import SEARCH_FIELDS, Experience, SearchTerm
from experiences.search import refresh_search_fields
from experiences.synthetic import delete_synthetic_experiences, generate_synthetic_experiences
from tests.experiences.search_helpers import make_geo

pytestmark = pytest.mark.django_db


def test_synthetic_rows_carry_the_search_columns_refresh_would_compute():
    make_geo()
    assert generate_synthetic_experiences(60, seed=3, progress=False) == 60
    rows = Experience.objects.filter(external_ref__startswith="synthetic-")
    assert rows.count() == 60
    before = {e.pk: [getattr(e, name) for name in SEARCH_FIELDS] for e in rows}
    assert refresh_search_fields([e.pk for e in rows]) == 0  # nothing to rewrite
    after = {e.pk: [getattr(e, name) for name in SEARCH_FIELDS] for e in rows}
    assert before == after
    sample = rows.first()
    assert sample.search_vector and sample.search_theme_ids and sample.search_territory_kind
    assert sample.themes.exists()
    assert SearchTerm.objects.exists()


def test_a_second_batch_adds_different_rows_and_all_can_be_removed():
    make_geo()
    generate_synthetic_experiences(20, seed=0, progress=False)
    generate_synthetic_experiences(20, seed=0, progress=False)
    titles = list(Experience.objects.values_list("summary", flat=True))
    assert len(titles) == 40 and len(set(titles)) > 20
    assert delete_synthetic_experiences() == 40
    assert not Experience.objects.exists()

"""Synthetic experiences for benchmarks: realistic, complete search columns, removable."""

import pytest
from django.db import IntegrityError

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


BULK_INDEXES_SQL = "SELECT count(*) FROM pg_indexes WHERE tablename = 'experiences_experience' AND indexname = ANY(%s)"


def _search_index_count() -> int:
    from django.db import connection

    from experiences.synthetic import BULK_INDEXES

    with connection.cursor() as cursor:
        cursor.execute(BULK_INDEXES_SQL, [list(BULK_INDEXES)])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_writes_through_parallel_connections_and_rebuilds_the_indexes(monkeypatch):
    from experiences import synthetic

    make_geo()
    monkeypatch.setattr(synthetic, "BATCH", 25)
    assert generate_synthetic_experiences(180, seed=1, progress=False, writers=2, bulk_threshold=100) == 180
    rows = Experience.objects.filter(external_ref__startswith="synthetic-")
    assert rows.count() == 180
    assert len(set(rows.values_list("slug", flat=True))) == 180
    # The links were written by the same connection as their fiche and committed with it.
    assert Experience.themes.through.objects.filter(experience__in=rows).values("experience").distinct().count() == 180
    assert _search_index_count() == 3
    before = {e.pk: [getattr(e, name) for name in SEARCH_FIELDS] for e in rows}
    assert refresh_search_fields(list(before)) == 0
    assert SearchTerm.objects.exists()


def _break_row(monkeypatch, number: int, spoil) -> None:
    """Small batches, and `spoil(values)` applied to fiche `number` as it is generated."""
    from experiences import synthetic

    monkeypatch.setattr(synthetic, "BATCH", 25)
    one = synthetic._one

    def broken(rnd, *, number: int, **kwargs):
        values = one(rnd, number=number, **kwargs)
        if number == target:
            spoil(values)
        return values

    target = number
    monkeypatch.setattr(synthetic, "_one", broken)


@pytest.mark.django_db(transaction=True)
def test_a_failing_writer_rolls_back_every_writer_and_keeps_the_indexes(monkeypatch):
    make_geo()
    # Fiche 60 is in the third batch: the first writer's second one, while the other writer is fine.
    _break_row(monkeypatch, 60, lambda values: values.update(lead_territory_id=987_654_321))
    with pytest.raises(IntegrityError):
        generate_synthetic_experiences(180, seed=1, progress=False, writers=2, bulk_threshold=100)
    assert not Experience.objects.exists()
    assert _search_index_count() == 3


@pytest.mark.django_db(transaction=True)
def test_an_error_while_generating_rolls_back_the_writers(monkeypatch):
    def fail(values):
        raise ValueError("generator failed")

    make_geo()
    _break_row(monkeypatch, 120, fail)
    with pytest.raises(ValueError, match="generator failed"):
        generate_synthetic_experiences(180, seed=1, progress=False, writers=2, bulk_threshold=100)
    assert not Experience.objects.exists()
    assert _search_index_count() == 3


def test_a_registry_column_the_generator_does_not_compute_is_filled_by_the_refresh(monkeypatch):
    from experiences import synthetic

    make_geo()
    # As if "search_country" were a new facet's column that _one() does not write yet.
    monkeypatch.setattr(synthetic, "COMPUTED_COLUMNS", synthetic.COMPUTED_COLUMNS - {"search_country"})
    real_row = synthetic._one

    def row_without_country(*args, **kwargs):
        values = real_row(*args, **kwargs)
        values["search_country"] = ""
        return values

    monkeypatch.setattr(synthetic, "_one", row_without_country)
    assert generate_synthetic_experiences(10, seed=5, progress=False) == 10
    rows = Experience.objects.filter(external_ref__startswith="synthetic-")
    assert all(e.search_country for e in rows)
    assert refresh_search_fields([e.pk for e in rows]) == 0

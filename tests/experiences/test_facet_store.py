"""The in-memory facet store: the same counts as SQL, fresh after every write, visibility kept."""

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from experiences import facet_store, search
from experiences.search import SearchSpec, run_search
from tests.experiences.search_helpers import fiche, make_geo, theme_tree
from tests.factories import OrganisationFactory, TagFactory

pytestmark = pytest.mark.django_db


def counts(result) -> dict[str, list]:
    return {name: sorted(values, key=repr) for name, values in result.facets.items()}


@pytest.fixture
def corpus(org_a):
    geo = make_geo()
    _i, tiers, _d, concertation = theme_tree()
    rare, common = TagFactory(name="rare", slug="rare"), TagFactory(name="commun", slug="commun")
    association = OrganisationFactory(kind="association")
    fiches = [
        fiche(title="gare de Chabanière", lead_territory=geo.chabaniere, themes=[tiers], tags=[common, rare]),
        fiche(title="gare de Lyon", lead_territory=geo.lyon, themes=[concertation, tiers], tags=[common]),
        fiche(title="gare du village", lead_territory=geo.village, budget_amount=45_000),
        fiche(title="gare de l’Isère", lead_territory=geo.neighbour, budget_amount=None, tags=[]),
        fiche(title="gare secrète", visibility="confidential", client_organisation=org_a, tags=[rare]),
        fiche(title="gare en brouillon", status="draft", published_at=None, themes=[concertation]),
    ]
    fiches[0].actor_links.create(organisation=association, role="partner")
    search.refresh_search_fields([fiches[0].pk])
    return geo, fiches


@pytest.mark.parametrize("text", ["gare", "Lyon", ""])
def test_store_counts_equal_the_sql_counts_for_every_facet(visitor, member, consultant, corpus, text):
    for viewer in (visitor, member, consultant):
        spec = SearchSpec(viewer=viewer, text=text)
        from_store, from_sql = run_search(spec), run_search(spec, facets_in_sql=True)
        assert from_store.total == from_sql.total
        assert from_store.hits == from_sql.hits
        assert counts(from_store) == counts(from_sql)
        assert set(from_store.facets) == set(search.FACET_COLUMNS)


def test_store_never_counts_a_fiche_the_reader_cannot_see(visitor, member, corpus):
    anonymous = run_search(SearchSpec(viewer=visitor, text="gare"))
    assert anonymous.total == 4
    assert sum(n for _v, n in anonymous.facets["project_status"]) == 4
    # "rare" is on the confidential fiche and one public fiche: one for a visitor, two for the client's member.
    rare = TagFactory._meta.model.objects.get(slug="rare").pk
    assert dict(anonymous.facets["tag"])[rare] == 1
    assert dict(run_search(SearchSpec(viewer=member, text="gare")).facets["tag"])[rare] == 2


def test_counts_follow_a_write_at_the_next_search(visitor, corpus):
    geo, fiches = corpus
    before = run_search(SearchSpec(viewer=visitor, text="gare"))
    assert dict(before.facets["department"])[geo.herault.pk] == 1
    fiches[0].lead_territory = geo.montpellier
    fiches[0].save()
    search.refresh_search_fields([fiches[0].pk])
    after = run_search(SearchSpec(viewer=visitor, text="gare"))
    assert after.generation != before.generation
    assert dict(after.facets["department"])[geo.herault.pk] == 2
    assert dict(after.facets["department"])[geo.rhone.pk] == 1
    assert counts(after) == counts(run_search(SearchSpec(viewer=visitor, text="gare"), facets_in_sql=True))


def test_a_fiche_the_store_does_not_know_is_counted_in_sql(visitor, corpus):
    spec = SearchSpec(viewer=visitor, text="gare")
    first = run_search(spec)
    stale = facet_store.store_for(first.generation, search.FACET_COLUMNS)
    fiche(title="gare nouvelle", lead_territory=corpus[0].isere)
    # As if the store had been read after the write but the statement saw the old generation.
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM experiences_search_generation")
        stale.generation = cursor.fetchone()[0]
    facet_store._STORE = stale
    with CaptureQueriesContext(connection) as queries:
        result = run_search(spec)
    assert result.total == 5
    assert dict(result.facets["department"])[corpus[0].isere.pk] == 2  # with the new one
    assert any("GROUPING SETS" in q["sql"] for q in queries.captured_queries)  # counted by SQL this time


def test_array_counts_cover_rows_of_every_length():
    column = facet_store._Column(["a", "b", "c"], np.array([0, 1, 1, 2, 0], dtype=np.int32))
    # rows: [a, b], [], [b, c], [a]
    column.offsets = np.array([0, 2, 2, 4, 5])
    store = facet_store.FacetStore(1, np.array([0, 1, 2, 3]), {"x": column})
    assert store.counts("x", np.array([0, 1, 2, 3])) == [("a", 2), ("b", 2), ("c", 1)]
    assert store.counts("x", np.array([1])) == []
    assert store.counts("x", np.array([2, 2])) == [("b", 2), ("c", 2)]
    assert store.rows(np.array([4])) is None  # an id beyond the store


def _all_counts(store) -> dict[str, list]:
    rows = store.rows(np.flatnonzero(store.position >= 0))
    return {name: sorted(store.counts(name, rows), key=repr) for name in search.FACET_COLUMNS}


@pytest.mark.django_db(transaction=True)
def test_a_write_refreshes_the_store_with_the_written_rows_only(visitor, member, consultant, org_a):
    geo = make_geo()
    _i, tiers, _d, concertation = theme_tree()
    fiches = [fiche(title=f"gare {n}", lead_territory=geo.chabaniere, themes=[tiers]) for n in range(9)]
    facet_store._STORE = None  # not one left by an earlier test: this one starts with a whole read
    spec = SearchSpec(viewer=visitor, text="gare")
    first = run_search(spec)
    full = facet_store._STORE
    assert full.generation == first.generation and full.read_rows == 9
    # One fiche changes its scalar and array keys, and a new one arrives with a new tag.
    tag = TagFactory(name="nouveau")
    fiches[1].tags.add(tag)
    fiches[1].themes.set([concertation])
    fiches[1].lead_territory = geo.lyon
    fiches[1].save()
    search.refresh_search_fields([fiches[1].pk])
    fiche(title="gare neuve", lead_territory=geo.montpellier, tags=[tag], themes=[])
    after = run_search(spec)
    refreshed = facet_store._STORE
    assert refreshed is not full and refreshed.generation == after.generation
    assert refreshed.read_rows == 2  # the changed fiche and the new one, not the table
    assert full.read_rows == 9 and full.n_rows == 9  # the old store is left as it was
    assert _all_counts(refreshed) == _all_counts(facet_store.load(after.generation, search.FACET_COLUMNS))
    for viewer in (visitor, member, consultant):
        for text in ("gare", "neuve", ""):
            viewer_spec = SearchSpec(viewer=viewer, text=text)
            assert counts(run_search(viewer_spec)) == counts(run_search(viewer_spec, facets_in_sql=True))
    # When more than a quarter of the rows changed, the table is read again whole.
    search.refresh_search_fields([f.pk for f in fiches])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE experiences_experience SET title = title || ' bis' WHERE id <= %s", [fiches[4].pk])
    run_search(spec)
    assert facet_store._STORE.read_rows == 10


def test_patched_arrays_keep_other_rows_and_append_new_ones():
    old = facet_store._Column(["a", "b", "c"], np.array([0, 1, 1, 2, 0], dtype=np.int32))
    old.offsets = np.array([0, 2, 2, 4, 5])  # rows: [a, b], [], [b, c], [a]
    # Row 0 emptied, row 1 filled, row 4 appended; rows 2 and 3 unchanged.
    flat, offsets = facet_store._patched_arrays(old, 5, np.array([0, 1, 4]), [[], [2, 2], [1]])
    rows = [flat[offsets[r] : offsets[r + 1]].tolist() for r in range(5)]
    assert rows == [[], [2, 2], [1, 2], [0], [1]]

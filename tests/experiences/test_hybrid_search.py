"""Hybrid search in the search statement itself (experiences.search.run_search): a text query
matches fiches by their words or by their meaning, ranked by reciprocal rank fusion, with
visibility, filters, facets and counts over the fused set, and a words-only switch."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict
from django.urls import reverse

from accounts.roles import Role
from experiences.selectors import experience_search
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DUTCH = "derde plek in een oud station"  # no word in common with the French fiche


def search(viewer, query: str):
    return experience_search(viewer=viewer, params=QueryDict(query))


def facet(result, name: str) -> dict:
    found = next(f for f in result.facets if f.name == name)
    return {v.value: v.count for v in found.values}


def test_a_dutch_query_finds_the_french_fiche_by_meaning_and_says_so(world):
    result = search(AnonymousUser(), f"q={DUTCH}")
    assert result.experiences[0].pk == world["gare"].pk
    first = result.experiences[0]
    assert first.matched_meaning and not first.matched_words
    assert first.snippet is None and first.title_html is None  # no highlight of words that did not match
    assert result.total == len(result.experiences)  # the fused set is what is counted
    assert sum(facet(result, "country").values()) == result.total


def test_words_only_switches_meaning_off(world):
    assert search(AnonymousUser(), f"q={DUTCH}&match=words").total == 0
    words = search(AnonymousUser(), "q=régie agricole municipale&match=words")
    assert [e.pk for e in words.experiences] == [world["cantine"].pk]
    assert words.experiences[0].matched_words and not words.experiences[0].matched_meaning


def test_an_exact_french_phrase_matches_by_words_and_meaning_and_ranks_first(world):
    result = search(AnonymousUser(), "q=régie agricole municipale")
    first = result.experiences[0]
    assert first.pk == world["cantine"].pk
    assert first.matched_words and first.matched_meaning


def test_filters_apply_to_fiches_found_by_meaning(world):
    french_only = search(AnonymousUser(), f"q={DUTCH}&country=FR")
    assert world["gare"].pk not in [e.pk for e in french_only.experiences]
    belgian = search(AnonymousUser(), f"q={DUTCH}&country=BE")
    assert world["gare"].pk in [e.pk for e in belgian.experiences]


def test_a_confidential_fiche_is_never_found_or_counted_by_meaning_for_someone_who_cannot_read_it(world, insider):
    query = "q=gare désaffectée transformée en tiers-lieu"
    for outsider in (AnonymousUser(), UserFactory(role=Role.CONSULTANT), UserFactory(role=Role.MEMBER)):
        result = search(outsider, query)
        assert world["secret"].pk not in [e.pk for e in result.experiences]
        assert result.total == len(result.experiences)
        assert sum(facet(result, "country").values()) == result.total
    inside = search(insider, query)
    assert world["secret"].pk in [e.pk for e in inside.experiences]


def test_the_api_says_why_each_hit_matched(world, client):
    hits = client.get("/api/v1/experiences/", {"q": DUTCH}).json()["results"]
    assert hits[0]["id"] == world["gare"].pk
    assert hits[0]["matched_meaning"] is True and hits[0]["matched_words"] is False
    words = client.get("/api/v1/experiences/", {"q": "régie agricole municipale", "match": "words"}).json()["results"]
    assert [(h["matched_words"], h["matched_meaning"]) for h in words] == [(True, False)]


def test_the_page_shows_why_a_fiche_matched_and_offers_words_only_in_both_languages(world, client):
    page = client.get(reverse("experiences:list"), {"q": DUTCH}).content.decode()
    assert 'class="badge badge-meaning">Sens proche' in page and "Mots seulement" in page and "match=words" in page
    words = client.get(reverse("experiences:list"), {"q": DUTCH, "match": "words"}).content.decode()
    assert "badge-meaning" not in words and "Chercher aussi par le sens" in words
    english = client.get("/en" + reverse("experiences:list"), {"q": DUTCH}).content.decode()
    assert 'class="badge badge-meaning">Close in meaning' in english and "Words only" in english


def test_every_page_of_a_hybrid_search_follows_the_order_of_its_export(world, monkeypatch):
    """The first pages are ordered among the fiches ranked by words or meaning only, later ones
    among every match: both must give the export's order (DEPTH made small to reach both)."""
    from experiences import services
    from experiences.search import search_ids
    from experiences.semantic import hybrid, jobs
    from tests.factories import ExperienceFactory

    extra = [
        ExperienceFactory(title=f"Une gare {n} devient un lieu de services", summary="Gare et services au village.")
        for n in range(12)
    ]
    services.refresh_derived_fields([e.pk for e in extra])
    jobs.embed_experiences([e.pk for e in extra])
    monkeypatch.setattr(hybrid, "DEPTH", 4)
    query = "q=gare services"  # more fiches with the words than DEPTH
    expected = search_ids(params=QueryDict(query), viewer=AnonymousUser())
    assert len(expected) > 2 * hybrid.DEPTH  # more than the words and meaning rankings hold
    pages = []
    for number in range(1, 7):
        result = search(AnonymousUser(), f"{query}&page_size=3&page={number}")
        pages += [e.pk for e in result.experiences]
    assert pages == expected

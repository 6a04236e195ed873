"""Comparable experiences: ranking, explanation, the comparable-only filter and its rescue, similar fiches."""

import pytest
from django.http import QueryDict

from experiences.comparability import Reference
from experiences.search import refresh_search_fields
from experiences.selectors import experience_search, similar_experiences
from tests.experiences.search_helpers import fiche, make_geo, theme_tree
from tests.factories import TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def geo():
    return make_geo()


def search(viewer, query: str = ""):
    return experience_search(viewer=viewer, params=QueryDict(query))


def test_results_are_ranked_by_territory_comparability(visitor, geo):
    fiche(title="gare Lyon", lead_territory=geo.lyon)
    fiche(title="gare village", lead_territory=geo.village)
    fiche(title="gare Mornant", lead_territory=geo.mornant)
    fiche(title="gare Abrets", lead_territory=geo.neighbour)
    fiche(title="gare CC", lead_territory=geo.cc_vallons)
    result = search(visitor, "q=gare&ref=chabaniere&sort=comparability")
    ranked = [e.title for e in result.experiences]
    # Same kind, close population, same density class; same département beats same région.
    assert ranked[:2] == ["gare Mornant", "gare Abrets"]
    assert ranked[-1] in ("gare Lyon", "gare village")
    assert result.experiences[0].comparability > result.experiences[-1].comparability


def test_each_result_says_why_it_is_comparable(visitor, geo):
    fiche(title="gare Mornant", lead_territory=geo.mornant)
    hit = search(visitor, "q=gare&ref=chabaniere").experiences[0]
    assert hit.comparability_reason == (
        "commune de 4\u202f323 hab. — la vôtre : 3\u202f900 ; rurale ; même intercommunalité ; même département"
    )


def test_a_commune_and_its_own_epci_are_related(visitor, geo):
    fiche(title="projet CC", lead_territory=geo.cc_vallons)
    fiche(title="projet département", lead_territory=geo.herault)
    result = search(visitor, "ref=chabaniere&sort=comparability")
    assert [e.title for e in result.experiences] == ["projet CC", "projet département"]
    assert "votre intercommunalité" in result.experiences[0].comparability_reason


def test_reference_without_text_sorts_by_comparability_by_default(visitor, geo):
    fiche(title="Lyon", lead_territory=geo.lyon)
    fiche(title="Mornant", lead_territory=geo.mornant)
    result = search(visitor, "ref=chabaniere")
    assert result.sort == "comparability"
    assert [e.title for e in result.experiences] == ["Mornant", "Lyon"]


def test_relevance_combines_text_and_comparability(visitor, geo):
    fiche(title="gare", summary="gare gare", lead_territory=geo.lyon)
    fiche(title="gare", summary="gare gare", lead_territory=geo.mornant)
    result = search(visitor, "q=gare&ref=chabaniere&sort=relevance")
    assert [e.lead_territory.name for e in result.experiences] == ["Mornant", "Lyon"]


def test_comparable_only_filter_keeps_comparable_territories(visitor, geo):
    fiche(title="Mornant", lead_territory=geo.mornant)
    fiche(title="Lyon", lead_territory=geo.lyon)
    fiche(title="village", lead_territory=geo.village)
    assert [e.title for e in search(visitor, "ref=chabaniere&comparable=1").experiences] == ["Mornant"]


def test_empty_comparable_search_offers_the_nearest_wider_band(visitor, geo):
    # 3 900 × 4 > 12 000 > 3 900 × 2: not "très comparable", but "proche".
    town = make_town(geo, population=12_000)
    fiche(title="gare bourg", lead_territory=town)
    fiche(title="gare Lyon", lead_territory=geo.lyon)
    result = search(visitor, "q=gare&ref=chabaniere&comparable=1")
    assert result.total == 0
    assert result.rescue == (2, 1)
    assert "comparable=2" in result.rescue_query
    assert search(visitor, result.rescue_query).total == 1


def test_rescue_falls_back_to_no_filter_when_no_band_has_results(visitor, geo):
    fiche(title="gare Lyon", lead_territory=geo.lyon)
    result = search(visitor, "q=gare&ref=chabaniere&comparable=1")
    assert result.rescue == (0, 1)
    assert "comparable" not in QueryDict(result.rescue_query)


def make_town(geo, population):
    from tests.factories import TerritoryFactory

    return TerritoryFactory(
        code="69999", name="Bourg", slug="bourg", parent=geo.rhone, population=population, area_km2=100.0
    )


def test_remembered_reference_is_used_unless_the_url_says_otherwise(member, geo):
    member.reference_territory = geo.chabaniere
    member.save()
    fiche(title="Mornant", lead_territory=geo.mornant)
    assert search(member, "").reference.territory == geo.chabaniere
    assert search(member, "ref=").reference is None


def test_typed_territory_name_is_resolved_without_javascript(visitor, geo):
    fiche(title="Mornant", lead_territory=geo.mornant)
    result = search(visitor, "ref_q=chabaniere")
    assert result.reference.territory == geo.chabaniere
    assert result.params["ref"] == "chabaniere"


def test_reference_profile_reads_parents(geo):
    ref = Reference.of(geo.chabaniere)
    assert (ref.kind, ref.population, ref.density_class) == ("commune", 3_900, "rural")
    assert (ref.department_id, ref.region_id, ref.epci_id, ref.epci_type) == (
        geo.rhone.pk,
        geo.ara.pk,
        geo.cc_vallons.pk,
        "CC",
    )


# --- Similar experiences -----------------------------------------------------------


def test_similar_experiences_share_content_and_explain_why(visitor, geo):
    _i, tiers, _d, concertation = theme_tree()
    gare = TagFactory(name="ancienne gare", slug="ancienne-gare")
    source = fiche(title="Un tiers-lieu dans la gare", lead_territory=geo.chabaniere, themes=[tiers], tags=[gare])
    twin = fiche(title="Un tiers-lieu en gare", lead_territory=geo.mornant, themes=[tiers], tags=[gare])
    cousin = fiche(title="Un fablab", lead_territory=geo.lyon, themes=[tiers])
    fiche(title="Une concertation", lead_territory=geo.village, themes=[concertation])
    similar = similar_experiences(experience=source, viewer=visitor)
    assert [s.experience for s in similar][:2] == [twin, cousin]
    assert "Tiers-lieux" in similar[0].reason and "ancienne gare" in similar[0].reason
    assert "commune de 4\u202f323 hab." in similar[0].reason
    assert source not in [s.experience for s in similar]


def test_similar_experiences_are_visible_ones_only(visitor, member, geo, org_a):
    _i, tiers, _d, _c = theme_tree()
    source = fiche(title="source", lead_territory=geo.chabaniere, themes=[tiers])
    secret = fiche(title="secret", themes=[tiers], visibility="confidential", client_organisation=org_a)
    draft = fiche(title="draft", themes=[tiers], status="draft", published_at=None)
    shown = fiche(title="shown", themes=[tiers])
    assert [s.experience for s in similar_experiences(experience=source, viewer=visitor)] == [shown]
    assert secret in [s.experience for s in similar_experiences(experience=source, viewer=member)]
    assert draft not in [s.experience for s in similar_experiences(experience=source, viewer=member)]


def test_at_most_five_similar_experiences(visitor, geo):
    _i, tiers, _d, _c = theme_tree()
    source = fiche(title="source", themes=[tiers])
    for n in range(8):
        fiche(title=f"other {n}", themes=[tiers])
    assert len(similar_experiences(experience=source, viewer=visitor)) == 5
    refresh_search_fields([source.pk])


def test_a_common_tag_takes_its_newest_fiches_and_a_rare_one_all_of_its(visitor, geo, monkeypatch):
    from experiences.search import engine

    monkeypatch.setattr(engine, "SIMILAR_PER_KEY", 3)
    common, rare = TagFactory(name="tiers-lieu"), TagFactory(name="halle ferroviaire")
    old_twin = fiche(title="alpha", tags=[common, rare])  # the oldest fiche sharing the common tag
    older = [fiche(title=f"beta {n}", tags=[common]) for n in range(2)]
    newest = [fiche(title=f"gamma {n}", tags=[common]) for n in range(3)]
    source = fiche(title="delta", tags=[common, rare])
    found = [s.experience for s in similar_experiences(experience=source, viewer=visitor)]
    # Three fiches per key: the common tag brings the three newest, the rare one its only other fiche.
    assert set(found) == {old_twin, *newest}
    assert found[0] == old_twin  # two shared tags rank first
    assert not set(older) & set(found)


def test_title_words_bring_candidates_only_while_few_fiches_share_a_key(visitor, geo, monkeypatch):
    from experiences.search import engine

    common = TagFactory(name="halle")
    source = fiche(title="Une recyclerie solidaire", tags=[common])
    wordy = fiche(title="Recyclerie et ressourcerie")  # shares no tag or theme, only a title word
    assert wordy in [s.experience for s in similar_experiences(experience=source, viewer=visitor)]
    # Four candidates are kept before the visibility check: four fiches sharing the tag fill them.
    monkeypatch.setattr(engine, "SIMILAR_CANDIDATES", 1)
    sharing = [fiche(title=f"halle {n}", tags=[common]) for n in range(4)]
    found = [s.experience for s in similar_experiences(experience=source, viewer=visitor)]
    assert wordy not in found and found[0] in sharing

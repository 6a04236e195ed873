"""Every read path of a search finds the same fiches: a property test across roles, and the
ten cases of issue #22, each as a user met it."""

import itertools
import uuid

import pytest
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiences import alerts, exports, highlight, selectors_map
from experiences.models import Experience
from experiences.search import rebuild_search_terms
from experiences.selectors import experience_search
from tests.experiences.search_helpers import fiche, make_geo, theme_tree
from tests.factories import TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org_a, org_b):
    geo = make_geo()
    _innovation, tiers, _democratie, concertation = theme_tree()
    author = UserFactory(role="consultant")
    gesves = TerritoryFactory(country="BE", code="92054", name="Gesves", slug="gesves", population=7_000)
    places = [geo.chabaniere, geo.mornant, geo.lyon, geo.village, geo.neighbour, geo.cc_vallons, gesves]
    kinds = [
        {},
        {"visibility": "members"},
        {"visibility": "confidential", "client_organisation": org_a},
        {"visibility": "confidential", "client_organisation": org_b, "author": author},
        {"status": "draft"},
        {"language": "en", "title_en": "A former railway station"},
    ]
    texts = [
        ("Une ancienne gare devenue tiers-lieu", "Les habitants à l'école de la gare."),
        ("Concertation sur le marché", "Le la les habitants ont voté."),
        ("Végétaliser la cour de l'école", "Une cour d'école plus fraîche."),
    ]
    for n, (place, kind, (title, summary)) in enumerate(
        zip(itertools.cycle(places), itertools.islice(itertools.cycle(kinds), 14), itertools.cycle(texts))
    ):
        fiche(
            title=f"{title} {n}",
            summary=summary,
            lead_territory=place,
            themes=[tiers if n % 2 else concertation],
            **kind,
        )
    rebuild_search_terms()
    return geo, author


PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "q": st.sampled_from(["gare", "les", "le la les", "a l'ecole", "à l'école", "tiers-lieux", "gares OR marché"]),
        "theme": st.sampled_from(["tiers-lieux", "concertation", "innovation-territoriale"]),
        "department": st.sampled_from(["departement-rhone", "departement-herault"]),
        "language": st.sampled_from(["fr", "en"]),
        "country": st.sampled_from(["FR", "BE"]),
        "ref": st.sampled_from(["chabaniere", "gesves", ""]),
        "comparable": st.sampled_from(["1", "2", "3"]),
        "sort": st.sampled_from(["relevance", "newest", "comparability"]),
    },
)


def _viewers(member, consultant, staff, visitor, geo):
    member.reference_territory = geo.mornant  # a remembered collectivité: the page applies it by default
    member.save()
    return {"visitor": visitor, "member": member, "consultant": consultant, "staff": staff}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=PARAMS)
def test_page_api_export_map_and_saved_search_replay_find_the_same_fiches(
    client, world, member, consultant, staff, visitor, params
):
    geo, _author = world
    query = QueryDict(mutable=True)
    query.update(params)
    query["page_size"] = "100"
    for role, viewer in _viewers(member, consultant, staff, visitor, geo).items():
        client.logout()
        if viewer.is_authenticated:
            client.force_login(viewer)
        page = experience_search(viewer=viewer, params=query)
        assert page.valid, page.errors
        ids = [e.pk for e in page.experiences]
        assert len(ids) == page.total, role
        api = client.get("/api/v1/experiences/?" + query.urlencode()).json()
        assert [hit["id"] for hit in api["results"]] == ids, (role, params)
        assert exports.export_queryset(viewer=viewer, params=query).ids == ids, (role, params)
        searched = selectors_map.search_map(viewer=viewer, params=query)
        placed = (searched.map.total if searched.map else 0) + searched.unplaced
        assert placed + sum(g.count for g in searched.elsewhere) == page.total, (role, params)
        if viewer.is_authenticated:
            form = client.get("/experiences/recherches/enregistrer/?" + query.urlencode())
            saved = alerts.saved_search_create(user=viewer, name=uuid.uuid4().hex, query=form.context["query"])
            replay = experience_search(viewer=viewer, params=alerts.saved_search_params(saved))
            assert sorted(e.pk for e in replay.experiences) == sorted(ids), (role, params, saved.query)
            saved.delete()


# --- The ten cases of the issue ---------------------------------------------------------------


def test_case_1_comparable_search_exports_what_the_page_shows(client, member):
    geo = make_geo()
    near = fiche(title="Halle de bourg", lead_territory=geo.mornant)
    fiche(title="Halle de métropole", lead_territory=geo.lyon)
    fiche(title="Halle de village", lead_territory=geo.village)
    client.force_login(member)
    page = client.get("/experiences/?ref=chabaniere&comparable=1").context["result"]
    assert [e.pk for e in page.experiences] == [near.pk]
    response = client.post("/experiences/export/?ref=chabaniere&comparable=1", {"format": "json"})
    assert [e["titre"] for e in response.json()["experiences"]] == ["Halle de bourg"]


def test_case_2_a_facet_is_declared_once_in_the_registry():
    from experiences.filtersets import ExperienceFilterSet
    from experiences.search import engine, registry
    from experiences.search.results import _static_labels

    for facet in registry.FACETS:
        assert ExperienceFilterSet.base_filters[facet.name].label == facet.label
        assert engine.FACET_COLUMNS[facet.name][0] == facet.column
        assert facet.name in _static_labels()["_facet"]
        if facet.compute:
            assert f"{facet.compute} AS {facet.column}" in engine._REFRESH_SQL


def test_case_3_a_saved_comparable_search_reopens_on_its_own_territory(client, member):
    geo = make_geo()
    lhuis = TerritoryFactory(code="01212", name="Lhuis", slug="lhuis", parent=geo.isere, population=900)
    bourganeuf = TerritoryFactory(code="23030", name="Bourganeuf", slug="bourganeuf-23030", population=2_500)
    member.reference_territory = lhuis
    member.save()
    client.force_login(member)
    form = client.get("/experiences/recherches/enregistrer/", {"q": "tiers-lieu", "comparable": "1"})
    assert "comparable_to_mine" not in [k for k, v in form.context["form"].initial.items() if v]
    client.post(
        "/experiences/recherches/enregistrer/",
        {"query": form.context["query"], "name": "tiers-lieu · comparables à Lhuis", "weekly_digest": "on"},
    )
    saved = member.saved_searches.get()
    member.reference_territory = bourganeuf  # the member moves on
    member.save()
    saved.refresh_from_db()
    url = alerts.saved_search_url(saved)
    assert "ref=lhuis" in url and "comparable=1" in url and "bourganeuf" not in url
    reopened = client.get(url).context["result"]
    assert reopened.reference.territory == lhuis and reopened.comparable_level == 1


def test_case_4_the_results_offer_an_exporter_control(client, member):
    fiche(title="Une gare")
    client.force_login(member)
    body = client.get("/experiences/?q=gare").content.decode()
    assert '<form id="export-results" method="post" action="/experiences/export/?q=gare"' in body
    for fmt in ("csv", "xlsx", "json"):
        assert f'form="export-results" name="format" value="{fmt}"' in body
    assert "Exporter" in body
    assert 'value="json"' in client.get("/en/experiences/?q=gare").content.decode()


@pytest.mark.parametrize("query", ["les", "le la les", "à la", "A LA"])
def test_case_5_a_query_of_stop_words_is_no_text_and_says_so(client, query):
    fiche(title="Les halles", summary="Le marché couvert.")
    fiche(title="Une gare", summary="Des trains.")
    response = client.get("/experiences/", {"q": query})
    result = response.context["result"]
    assert result.stop_words_only and result.total == 2
    assert "ne contient que des mots trop courants" in response.content.decode()
    api = client.get("/api/v1/experiences/", {"q": query}).json()
    assert api["stop_words_only"] and api["total"] == 2


def test_case_6_a_stop_word_typed_without_its_accent_is_not_required(visitor):
    fiche(title="Végétaliser la cour de l'école", summary="Une cour d'école plus fraîche.")
    fiche(title="L'école du numérique", summary="Des ateliers.")
    fiche(title="Une école de musique", summary="Il a ouvert.")
    accented = {e.pk for e in experience_search(viewer=visitor, params=QueryDict("q=à l'école")).experiences}
    plain = {e.pk for e in experience_search(viewer=visitor, params=QueryDict("q=a l'ecole")).experiences}
    assert plain == accented and len(plain) == 3


def test_case_7_no_suggestion_of_another_spelling_of_what_already_matched(visitor):
    fiche(title="Les écoles du quartier", summary="Trois écoles.")
    fiche(title="L'école ouverte")
    rebuild_search_terms()
    result = experience_search(viewer=visitor, params=QueryDict("q=à l'école"))
    assert result.total == 2 and result.suggestion is None


def test_case_8_no_suggestion_that_finds_nothing_more(visitor):
    fiche(title="Jumelage avec Bologna", summary="Une coopération avec Bologne.")
    rebuild_search_terms()
    result = experience_search(viewer=visitor, params=QueryDict("q=Bologna"))
    assert result.total == 1 and result.suggestion is None


def test_case_9_no_suggestion_of_a_plural_the_query_already_finds(visitor):
    fiche(title="Deux anciennes gares", summary="Reconversion des gares.")
    rebuild_search_terms()
    result = experience_search(viewer=visitor, params=QueryDict("q=ancienne gare"))
    assert result.total == 1 and result.suggestion is None


def test_a_real_typo_still_gets_its_suggestion(visitor):
    fiche(title="Concertation sur le plan local d'urbanisme")
    rebuild_search_terms()
    result = experience_search(viewer=visitor, params=QueryDict("q=concertaton"))
    assert result.suggestion == "concertation"


def test_case_10_snippets_start_on_a_word_keep_fields_apart_and_mark_cuts(visitor):
    long_text = (
        "La commune voisine d'Ellezelles accompagne les habitants depuis 2019 pour la mobilité douce et les "
        "chemins de randonnée entre les villages du pays des collines, avec des bénévoles et des associations "
        "locales qui balisent les sentiers, à Pont-de-Vaux-au-Pont, l'ancienne gare était vide depuis vingt "
        "ans et personne ne savait quoi en faire. Attention à la circulation des camions pendant les travaux "
        "de la halle et des abords, qui dureront plusieurs mois selon le calendrier du chantier."
    )
    experience = fiche(title="Reconversion", summary="Des territoires ruraux", context=long_text)
    snippet = next(e.snippet for e in experience_search(viewer=visitor, params=QueryDict("q=gare camion")).experiences)
    assert experience.pk
    text = str(snippet)
    for fragment in text.split("…"):
        fragment = fragment.strip()
        if fragment:
            assert fragment[0].isalnum() or fragment.startswith("<mark>"), text
    assert "ruraux L" not in text and "ruraux La" not in text  # fields never run together
    assert text.rstrip().endswith("…") or text.rstrip().endswith(".")
    assert "-au-Pont" not in text.split("…")[0][:10]
    fields = ["Des territoires ruraux", "L'ancienne gare."]
    assert str(highlight.Marker("'gar'", fields).snippet(fields)) == "L&#x27;ancienne <mark>gare</mark>."


def test_a_visitor_never_gets_a_suggestion_found_only_in_a_confidential_fiche(visitor, org_a):
    fiche(title="Ressourcerie", visibility="confidential", client_organisation=org_a)
    fiche(title="Marché")
    rebuild_search_terms()
    assert experience_search(viewer=visitor, params=QueryDict("q=ressourcrie")).suggestion is None
    assert Experience.objects.count() == 2

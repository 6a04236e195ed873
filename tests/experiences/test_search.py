"""Forgiving French full-text search, facets, visibility and suggestions (experiences.selectors.experience_search)."""

import re
from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from experiences.models import Experience, SearchTerm
from experiences.search import rebuild_search_terms, refresh_search_fields
from experiences.selectors import experience_search
from tests.experiences.search_helpers import fiche, make_geo, theme_tree
from tests.factories import ExperienceFactory, OrganisationFactory, TagFactory

pytestmark = pytest.mark.django_db


def search(viewer, query: str = "", **kwargs):
    return experience_search(viewer=viewer, params=QueryDict(query), **kwargs)


def titles(result) -> list[str]:
    return [e.title for e in result.experiences]


def facet(result, name: str) -> dict[str, tuple[int, bool]]:
    found = next(f for f in result.facets if f.name == name)
    return {v.value: (v.count, v.selected) for v in found.values}


# --- Forgiving search -------------------------------------------------------


def test_plural_query_finds_singular_word_by_stemming(visitor):
    fiche(title="Une ancienne gare devient un lieu de vie")
    fiche(title="Un budget participatif")
    assert titles(search(visitor, "q=gares")) == ["Une ancienne gare devient un lieu de vie"]


def test_query_without_accents_finds_accented_words(visitor):
    fiche(title="Former les agents au numérique")
    assert titles(search(visitor, "q=numerique")) == ["Former les agents au numérique"]


def test_accented_query_finds_text_typed_without_accents(visitor):
    fiche(title="Plan de sobriete energetique")
    assert titles(search(visitor, "q=sobriété énergétique")) == ["Plan de sobriete energetique"]


@pytest.mark.parametrize("query", ["tiers lieux", "tiers-lieux", "tiers-lieu", "Tiers Lieu"])
def test_hyphenated_and_plural_forms_meet(visitor, query):
    fiche(title="Ouvrir un tiers-lieu au village")
    fiche(title="Des tiers lieux en réseau")
    fiche(title="Un lieu de vie sans tiers", summary="Rien à voir.")  # both words, not together
    found = set(titles(search(visitor, urlencode({"q": query}))))
    assert {"Ouvrir un tiers-lieu au village", "Des tiers lieux en réseau"} <= found


def test_hyphenated_query_is_a_phrase(visitor):
    fiche(title="Ouvrir un tiers-lieu au village")
    fiche(title="Un lieu de vie sans tiers", summary="Rien à voir.")
    assert titles(search(visitor, "q=tiers-lieux")) == ["Ouvrir un tiers-lieu au village"]


def test_stop_words_do_not_match_every_document(visitor):
    fiche(title="Végétaliser la cour de l'école", summary="Une cour d'école plus fraîche.")
    fiche(title="À la découverte du budget", summary="Été comme hiver, à la mairie.")
    fiche(title="Été culturel", summary="Des concerts à la plage.")
    assert titles(search(visitor, "q=à l'école")) == ["Végétaliser la cour de l'école"]


def test_query_of_stop_words_only_searches_as_no_text_and_says_so(visitor):
    fiche(title="À la découverte du budget", summary="Été comme hiver, à la mairie.")
    fiche(title="Les halles", summary="Le marché couvert.")
    for query in ("q=à la", "q=les", "q=le la les", "q=A LA"):
        result = search(visitor, query)
        assert result.stop_words_only, query
        assert result.total == 2, query  # every fiche, as with no text


def test_typo_gets_did_you_mean_suggestion(visitor):
    fiche(title="Concertation sur le plan local d'urbanisme")
    rebuild_search_terms()
    result = search(visitor, "q=concertaton")
    assert result.total == 0
    assert result.suggestion == "concertation"
    assert "q=concertation" in result.suggestion_query


def test_title_weighs_more_than_summary_and_body(visitor):
    fiche(title="Rapport annuel", summary="Rien.", results="La médiathèque a doublé sa fréquentation.")
    fiche(title="Rapport", summary="Une médiathèque ouverte le dimanche.")
    fiche(title="Une médiathèque tiers-lieu", summary="Rien.")
    assert titles(search(visitor, "q=médiathèque")) == [
        "Une médiathèque tiers-lieu",
        "Rapport",
        "Rapport annuel",
    ]


def test_theme_synonyms_and_tags_are_searchable(visitor):
    _innovation, tiers, _democratie, _concertation = theme_tree()
    fiche(title="Un lieu partagé", themes=[tiers])
    fiche(title="Un atelier", tags=[TagFactory(name="réparation de vélos", slug="reparation-velos")])
    fiche(title="Autre chose")
    assert titles(search(visitor, "q=coworking")) == ["Un lieu partagé"]
    assert titles(search(visitor, "q=innovation locale")) == ["Un lieu partagé"]  # ancestor theme synonym
    assert titles(search(visitor, "q=velo")) == ["Un atelier"]


def test_snippets_highlight_matches_and_escape_everything_else(visitor):
    fiche(title="Une gare <b>rénovée</b>", summary="Une <em>gare</em> d'arrivée <script>alert(1)</script> du village.")
    hit = search(visitor, "q=gare").experiences[0]
    assert "<mark>gare</mark>" in hit.snippet
    assert "d&#x27;arrivée" in hit.snippet
    assert "<" not in re.sub(r"</?mark>", "", str(hit.snippet))
    assert "<mark>gare</mark>" in hit.title_html
    assert "<" not in re.sub(r"</?mark>", "", str(hit.title_html))


def test_snippets_are_cut_from_the_text_of_rich_fields_not_their_markup(visitor):
    fiche(
        title="Une fiche",
        summary="Un résumé sans le mot.",
        context="<p>Le bourg a perdu sa <strong>gare</strong> en 1990.</p><ul><li>Une halle &amp; un quai</li></ul>",
    )
    hit = search(visitor, "q=gares").experiences[0]
    assert "<mark>gare</mark>" in hit.snippet
    assert "&lt;" not in hit.snippet and "strong" not in hit.snippet
    assert "Une halle &amp; un quai" in hit.snippet  # the entity decoded, then escaped once


def test_the_snippet_shows_the_two_passages_with_the_most_matches(visitor):
    filler = " ".join(f"mot{n}" for n in range(60))
    fiche(
        title="Une fiche",
        summary=f"Une gare ici. {filler} La gare et la gare encore. {filler} Une dernière gare.",
    )
    snippet = str(search(visitor, "q=gare").experiences[0].snippet)
    assert snippet.count(" … ") == 1  # two fragments
    assert "la <mark>gare</mark> encore" in snippet  # the passage with two matches is kept
    assert len(re.findall(r"\w+", re.sub(r"</?mark>", "", snippet))) <= 2 * 40


# --- Facets --------------------------------------------------------------------


@pytest.fixture
def geo():
    return make_geo()


def test_values_of_one_facet_combine_with_or_and_facets_with_and(visitor, geo):
    _i, tiers, _d, concertation = theme_tree()
    fiche(title="Rhône tiers-lieu", lead_territory=geo.chabaniere, themes=[tiers])
    fiche(title="Isère tiers-lieu", lead_territory=geo.neighbour, themes=[tiers])
    fiche(title="Hérault tiers-lieu", lead_territory=geo.village, themes=[tiers])
    fiche(title="Rhône concertation", lead_territory=geo.lyon, themes=[concertation])
    result = search(visitor, "department=departement-rhone&department=departement-isere&theme=tiers-lieux")
    assert sorted(titles(result)) == ["Isère tiers-lieu", "Rhône tiers-lieu"]


def test_facet_counts_are_disjunctive(visitor, geo):
    _i, tiers, _d, concertation = theme_tree()
    fiche(title="a", lead_territory=geo.chabaniere, themes=[tiers])
    fiche(title="b", lead_territory=geo.neighbour, themes=[tiers])
    fiche(title="c", lead_territory=geo.village, themes=[tiers])
    fiche(title="d", lead_territory=geo.lyon, themes=[concertation])
    result = search(visitor, "department=departement-rhone&theme=tiers-lieux")
    assert result.total == 1
    # The département facet ignores its own selection but applies the theme filter.
    assert facet(result, "department") == {
        "departement-rhone": (1, True),
        "departement-isere": (1, False),
        "departement-herault": (1, False),
    }
    # The theme facet ignores the theme selection but applies the département filter.
    themes = facet(result, "theme")
    assert themes["tiers-lieux"] == (1, True)
    assert themes["concertation"] == (1, False)
    # Other facets apply every filter.
    assert facet(result, "territory_kind") == {"commune": (1, False)}


def test_theme_facet_is_hierarchical(visitor, geo):
    innovation, tiers, _d, _c = theme_tree()
    fiche(title="a", themes=[tiers])
    fiche(title="b", themes=[innovation])
    result = search(visitor, "")
    values = next(f for f in result.facets if f.name == "theme").values
    assert [(v.value, v.count, v.depth) for v in values] == [("innovation-territoriale", 2, 0), ("tiers-lieux", 1, 1)]
    assert sorted(titles(search(visitor, "theme=innovation-territoriale"))) == ["a", "b"]


def test_selected_values_stay_visible_at_zero(visitor, geo):
    fiche(title="gare", lead_territory=geo.chabaniere)
    result = search(visitor, "q=gare&department=departement-herault&population=gt500k")
    assert result.total == 0
    assert facet(result, "department")["departement-herault"] == (0, True)
    assert facet(result, "population")["gt500k"] == (0, True)


def test_selected_sub_theme_at_zero_keeps_its_place_in_the_tree(visitor, geo):
    theme_tree()
    fiche(title="gare")
    result = search(visitor, "q=gare&theme=concertation")
    values = next(f for f in result.facets if f.name == "theme").values
    assert [(v.value, v.count, v.selected, v.depth) for v in values] == [
        ("democratie-locale", 0, False, 0),
        ("concertation", 0, True, 1),
    ]


def test_population_density_epci_year_budget_and_actor_facets(visitor, geo):
    org = OrganisationFactory(kind="association")
    e = fiche(title="x", lead_territory=geo.chabaniere, budget_amount=45_000)
    e.actor_links.create(organisation=org, role="partner")
    refresh_search_fields([e.pk])
    result = search(visitor, "")
    assert facet(result, "population") == {"2k-5k": (1, False)}
    assert facet(result, "density") == {"rural": (1, False)}
    assert facet(result, "epci_type") == {"CC": (1, False)}
    assert facet(result, "year") == {"2020": (1, False)}
    assert facet(result, "budget") == {"10k-50k": (1, False)}
    assert facet(result, "organisation_kind") == {"association": (1, False)}
    assert facet(result, "region") == {"region-ara": (1, False)}
    assert facet(result, "country") == {"FR": (1, False)}


# --- Visibility in results, counts, tags and suggestions ----------------------


def test_confidential_and_draft_fiches_never_show_in_anonymous_counts(visitor, member, consultant, org_a):
    secret = TagFactory(name="canari-secret", slug="canari-secret")
    fiche(title="public gare", tags=[TagFactory(name="ouvert", slug="ouvert")])
    fiche(title="secret gare", visibility="confidential", client_organisation=org_a, tags=[secret])
    fiche(title="brouillon gare", status="draft", published_at=None, tags=[secret])
    for query in ("", "q=gare"):
        anonymous = search(visitor, query)
        assert anonymous.total == 1
        assert "canari-secret" not in facet(anonymous, "tag")
        assert sum(c for c, _s in facet(anonymous, "project_status").values()) == 1
    assert search(member, "q=gare").total == 2  # the client's member sees the confidential fiche
    assert facet(search(member, "q=gare"), "tag")["canari-secret"] == (1, False)
    assert search(consultant, "q=gare").total == 2  # drafts, but not another client's confidential fiche


def test_invisible_tag_is_refused_as_a_filter_and_never_labelled(visitor, org_a):
    secret = TagFactory(name="canari-secret", slug="canari-secret")
    fiche(title="secret", visibility="confidential", client_organisation=org_a, tags=[secret])
    result = search(visitor, "tag=canari-secret")
    assert not result.valid
    assert "canari-secret" not in str([c.value_label for c in result.chips])


def test_suggestions_never_come_from_fiches_the_reader_cannot_see(visitor, member, org_a):
    fiche(title="Expérimentation de xylophonothèque", visibility="confidential", client_organisation=org_a)
    fiche(title="Publique")
    rebuild_search_terms()
    assert search(visitor, "q=xylophonotheque").suggestion is None
    assert search(visitor, "q=xylophonothek").suggestion is None
    assert search(member, "q=xylophonothek").suggestion is None  # the vocabulary holds public words only


def test_a_fiche_that_leaves_the_public_takes_its_words_out_of_the_suggestions(
    visitor, staff, django_capture_on_commit_callbacks
):
    from experiences import services

    hidden_soon = fiche(title="Expérimentation de xylophonothèque")
    archived_soon = fiche(title="Une zythothèque communale")
    fiche(title="Publique")
    rebuild_search_terms()
    assert search(visitor, "q=xylophonothek").suggestion == "xylophonothèque"
    assert search(visitor, "q=zythotheke").suggestion == "zythothèque"

    # The check "finds a fiche the reader may see" already hides the word; the vocabulary forgets it too.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.experience_update(experience=hidden_soon, by=staff, fields={"visibility": "members"})
    assert len(callbacks) >= 1
    with django_capture_on_commit_callbacks(execute=True):
        services.experience_archive(experience=archived_soon, by=staff)
    words = set(SearchTerm.objects.values_list("word", flat=True))
    assert "xylophonotheque" not in words and "zythotheque" not in words
    assert "publique" in words
    assert search(visitor, "q=xylophonothek").suggestion is None


def test_landing_counts_are_cached_per_visibility_class(visitor, member, org_a):
    fiche(title="public")
    fiche(title="members", visibility="members")
    assert search(visitor).total == 1
    assert search(member).total == 2
    assert search(visitor).total == 1  # served from the visitor's cache entry, not the member's


def test_landing_cache_is_invalidated_when_content_changes(visitor):
    fiche(title="one")
    assert search(visitor).total == 1
    fiche(title="two")
    assert search(visitor).total == 2
    Experience.objects.filter(title="two").update(status="draft", published_at=None)  # a raw write path
    assert search(visitor).total == 1


def test_landing_without_filters_runs_two_queries(visitor, django_assert_num_queries):
    for n in range(3):
        fiche(title=f"fiche {n}", tags=[TagFactory()])
    search(visitor)  # fill the cache
    # generation, then the page's fiches with their territories and themes (labelled facets come from the cache)
    with django_assert_num_queries(2):
        result = search(visitor)
        assert all(e.tag_names for e in result.experiences)
    assert result.total == 3


def test_search_with_text_and_facets_runs_one_statement(
    visitor, django_assert_num_queries, django_assert_max_num_queries
):
    _i, tiers, _d, _c = theme_tree()
    shared = TagFactory()
    for n in range(5):
        fiche(title=f"gare {n}", themes=[tiers], tags=[shared, TagFactory()])
    query = f"q=gare&theme=tiers-lieux&tag={shared.slug}"
    with django_assert_max_num_queries(9):  # a new process reads the thesaurus, tag names and words once
        search(visitor, query)
    # Warm: the selected theme and tag (the FilterSet validates them), then one statement
    # for the total, the page's fiches and every facet count.
    with django_assert_num_queries(3):
        result = search(visitor, query)
        assert result.valid and result.total == 5
        assert all(len(e.tag_names) == 2 and e.theme_labels for e in result.experiences)


def test_filterset_queryset_and_search_agree(visitor, geo):
    from experiences.filtersets import ExperienceFilterSet

    _i, tiers, _d, concertation = theme_tree()
    fiche(title="gare a", lead_territory=geo.chabaniere, themes=[tiers])
    fiche(title="gare b", lead_territory=geo.neighbour, themes=[concertation])
    fiche(title="gare c", lead_territory=geo.lyon, themes=[tiers])
    params = QueryDict("q=gare&theme=tiers-lieux&density=rural&region=region-ara")
    filterset = ExperienceFilterSet(params, queryset=Experience.objects.visible_to(visitor))
    assert set(filterset.qs.values_list("title", flat=True)) == set(titles(search(visitor, params.urlencode())))
    assert set(titles(search(visitor, params.urlencode()))) == {"gare a"}


def test_each_filterset_gets_its_own_filters_and_the_readers_tag_queryset(visitor, staff, org_a):
    from experiences.filtersets import ExperienceFilterSet
    from experiences.selectors import _Request

    hidden = TagFactory(name="mot cache")
    fiche(title="secret", visibility="confidential", client_organisation=org_a, tags=[hidden])
    params = QueryDict(f"tag={hidden.slug}")
    for_staff = ExperienceFilterSet(params, queryset=Experience.objects.all(), request=_Request(staff))
    for_visitor = ExperienceFilterSet(params, queryset=Experience.objects.none(), request=_Request(visitor))
    assert for_staff.is_valid()
    assert not for_visitor.is_valid()  # the tag of a fiche the visitor cannot read is not accepted
    assert for_staff.filters["tag"] is not for_visitor.filters["tag"]
    assert for_staff.filters["tag"].extra is not for_visitor.filters["tag"].extra
    assert callable(ExperienceFilterSet.base_filters["tag"].extra["queryset"])  # not a reader's queryset
    # Filter methods are bound to each instance's copy: .qs works.
    assert list(for_staff.qs.values_list("title", flat=True)) == ["secret"]


def test_readers_of_one_visibility_class_share_a_form_class_and_others_do_not(visitor, staff, org_a):
    from django.contrib.auth.models import AnonymousUser

    from experiences.filtersets import ExperienceFilterSet
    from experiences.selectors import _Request

    hidden = TagFactory(name="mot reserve")
    fiche(title="secret", visibility="confidential", client_organisation=org_a, tags=[hidden])
    params = QueryDict(f"tag={hidden.slug}")

    def filterset(user):
        return ExperienceFilterSet(params, queryset=Experience.objects.none(), request=_Request(user))

    first_visitor, for_staff, other_visitor = filterset(visitor), filterset(staff), filterset(AnonymousUser())
    assert not first_visitor.is_valid()
    assert for_staff.is_valid()
    assert not other_visitor.is_valid()  # after staff's form class was built: still refused
    assert type(first_visitor.form) is type(other_visitor.form)
    assert type(first_visitor.form) is not type(for_staff.form)
    # Each form has its own field objects. They share their class's lazy tag queryset,
    # which neither validating nor rendering a form evaluates (no rows cached in it).
    assert first_visitor.form.fields["tag"] is not other_visitor.form.fields["tag"]
    assert "mot reserve" in str(for_staff.form)  # the widgets list their choices
    assert for_staff.form.fields["tag"].queryset._result_cache is None
    assert first_visitor.form.fields["tag"].queryset._result_cache is None


def test_refresh_follows_theme_changes_and_skips_unchanged_rows(visitor):
    _i, tiers, _d, concertation = theme_tree()
    e = fiche(title="x", themes=[tiers])
    assert refresh_search_fields([e.pk]) == 0
    e.themes.set([concertation])
    assert refresh_search_fields([e.pk]) == 1
    e.refresh_from_db()
    assert set(e.search_theme_ids) == {concertation.pk, concertation.parent_id}
    assert "Concertation" in e.search_keywords


def test_invalid_parameters_are_reported_not_crashing(visitor):
    ExperienceFactory()
    result = search(visitor, "population=huge&year=abc")
    assert not result.valid
    assert set(result.errors) == {"population", "year"}


def test_page_words_are_the_regex_words():
    from experiences.highlight import WORD, _words

    text = "l'école — tiers-lieu, cœur_de_ville 2024 «gare» naïve…\nÉté  déjà-vu l’été"
    assert _words(text) == set(WORD.findall(text))


@pytest.mark.django_db
def test_marker_spans_are_the_regex_matches():
    import random

    from experiences import highlight

    highlight._learn({"gare", "gares", "été", "l", "cœur_de_ville"})
    marker = highlight.Marker("'gar' & 'été' & 'l' & 'cœur_de_vill'", ["gare gares été l cœur_de_ville"])
    assert marker.words  # the words found on the page are those the fast path searches
    pieces = ["Gare", "gares", "GARES", "garé", "Été", "été-là", "l'été", "L", "cœur_de_ville", "_gare", "gare_"]
    pieces += ["2gare", "ﬁgare", "İstanbul gare", "gare.", "«été»", " ", "\n", "x", "", "ß"]
    chooser = random.Random(7)
    for _ in range(500):
        text = "".join(chooser.choice(pieces) + chooser.choice([" ", "", "-", "’"]) for _ in range(12))
        assert marker.spans(text) == [m.span() for m in marker.pattern.finditer(text)], text


def test_snippet_window_word_count_is_the_regex_word_count():
    import random

    from experiences.highlight import MAX_WORDS, WORD, WORDS_AND_ONE_MORE

    chooser = random.Random(3)
    pieces = ["a", "l'", "été", "tiers-lieu", "—", "2024", "x_y", "«", "»", "…", "ab"]
    for _ in range(300):
        text = " ".join(chooser.choice(pieces) for _ in range(chooser.randint(20, 60)))
        start = chooser.randint(0, 10)
        stop = chooser.randint(start, len(text))
        ends = [m.end() for m in WORD.finditer(text, start, stop)]
        more = WORDS_AND_ONE_MORE.match(text, start, stop)
        assert (more.end(1) if more else None) == (ends[MAX_WORDS - 1] if len(ends) > MAX_WORDS else None)


def test_page_fiches_hold_the_database_values_and_defer_the_rest(visitor):
    from experiences.search import PAGE_FIELDS

    made = fiche(title="Une gare rénovée", budget_amount=125000)
    for query in ("", "q=gare"):
        (found,) = search(visitor, query).experiences
        stored = Experience.objects.select_related("lead_territory").get(pk=made.pk)
        assert {name: getattr(found, name) for name in PAGE_FIELDS} == {
            name: getattr(stored, name) for name in PAGE_FIELDS
        }
        assert found.lead_territory.name == stored.lead_territory.name
        assert not found._state.adding and found._state.db == "default"
        assert "created_at" in found.get_deferred_fields()
        assert found.created_at == stored.created_at  # a deferred field still loads on access


@pytest.mark.parametrize(("language", "country", "status"), [("fr", "France", "En cours"), ("en", "France", "Ongoing")])
def test_fixed_facets_show_their_translated_labels(visitor, language, country, status):
    from django.utils.translation import override

    from territories.models import Territory

    village = Territory.objects.create(kind="commune", code="99001", name="Villebourg", slug="villebourg", country="FR")
    fiche(title="une gare", lead_territory=village, project_status="ongoing")
    for query in ("", "q=gare", "q=gare&project_status=ongoing"):  # landing cache, facet store, SQL counts
        with override(language):
            result = search(visitor, query)
        labels = {f.name: {v.value: v.label for v in f.values} for f in result.facets}
        assert labels["country"] == {"FR": country}
        assert labels["project_status"]["ongoing"] == status

"""The search page and the API give the same results; htmx partials; query counts pinned; OpenAPI."""

import pytest
from django.urls import reverse

from tests.experiences.search_helpers import fiche, make_geo, theme_tree
from tests.factories import TagFactory
from tests.query_counts import expected_query_count

pytestmark = pytest.mark.django_db

LIST = "/experiences/"
API = "/api/v1/experiences/"


@pytest.fixture
def corpus():
    geo = make_geo()
    _i, tiers, _d, concertation = theme_tree()
    made = []
    for n, territory in enumerate([geo.chabaniere, geo.mornant, geo.lyon, geo.village, geo.neighbour, geo.cc_vallons]):
        made.append(
            fiche(
                title=f"Une ancienne gare n°{n}",
                summary="Reconversion d'une gare en tiers-lieu.",
                lead_territory=territory,
                themes=[tiers if n % 2 else concertation],
                tags=[TagFactory()],
            )
        )
    return geo, made


QUERIES = [
    "q=gares",
    "q=gares&theme=tiers-lieux",
    "q=gare&ref=chabaniere&sort=comparability",
    "department=departement-rhone&density=rural",
    "",
]


@pytest.mark.parametrize("query", QUERIES)
def test_html_page_and_api_return_the_same_results(client, corpus, query):
    page = client.get(f"{LIST}?{query}")
    api = client.get(f"{API}?{query}").json()
    assert page.status_code == 200
    html_slugs = [e.slug for e in page.context["result"].experiences]
    assert html_slugs == [r["slug"] for r in api["results"]]
    assert page.context["result"].total == api["total"]
    html_facets = {f.name: [(v.value, v.count) for v in f.values] for f in page.context["result"].facets}
    api_facets = {name: [(v["value"], v["count"]) for v in values] for name, values in api["facets"].items()}
    assert html_facets == api_facets


def test_api_response_has_results_total_and_facets(client, corpus):
    data = client.get(f"{API}?q=gare&theme=tiers-lieux").json()
    assert data["total"] == 3
    theme = {v["value"]: v for v in data["facets"]["theme"]}
    assert theme["tiers-lieux"] == {
        "value": "tiers-lieux",
        "label": "Tiers-lieux",
        "count": 3,
        "selected": True,
        "depth": 1,
    }
    assert theme["concertation"]["count"] == 3 and not theme["concertation"]["selected"]
    hit = data["results"][0]
    assert "<mark>" in hit["snippet_html"]
    assert {"slug", "title", "lead_territory", "themes", "tags", "score"} <= set(hit)


def test_api_gives_comparability_reasons(client, corpus):
    data = client.get(f"{API}?ref=chabaniere").json()
    assert data["reference"]["slug"] == "chabaniere"
    assert data["sort"] == "comparability"
    # The reference's own fiche first, named as such; then reasons in words.
    assert data["results"][0]["comparability_reason"] == "votre territoire"
    assert data["results"][1]["comparability_reason"].startswith("commune de")


def test_api_rejects_invalid_filters(client, corpus):
    response = client.get(f"{API}?population=huge")
    assert response.status_code == 400
    assert "population" in response.json()


def test_api_search_query_count_is_pinned(client, corpus):
    client.get(f"{API}?q=gare")  # warm the per-process caches (content types, etc.)
    # Validation (theme, département, ref), reference profile, SET + the search statement (+ 2 savepoints
    # in tests), the page with headlines, themes and tags, facet labels (themes, territories, tags),
    # the "did you mean" lookup (fewer than 5 results).
    with expected_query_count("api.search.filtered"):
        response = client.get(f"{API}?q=gare&theme=tiers-lieux&department=departement-rhone&ref=chabaniere")
    assert response.status_code == 200


@pytest.mark.parametrize("query", ["q=gare&ref=chabaniere", ""])
def test_hand_built_hits_equal_the_documented_serializer(corpus, visitor, query):
    import datetime
    from decimal import Decimal

    from django.http import QueryDict

    from experiences.api.serializers import ExperienceSearchHitSerializer, search_hit_data
    from experiences.selectors import experience_search

    _geo, made = corpus
    made[0].budget_amount = Decimal("125000.5")
    made[0].period_start = datetime.date(2021, 3, 1)
    made[0].period_end = datetime.date(2023, 12, 31)
    made[0].save()
    result = experience_search(viewer=visitor, params=QueryDict(query))
    assert len(result.experiences) == 6
    expected = ExperienceSearchHitSerializer(result.experiences, many=True).data
    assert search_hit_data(result.experiences) == [dict(hit) for hit in expected]


def test_api_facet_values_equal_the_documented_serializer(client, corpus):
    from experiences.api.serializers import FacetValueSerializer

    body = client.get("/api/v1/experiences/?q=gare&country=FR").json()
    values = [value for facet in body["facets"].values() for value in facet]
    assert len(values) > 10 and any(value["selected"] for value in values)
    for value in values:  # same keys, same order, same types as the schema's
        assert list(value) == list(FacetValueSerializer().fields)
        assert value == dict(FacetValueSerializer(value).data)


def test_api_landing_is_served_from_cache_until_content_changes(client, corpus, django_assert_max_num_queries):
    first = client.get(API).json()
    assert first["total"] == 6
    with django_assert_max_num_queries(1):  # the search generation only
        again = client.get(API).json()
    assert again == first
    fiche(title="Une nouvelle fiche publiée")
    after = client.get(API).json()
    assert after["total"] == 7
    assert after["results"][0]["title"] == "Une nouvelle fiche publiée"
    # A filtered search is never served from the landing entry.
    assert client.get(f"{API}?q=gare").json()["total"] == 6


def test_search_page_query_count_is_pinned(client, corpus):
    client.get(LIST)
    with expected_query_count("page.search.filtered"):
        response = client.get(f"{LIST}?q=gare&theme=tiers-lieux&department=departement-rhone&ref=chabaniere")
    assert response.status_code == 200
    with expected_query_count("page.search.landing"):
        assert client.get(LIST).status_code == 200


def test_export_map_and_saved_search_query_counts_are_pinned(client, corpus, member):
    from experiences import alerts

    client.force_login(member)
    export, map_url = "/experiences/export/?q=gare&ref=chabaniere&comparable=3", "/experiences/carte/?q=gare"
    # Each once before counting: per-process caches (labels, content types) are filled by then.
    client.post(export, {"format": "csv"})
    client.get(map_url)
    saved = alerts.saved_search_create(user=member, name="Gares", query="q=gare&ref=chabaniere")
    alerts.new_matches(saved)
    with expected_query_count("export.search.csv"):
        assert client.post(export, {"format": "csv"}).status_code == 200
    with expected_query_count("page.map.filtered"):
        assert client.get(map_url).status_code == 200
    with expected_query_count("alerts.saved_search.replay"):
        assert alerts.new_matches(saved) == []


def test_htmx_request_gets_only_the_search_region(client, corpus):
    full = client.get(f"{LIST}?q=gare").content.decode()
    partial = client.get(f"{LIST}?q=gare", headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert "<html" in full and "<html" not in body
    assert body.lstrip().startswith('<div id="search-page"')
    assert "HX-Request" in partial["Vary"]


def test_page_works_without_javascript(client, corpus):
    body = client.get(f"{LIST}?q=gares&theme=tiers-lieux&ref_q=chabaniere").content.decode()
    assert 'method="get"' in body and 'action="/experiences/"' in body
    assert "<noscript>" in body  # the apply button of the facet panel
    assert 'value="tiers-lieux" id="f-theme-2" checked' in body or 'value="tiers-lieux"' in body
    assert "Chabanière" in body  # the typed name was resolved
    assert "Tiers-lieux" in body and "<mark>" in body


def test_page_shows_chips_suggestion_and_pagination(client, corpus):
    for n in range(25):
        fiche(title=f"Concertation publique {n}")
    from experiences.search import rebuild_search_terms

    rebuild_search_terms()
    body = client.get(f"{LIST}?q=concertaton").content.decode()
    assert "Vouliez-vous dire" in body and "concertation" in body
    body = client.get(f"{LIST}?q=concertation").content.decode()
    assert "retirer ce filtre" in body
    assert 'rel="next"' in body


def test_rescue_is_offered_on_the_page(client, corpus):
    body = client.get(f"{LIST}?q=gare&ref=departement-isere&comparable=1").content.decode()
    assert "Aucune expérience dans des territoires aussi comparables" in body


def test_member_can_remember_their_reference_territory(client, member, corpus):
    client.force_login(member)
    response = client.post(reverse("experiences:reference_remember"), {"ref": "chabaniere", "next": "/experiences/"})
    assert response.status_code == 302 and response["Location"] == "/experiences/"
    member.refresh_from_db()
    assert member.reference_territory.slug == "chabaniere"
    assert client.get(LIST).context["result"].reference.territory.slug == "chabaniere"


def test_remembering_a_reference_needs_an_account(client, corpus):
    response = client.post(reverse("experiences:reference_remember"), {"ref": "chabaniere"})
    assert response.status_code == 302 and "next=/experiences/ma-collectivite/" in response["Location"]


def test_fiche_shows_similar_experiences(client, corpus):
    _geo, made = corpus
    body = client.get(made[1].get_absolute_url()).content.decode()
    assert "Expériences similaires" in body
    assert made[3].title in body


def test_openapi_schema_documents_search_facets_and_autocomplete(client, staff):
    client.force_login(staff)
    schema = client.get("/api/v1/schema/", headers={"Accept": "application/json"})
    text = schema.content.decode()
    assert "ExperienceSearch" in text and "facets" in text and "FacetValue" in text
    assert "Autocomplétion" in text


def test_a_selected_facet_value_beyond_the_eighth_is_never_folded_away():
    from types import SimpleNamespace

    from experiences.selectors import FacetValue
    from experiences.templatetags.search_tags import facet_values

    values = [FacetValue(f"v{n}", f"Valeur {n}", 100 - n, selected=(n == 11)) for n in range(12)]
    html = facet_values(SimpleNamespace(name="region", values=values))
    assert html.count('type="checkbox"') == 12
    assert '<details class="facet-more" open><summary class="small">4 autres</summary>' in html
    assert 'value="v11" id="f-region-12" checked' in html
    values[11].selected = False
    assert '<details class="facet-more"><summary' in facet_values(SimpleNamespace(name="region", values=values))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_facet_values_markup_is_escaped_and_counts_grouped_as_django_does(language):
    from types import SimpleNamespace

    from django.utils.formats import number_format
    from django.utils.html import format_html
    from django.utils.translation import override

    from experiences.selectors import FacetValue
    from experiences.templatetags.search_tags import _VALUE, facet_values

    values = [
        FacetValue('a"b', "<Saint-Étienne & co>", 1234567, selected=True),
        FacetValue("x'y", "l'Isle", 999, False, depth=1),
        FacetValue(7, "Sept", 0, False),
    ]
    with override(language):
        html = facet_values(SimpleNamespace(name="tag", values=values))
        expected = "".join(
            format_html(
                _VALUE,
                f" ms-{v.depth + 2}" if v.depth else "",
                "tag",
                v.value,
                "tag",
                i,
                " checked" if v.selected else "",
                "tag",
                i,
                v.label,
                number_format(v.count, use_l10n=True, force_grouping=True),
            )
            for i, v in enumerate(values, start=1)
        )
    assert html == expected
    assert "&lt;Saint-Étienne &amp; co&gt;" in html and 'value="a&quot;b"' in html


def test_a_fiche_with_every_relation_is_read_in_nine_queries(visitor, django_assert_num_queries):
    from experiences.models import Contact, ExperienceOrganisation, FundingLine, Source
    from experiences.selectors import experience_detail
    from tests.experiences.search_helpers import fiche, theme_tree
    from tests.factories import OrganisationFactory, TagFactory

    _i, tiers, _d, concertation = theme_tree()
    experience = fiche(title="gare", themes=[tiers, concertation], tags=[TagFactory(), TagFactory()])
    for n in range(3):
        organisation = OrganisationFactory()
        ExperienceOrganisation.objects.create(experience=experience, organisation=organisation, role="partner")
        FundingLine.objects.create(experience=experience, funder=organisation, label=f"ligne {n}", amount=1000 * n)
        Contact.objects.create(experience=experience, organisation=organisation, name=f"Contact {n}")
        Source.objects.create(experience=experience, title=f"Source {n}", url=f"https://example.org/{n}")
    # The fiche, then themes (with parents), tags, territories, actors (with organisations),
    # funding (with funders), sources, attachments, contacts (with organisations).
    with django_assert_num_queries(9):
        found = experience_detail(viewer=visitor, slug=experience.slug)
        assert {t.parent.name for t in found.themes.all()} == {"Innovation territoriale", "Démocratie locale"}
        assert len({link.organisation.name for link in found.actor_links.all()}) == 3
        assert len({line.funder.name for line in found.funding_lines.all()}) == 3
        assert len({c.organisation.name for c in found.contacts.all()}) == 3
        assert len(found.sources.all()) == 3 and len(found.tags.all()) == 2

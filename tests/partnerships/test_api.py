"""/api/v1/partnerships/: same filters as the list page, in the OpenAPI schema, pinned query counts."""

import pytest

from tests.factories import PartnershipFactory, PartnershipPartyFactory, TerritoryFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/partnerships/"


def test_list_filters_are_those_of_the_filterset(client, kampti):
    PartnershipFactory(title="Réseau wallon", kind="network")
    assert [r["slug"] for r in client.get(URL, {"country": "BF"}).json()["results"]] == ["roissy-kampti"]
    assert [r["title"] for r in client.get(URL, {"kind": "network"}).json()["results"]] == ["Réseau wallon"]
    assert client.get(URL, {"party": "commune-de-kampti", "role": "partner"}).json()["count"] == 1
    assert client.get(URL, {"funder": "roissy-pays-de-france", "year": 2024}).json()["count"] == 1
    assert client.get(URL, {"q": "kampti"}).json()["count"] == 1


def test_invalid_filter_is_a_400(client):
    assert client.get(URL, {"year": "abc"}).status_code == 400


def test_list_in_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(15):
        p = PartnershipFactory()
        PartnershipPartyFactory(partnership=p)
        p.territories.add(TerritoryFactory())
    with django_assert_max_num_queries(4):
        data = client.get(URL).json()
    assert data["count"] == 15
    assert data["results"][0]["parties"][0]["organisation_name"]


def test_detail_with_funding_totals_deliverables_and_links(client, kampti, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        data = client.get(f"{URL}{kampti.slug}/").json()
    assert data["phase"] == "active"
    assert data["funding_totals"] == [
        {
            "currency": "EUR",
            "total": "185000.00",
            "received": "90000.00",
            "by_year": {"2024": "90000.00", "2025": "95000.00"},
        }
    ]
    assert {d["title"] for d in data["deliverables"]} == {"Ouvrage des 20 ans", "Rapport annuel"}
    assert data["milestones"] == [{"date": "2018-10-13", "title": "Vingt ans du jumelage"}]
    assert data["studies"] == [] and data["experiences"] == []


def test_writes_are_not_allowed(client, staff, kampti):
    client.force_login(staff)
    assert client.post(URL, {"title": "x"}).status_code == 405
    assert client.delete(f"{URL}{kampti.slug}/").status_code == 405


def test_schema_documents_the_endpoint_and_its_filters(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    assert "/api/v1/partnerships/" in schema["paths"]
    names = {p["name"] for p in schema["paths"]["/api/v1/partnerships/"]["get"]["parameters"]}
    assert {"q", "kind", "phase", "party", "role", "territory", "country", "year", "funder", "sort"} <= names
    export = {p["name"] for p in schema["paths"]["/api/v1/partnerships/export/"]["get"]["parameters"]}
    assert {"output", "country", "kind", "q"} <= export
    assert "/api/v1/partnerships/{slug}/" in schema["paths"]


def test_api_export_honours_filters_and_format(client, kampti):
    PartnershipFactory(title="Autre")
    response = client.get(f"{URL}export/", {"output": "csv", "country": "BF"})
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    assert "Roissy" in body and "Autre" not in body
    xlsx = client.get(f"{URL}export/", {"output": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(f"{URL}export/", {"output": "pdf"}).status_code == 400

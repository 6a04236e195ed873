"""HTML pages: access rules, query counts, create and edit through the services."""

import datetime

import pytest
from django.urls import reverse

from core.combobox import ComboboxField, ComboboxMultipleField
from partnerships.models import Deliverable, Partnership
from tests.factories import (
    DeliverableFactory,
    OrganisationFactory,
    PartnershipFactory,
    PartnershipPartyFactory,
    TerritoryFactory,
)

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    ("partnerships:create", []),
    ("partnerships:dashboard", []),
    ("partnerships:edit", ["roissy-kampti"]),
    ("partnerships:experience_autocomplete", []),
]


@pytest.mark.parametrize(("name", "args"), STAFF_PAGES)
def test_staff_pages_send_visitors_to_the_login_page(client, kampti, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "args"), STAFF_PAGES)
@pytest.mark.parametrize("role", ["member", "consultant"])
def test_staff_pages_are_forbidden_to_other_signed_in_users(client, request, kampti, role, name, args):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse(name, args=args)).status_code == 403


def test_editing_an_unknown_partnership_is_404_for_staff(client, staff):
    client.force_login(staff)
    assert client.get(reverse("partnerships:edit", args=["inconnu"])).status_code == 404


def test_list_page_in_a_fixed_number_of_queries(client, staff, django_assert_max_num_queries):
    for _i in range(12):
        p = PartnershipFactory()
        PartnershipPartyFactory(partnership=p)
        p.territories.add(TerritoryFactory())
    client.force_login(staff)
    client.get(reverse("partnerships:list"))  # warm the session and role caches
    with django_assert_max_num_queries(16):
        response = client.get(reverse("partnerships:list"))
    assert response.status_code == 200
    assert response.content.decode().count('class="card card-partnership"') == 12


def test_list_filters_and_htmx_partial(client, kampti):
    PartnershipFactory(title="Réseau des tiers-lieux", kind=Partnership.Kind.NETWORK)
    response = client.get(reverse("partnerships:list"), {"kind": "network"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "Réseau des tiers-lieux" in html and "Roissy" not in html
    assert "<html" not in html  # the partial only
    assert 'id="partnership-search"' in html


def test_detail_shows_timeline_funding_and_parties_in_few_queries(client, staff, kampti, django_assert_max_num_queries):
    client.force_login(staff)
    client.get(kampti.get_absolute_url())
    with django_assert_max_num_queries(20):
        response = client.get(kampti.get_absolute_url())
    html = response.content.decode()
    assert '<svg class="timeline-svg"' in html
    assert "Vingt ans du jumelage" in html  # milestone on the timeline
    assert "185 000 €" in html.replace("\u202f", " ").replace("\xa0", " ")  # funding total, in the reader's format
    assert "Commune de Kampti" in html and "Chef de file" in html
    assert "Historique" in html  # staff see the history


def test_detail_for_visitors_hides_internal_notes_and_history(client, kampti):
    kampti.notes = "Note interne sensible"
    kampti.save()
    html = client.get(kampti.get_absolute_url()).content.decode()
    assert "Note interne sensible" not in html
    assert "Historique" not in html
    assert "Modifier" not in html


def test_dashboard_lists_overdue_and_due_deliverables(client, staff, kampti, today):
    DeliverableFactory(partnership=kampti, title="Bilan en retard", due_date=today - datetime.timedelta(days=3))
    client.force_login(staff)
    html = client.get(reverse("partnerships:dashboard")).content.decode()
    assert "Bilan en retard" in html and "Rapport annuel" in html
    assert f"attendus en {today.year}" in html  # the year is not printed as "2 026"


def test_map_page_draws_points_and_arcs(client, kampti):
    html = client.get(reverse("partnerships:map")).content.decode()
    assert html.count('class="arc arc-decentralised_cooperation"') == 1
    assert html.count("<circle") == 2
    assert "Kampti" in html


def _posted(form) -> dict:
    """What the browser sends for a form as the page shows it (comboboxes: identifier and text)."""
    data = {}
    for name, field in form.fields.items():
        key, value = form.add_prefix(name), form[name].value()
        if isinstance(field, ComboboxMultipleField):
            data[key] = [slug for slug, _label in field.describe_many(value)]
        elif isinstance(field, ComboboxField):
            data[key], data[f"{key}_label"] = field.describe(value)
        elif value not in (None, False, ""):
            data[key] = [str(v) for v in value] if isinstance(value, list) else value
    return data


def _management(prefix, total=0, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _empty_formsets(**overrides):
    data = {}
    for prefix in ("parties", "funding", "deliverables", "milestones", "documents"):
        data.update(_management(prefix))
    data.update(overrides)
    return data


def test_staff_creates_a_partnership_with_parties_funding_and_deliverables(client, staff):
    OrganisationFactory(name="Chaire OPTIMA")
    pau = OrganisationFactory(name="Ville de Pau")
    territory = TerritoryFactory(code="64445", name="Pau", slug="pau-64")
    client.force_login(staff)
    data = _empty_formsets(
        title="Partenariat principal OPTIMA – Pau",
        kind="research_principal",
        start_date="2011-01-01",
        end_date="2013-12-31",
        visibility="public",
        currency="eur",
        # What a browser without JavaScript sends: names and codes typed in the comboboxes' boxes.
        territories_add="64445",
        **_management("parties", total=2),
        **{"parties-0-organisation_label": "Chaire OPTIMA", "parties-0-role": "lead"},
        **{
            "parties-1-organisation": pau.slug,
            "parties-1-organisation_label": "Ville de Pau",
            "parties-1-role": "funder",
        },
        **_management("funding", total=1),
        **{
            "funding-0-funder_label": "ville de pau",
            "funding-0-year": "2011",
            "funding-0-amount": "5000",
            "funding-0-currency": "",
        },
        **_management("deliverables", total=1),
        **{
            "deliverables-0-title": "Rapport d'activité",
            "deliverables-0-due_date": "2012-03-31",
            "deliverables-0-status": "planned",
        },
    )
    response = client.post(reverse("partnerships:create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    p = Partnership.objects.get()
    assert response["Location"] == p.get_absolute_url()
    assert p.currency == "EUR"
    assert list(p.territories.all()) == [territory]
    assert {(x.organisation.name, x.role) for x in p.parties.all()} == {
        ("Chaire OPTIMA", "lead"),
        ("Ville de Pau", "funder"),
    }
    line = p.funding_lines.get()
    assert (line.amount, line.currency) == (5000, "EUR")
    assert p.deliverables.get().title == "Rapport d'activité"
    assert p.history.get().history_user == staff


def test_invalid_post_shows_errors_and_saves_nothing(client, staff):
    client.force_login(staff)
    data = _empty_formsets(
        title="À l'envers",
        kind="network",
        start_date="2024-01-01",
        end_date="2023-01-01",
        visibility="public",
        currency="EUR",
    )
    response = client.post(reverse("partnerships:create"), data)
    assert response.status_code == 200
    assert "La fin du partenariat ne peut précéder son début." in response.content.decode()
    assert not Partnership.objects.exists()


def test_staff_edits_a_deliverable_and_deletes_a_party(client, staff, kampti):
    client.force_login(staff)
    page = client.get(reverse("partnerships:edit", args=[kampti.slug]))
    assert page.status_code == 200
    form = page.context["form"]
    formsets = page.context["formsets"]
    data = _posted(form)
    for prefix, fs in formsets.items():
        data.update(_management(prefix, total=len(fs.forms) - 1, initial=fs.initial_form_count()))
        for f in fs.forms[: fs.initial_form_count()]:
            data.update(_posted(f))
    parties = formsets["parties"].forms
    kampti_index = next(i for i, f in enumerate(parties) if f.instance.organisation.name == "Commune de Kampti")
    data[f"parties-{kampti_index}-DELETE"] = "on"
    deliverables = formsets["deliverables"].forms
    report_index = next(i for i, f in enumerate(deliverables) if f.instance.title == "Rapport annuel")
    data[f"deliverables-{report_index}-status"] = "delivered"
    response = client.post(reverse("partnerships:edit", args=[kampti.slug]), data)
    if response.status_code != 302:
        errors = {k: fs.errors for k, fs in response.context["formsets"].items()}
        pytest.fail(f"{response.context['form'].errors} {errors}")
    assert [p.organisation.name for p in kampti.parties.all()] == ["Roissy Pays de France"]
    report = kampti.deliverables.get(title="Rapport annuel")
    assert report.status == Deliverable.Status.DELIVERED
    assert report.delivered_on is not None
    assert report.history.order_by("-history_date").first().history_user == staff


def test_experience_suggestions_only_offer_what_staff_may_read(client, staff):
    from tests.factories import ExperienceFactory

    ExperienceFactory(title="Tiers-lieu de Diges", slug="diges")
    client.force_login(staff)
    data = client.get(reverse("partnerships:experience_autocomplete"), {"q": "diges"}).json()
    assert data == {"results": [{"slug": "diges", "label": "Tiers-lieu de Diges"}]}


def test_partnership_territories_take_a_belgian_code_and_tell_namesakes_apart(client, staff, tmp_path):
    from tests.reference_data import imported

    keep = {("BE", "25122"), ("FR", "59492"), ("FR", "25122")}  # Ramillies (BE), Ramillies (Nord), Chapelle-d'Huin
    with imported(lambda row: (row["country"], row["code"]) in keep and row["kind"] == "commune", tmp_path):
        client.force_login(staff)
        base = {"kind": "network", "start_date": "2024-01-01", "visibility": "public", "currency": "EUR"}
        response = client.post(
            reverse("partnerships:create"),
            _empty_formsets(title="Réseau de gares", territories_add="BE-25122\nRamillies (Nord)", **base),
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        linked = Partnership.objects.get(title="Réseau de gares").territories.all()
        assert sorted((t.country, t.code) for t in linked) == [("BE", "25122"), ("FR", "59492")]

        for typed, candidates in (
            (
                "25122",
                ["Ramillies (Brabant wallon, Belgique) — code BE-25122", "Chapelle-d'Huin (Doubs) — code FR-25122"],
            ),
            ("Ramillies", ["Ramillies (Brabant wallon, Belgique) — code BE-25122", "Ramillies (Nord) — code FR-59492"]),
        ):
            response = client.post(
                reverse("partnerships:create"), _empty_formsets(title="Ambigu", territories_add=typed, **base)
            )
            html = response.content.decode().replace("&#x27;", "'")
            assert response.status_code == 200
            assert f"« {typed} » peut désigner plusieurs territoires" in html
            assert all(c in html for c in candidates), html[html.find("plusieurs territoires") - 200 :][:800]

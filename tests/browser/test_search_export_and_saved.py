"""The « Exporter » control of the results and a saved search reopened, in French and English,
on a desktop and a phone."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from experiences.models import SavedSearch

from .world import build_world, login

PHONE = {"width": 390, "height": 844}


@pytest.mark.django_db(transaction=True)
def test_a_member_exports_the_results_and_reopens_a_saved_comparable_search(live_server, page, shot):
    world = build_world()
    base = live_server.url
    login(page, base, "camille")

    # A comparable search, as the member runs it.
    page.goto(f"{base}/experiences/?q=tiers-lieu&ref=chabaniere&comparable=3")
    expect(page.locator("#result-count")).to_contain_text("comparées à Chabanière")
    count = int(re.search(r"\d+", page.locator("#result-count").inner_text()).group())
    titles = page.locator(".result-card .card-title").all_inner_texts()
    control = page.locator(".export-control")
    expect(control).to_contain_text("Exporter")
    shot(page, "results with the exporter control (fr, desktop)", full_page=False)

    # The JSON export holds exactly the page's fiches, in its order.
    with page.expect_download() as download:
        control.get_by_role("button", name="JSON").click()
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported["count"] == count
    assert [e["titre"] for e in exported["experiences"]] == titles

    # Save it, then the member changes collectivité: the search still reopens on Chabanière.
    page.get_by_role("link", name="Enregistrer cette recherche").click()
    page.fill("#id_name", "tiers-lieu · comparables à Chabanière")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".alert-success")).to_contain_text("enregistrée")
    world.member.reference_territory = world.geo.montpellier
    world.member.save()
    saved = SavedSearch.objects.get(user=world.member)
    assert "ref=chabaniere" in saved.query and "comparable=3" in saved.query
    page.goto(f"{base}/experiences/recherches/")
    shot(page, "saved searches (fr)")
    page.get_by_role("link", name="tiers-lieu · comparables à Chabanière", exact=True).click()
    expect(page.locator("#result-count")).to_contain_text("comparées à Chabanière")
    assert page.locator(".result-card .card-title").all_inner_texts() == titles
    expect(page.get_by_role("link", name=re.compile("Mettre à jour"))).to_be_visible()
    shot(page, "saved search reopened (fr, desktop)", full_page=False)

    # Rename it and make its alert daily.
    page.goto(f"{base}/experiences/recherches/")
    page.get_by_role("link", name=re.compile("Modifier")).first.click()
    page.fill("#id_name", "Tiers-lieux comparables")
    page.select_option("#id_alert_frequency", "daily")
    shot(page, "edit a saved search (fr)")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".alert-success")).to_contain_text("modifiée")
    saved.refresh_from_db()
    assert (saved.name, saved.alert_frequency) == ("Tiers-lieux comparables", "daily")

    # English, and a phone.
    page.goto(f"{base}/en/experiences/?q=tiers-lieu&ref=chabaniere&comparable=3")
    expect(page.locator(".export-control")).to_contain_text("Export")
    shot(page, "results with the exporter control (en, desktop)", full_page=False)
    page.goto(f"{base}/en/experiences/recherches/")
    page.get_by_role("link", name="Tiers-lieux comparables", exact=True).click()
    expect(page.locator("#result-count")).to_contain_text("Chabanière")
    shot(page, "saved search reopened (en, desktop)", full_page=False)
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/experiences/?q=tiers-lieu&ref=chabaniere&comparable=3")
    shot(page, "results with the exporter control (fr, phone)", full_page=False)
    page.goto(f"{base}/en/experiences/recherches/")
    shot(page, "saved searches (en, phone)", full_page=False)

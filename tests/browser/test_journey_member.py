"""Journey 1: a collectivité member sets their territory, searches, narrows, reads, selects, compares, saves."""

import re

import pytest
from playwright.sync_api import expect

from experiences.models import SavedSearch, SelectionItem

from .world import build_world, login


@pytest.mark.django_db(transaction=True)
def test_a_member_finds_compares_and_saves_tiers_lieux_for_a_territory_like_theirs(live_server, page, shot, axe_check):
    world = build_world()
    base = live_server.url
    login(page, base, "camille")
    shot(page, "signed in, home")

    # Set "ma collectivité" on the search page with the territory autocomplete, and remember it.
    page.goto(f"{base}/experiences/")
    ref = page.locator("#ref-q")
    ref.click()
    ref.press_sequentially("Morn", delay=40)
    option = page.locator("#ref-listbox [role=option]").first
    expect(option).to_contain_text("Mornant")
    shot(page, "territory autocomplete")
    option.click()
    expect(page.locator("#result-count")).to_contain_text("comparées à Mornant")
    page.get_by_role("button", name=re.compile("Mémoriser Mornant")).click()
    expect(page.locator(".alert-success")).to_contain_text("est désormais votre collectivité de référence")
    world.member.refresh_from_db()
    assert world.member.reference_territory.slug == "mornant"
    shot(page, "territory remembered")

    # Search "tiers-lieu".
    q = page.locator("#q")
    q.fill("tiers-lieu")
    q.press("Enter")
    expect(page.locator("#result-count")).to_contain_text("4 expériences")
    expect(page).to_have_url(re.compile(r"q=tiers-lieu"))
    shot(page, "search tiers-lieu")
    axe_check(page, "search results")

    # Narrow with two facets: project status "En cours", then country France.
    page.locator("details.facet > summary", has_text="État du projet").click()
    page.locator(".facet-value label", has_text="En cours").first.click()
    expect(page.locator("#result-count")).to_contain_text("3 expériences")
    page.locator(".facet-value label", has_text="France").first.click()
    expect(page.locator(".active-filters .chip")).to_have_count(3)  # text, status, country
    expect(page.locator("#result-count")).to_contain_text("2 expériences")
    expect(page).to_have_url(re.compile(r"project_status=ongoing"))
    expect(page).to_have_url(re.compile(r"country=FR"))
    shot(page, "narrowed with two facets")
    search_url = page.url

    # Add the second result to the selection straight from the results (htmx).
    cards = page.locator(".result-card")
    expect(cards).to_have_count(2)
    second_title = cards.nth(1).locator(".card-title").inner_text()
    cards.nth(1).get_by_role("button", name=re.compile("Ajouter à ma sélection")).click()
    expect(cards.nth(1).get_by_role("button", name=re.compile("Dans ma sélection"))).to_be_visible()
    expect(page.locator("#selection-count")).to_have_text("1")

    # Open the first fiche and add it to the selection there.
    first_title = cards.first.locator(".card-title").inner_text()
    cards.first.locator(".card-title a").click()
    expect(page.locator("h1")).to_have_text(first_title)
    shot(page, "fiche")
    axe_check(page, "fiche")
    page.locator(".fiche-actions").get_by_role("button", name=re.compile("Ajouter à ma sélection")).click()
    expect(page.locator(".fiche-actions").get_by_role("button", name=re.compile("Dans ma sélection"))).to_be_visible()
    expect(page.locator("#selection-count")).to_have_text("2")
    expect(page.locator("#selection-status")).to_contain_text("2 expériences dans votre sélection")
    shot(page, "fiche added to selection")
    assert SelectionItem.objects.filter(user=world.member).count() == 2

    # The selection page, then the comparison of the two.
    page.get_by_role("link", name=re.compile("Ma sélection")).first.click()
    expect(page.locator(".selection-item")).to_have_count(2)
    shot(page, "selection")
    axe_check(page, "selection")
    page.get_by_role("button", name="Comparer les expériences cochées").click()
    expect(page).to_have_url(re.compile(r"/etudes/comparer/\?ids="))
    expect(page.locator("body")).to_contain_text(first_title)
    expect(page.locator("body")).to_contain_text(second_title)
    shot(page, "comparison")
    axe_check(page, "comparison")

    # Back to the narrowed search, and save it with a weekly alert.
    page.goto(search_url)
    page.get_by_role("link", name="Enregistrer cette recherche").click()
    expect(page.locator("h1")).to_have_text("Enregistrer la recherche")
    page.fill("#id_name", "Tiers-lieux en cours")
    page.check("#id_weekly_digest")
    shot(page, "save search form")
    axe_check(page, "save search form")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("Tiers-lieux en cours")
    expect(page.locator("table.saved-searches")).to_contain_text("Tiers-lieux en cours")
    shot(page, "saved searches")
    saved = SavedSearch.objects.get(user=world.member)
    assert saved.weekly_digest
    assert "project_status=ongoing" in saved.query and "q=tiers-lieu" in saved.query
    # The saved search opens the same results.
    page.get_by_role("link", name="Tiers-lieux en cours", exact=True).click()
    expect(page.locator("#result-count")).to_contain_text("2 expériences")

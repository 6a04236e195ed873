"""The fiche form's semantic hints in a real browser: a duplicate warning with its link while
the consultant writes, and a suggested theme ticked in one click (htmx + static/js/semantic-hints.js)."""

import pytest
from playwright.sync_api import expect

from experiences.models import Experience
from experiences.semantic import jobs

from .world import build_world, login


@pytest.mark.django_db(transaction=True)
def test_the_form_warns_of_a_duplicate_and_ticks_a_suggested_theme_in_one_click(live_server, page, shot):
    build_world()
    station = Experience.objects.get(title="Tiers-lieu en gare à Chabanière")
    jobs.embed_experiences(list(Experience.objects.values_list("pk", flat=True)))
    base = live_server.url

    login(page, base, "sacha")
    page.goto(f"{base}/experiences/espace/nouvelle/")
    territory = page.locator("#id_lead_territory")
    territory.click()
    territory.press_sequentially("Chaban", delay=40)
    page.locator("#id_lead_territory_list [role=option]", has_text="Chabanière").first.click()
    page.fill("#id_title", "Chabanière : un tiers-lieu dans l'ancienne gare")
    page.fill(
        "#id_summary",
        "L'ancienne gare de Chabanière accueille un tiers-lieu, avec une conciergerie et un espace de télétravail.",
    )
    page.locator("#id_summary").blur()

    warning = page.locator("[data-semantic-duplicates]")
    expect(warning).to_contain_text("peut-être déjà dans Périscope", timeout=60_000)
    expect(warning.get_by_role("link", name=station.title)).to_have_attribute("href", station.get_absolute_url())
    shot(page, "duplicate warning")

    suggestion = page.locator("[data-suggest-theme]", has_text="Tiers-lieux")
    expect(suggestion).to_be_visible(timeout=60_000)
    theme_id = suggestion.get_attribute("data-suggest-theme")
    suggestion.click()
    expect(page.locator(f'input[name=themes][value="{theme_id}"]')).to_be_checked()
    expect(suggestion).to_have_count(0)
    if not page.locator("[data-suggest-theme]").count():
        expect(page.locator("#semantic-theme-hints")).to_be_empty()
    shot(page, "theme ticked")

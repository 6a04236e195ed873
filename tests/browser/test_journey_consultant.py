"""Journey 2: a consultant writes a fiche (territory autocomplete, themes, a new tag) and submits it;
staff publish it; it appears in search."""

import re

import pytest
from playwright.sync_api import expect

from experiences.models import Experience, Tag

from .world import build_world, login, logout

TITLE = "Une recyclerie solidaire dans une ancienne halle"


@pytest.mark.django_db(transaction=True)
def test_a_consultant_writes_a_fiche_staff_publish_it_and_readers_find_it(live_server, page, shot, axe_check):
    build_world()
    base = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())  # "publish although incomplete?"

    login(page, base, "sacha")
    page.get_by_role("link", name="Mon espace").click()
    shot(page, "workspace")
    page.goto(f"{base}/experiences/espace/nouvelle/")
    expect(page.locator("h1")).to_contain_text("Nouvelle fiche expérience")

    # Lead territory through the autocomplete.
    territory = page.locator("#id_lead_territory")
    territory.click()
    territory.press_sequentially("Mornan", delay=40)
    option = page.locator("#id_lead_territory_list [role=option]", has_text="Mornant").first
    expect(option).to_be_visible()
    shot(page, "territory autocomplete", full_page=False)
    option.click()
    expect(page.locator("[name=lead_territory]")).not_to_have_value("")

    page.fill("#id_title", TITLE)
    page.fill(
        "#id_summary",
        "La commune transforme une halle vide en recyclerie : réemploi, ateliers de réparation, emplois d'insertion.",
    )
    page.locator(".theme-tree label", has_text="Tiers-lieux").click()
    # A new tag, created on the fly.
    tags = page.locator("#id_tags")
    tags.click()
    tags.press_sequentially("réemploi solidaire", delay=20)
    tags.press("Enter")
    expect(page.locator("[data-combobox][data-name=tags] [data-combobox-chips]")).to_contain_text("réemploi solidaire")
    shot(page, "form filled")
    axe_check(page, "experience form")
    page.get_by_role("button", name="Enregistrer et soumettre à relecture").click()
    page.wait_for_load_state("networkidle")
    errors = page.locator("[data-error-summary]")
    assert not errors.count(), errors.inner_text()
    experience = Experience.objects.get(title=TITLE)
    assert experience.status == Experience.Status.REVIEW
    assert experience.lead_territory.slug == "mornant"
    assert [t.slug for t in experience.themes.all()] == ["tiers-lieux"]
    assert Tag.objects.filter(name="réemploi solidaire", experiences=experience).exists()
    shot(page, "submitted for review")

    # Not yet public.
    logout(page)
    page.goto(f"{base}/experiences/?q=recyclerie")
    expect(page.locator("#result-count")).to_contain_text("0 expérience")

    # Staff publish it from the fiche.
    login(page, base, "dominique")
    page.goto(f"{base}{experience.get_absolute_url()}")
    shot(page, "fiche in review, staff view")
    page.locator(".workspace-panel").get_by_role("button", name=re.compile("Publier")).click()
    page.wait_for_load_state("networkidle")
    experience.refresh_from_db()
    assert experience.status == Experience.Status.PUBLISHED
    shot(page, "published")

    # Any reader now finds it.
    logout(page)
    page.goto(f"{base}/experiences/")
    page.fill("#q", "recyclerie")
    page.press("#q", "Enter")
    expect(page.locator("#result-count")).to_contain_text("1 expérience")
    expect(page.locator(".result-card .card-title")).to_contain_text("recyclerie")
    shot(page, "found by readers")
    page.locator(".result-card .card-title a").click()
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator(".fiche")).to_contain_text("Mornant")

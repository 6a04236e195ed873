"""axe-core finds no serious or critical violation on the portal's main pages, in French and English.

Pages: home, search, map, fiche, selection, comparison, partnership list and detail,
sign-in form, saved-search form, the consultant's experience form, a study and the
study form. Each page is also checked for its `lang` and for a skip link that moves
the keyboard focus to the main content.
"""

import pytest
from playwright.sync_api import expect

from tests.factories import StudyExperienceFactory, StudyFactory

from .world import build_world, login, logout

LANGUAGES = ["fr", "en"]


def _prefix(language: str) -> str:
    return "" if language == "fr" else f"/{language}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", LANGUAGES)
def test_main_pages_have_no_serious_accessibility_violation(live_server, page, shot, axe_check, language):
    world = build_world()
    study = StudyFactory(title="Étude tiers-lieux", slug="etude-tiers-lieux", client_organisation=world.client)
    StudyExperienceFactory(study=study, experience=world.gare_tl)
    study.team.add(world.consultant)
    base = live_server.url + _prefix(language)
    fiche = world.gare_tl.get_absolute_url().removeprefix("/")

    def visit(path: str, label: str) -> None:
        page.goto(f"{base}/{path}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        shot(page, f"{language} {label}")
        axe_check(page, f"{label} ({language})")

    # Anonymous visitor.
    visit("", "home")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    visit("experiences/?q=tiers-lieu", "search")
    visit("experiences/carte/?q=tiers-lieu", "search map")
    page.goto(f"{base}/{fiche}")
    page.locator(".fiche-actions button").click()
    expect(page.locator("#selection-count")).to_have_text("1")
    visit(fiche, "fiche")
    visit("experiences/selection/", "selection")
    visit(f"etudes/comparer/?ids={world.gare_tl.pk},{world.rural_tl.pk}", "comparison")
    visit("partenariats/", "partnerships")
    visit(world.partnership.get_absolute_url().removeprefix("/").removeprefix("en/"), "partnership")
    visit("comptes/connexion/", "sign-in form")

    # A member: the saved-search form and list.
    login(page, live_server.url, "camille")
    visit("experiences/recherches/enregistrer/?q=tiers-lieu", "saved search form")
    visit("experiences/recherches/", "saved searches")
    logout(page)

    # A consultant: the experience form.
    login(page, live_server.url, "sacha")
    visit("experiences/espace/nouvelle/", "experience form")
    logout(page)

    # Staff: a study and the study form.
    login(page, live_server.url, "dominique")
    visit(f"etudes/{study.slug}/", "study")
    visit("etudes/nouvelle/", "study form")


def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector` (fails after `limit` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never received the keyboard focus")


def _focus_is_visible(page) -> bool:
    return page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2; }"""
    )


@pytest.mark.django_db(transaction=True)
def test_search_facets_fiche_and_selection_work_with_the_keyboard_alone(live_server, page, shot):
    build_world()
    page.goto(f"{live_server.url}/experiences/")
    # Skip link, then the search box is the first control of the main content.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    _tab_to(page, "#q")
    assert _focus_is_visible(page)
    page.keyboard.type("tiers-lieu")
    page.keyboard.press("Enter")
    expect(page.locator("#result-count")).to_contain_text("4 expériences")

    # A facet, ticked with the space bar; the focus stays on it after the partial update.
    _tab_to(page, "input[name=country][value=FR]")
    assert _focus_is_visible(page)
    page.keyboard.press("Space")
    expect(page.locator("#result-count")).to_contain_text("3 expériences")
    expect(page.locator("input[name=country][value=FR]")).to_be_checked()
    expect(page.locator("input[name=country][value=FR]")).to_be_focused()
    shot(page, "facet ticked with the keyboard", full_page=False)

    # The first result, opened with Enter; its "add to my selection" button, pressed with Enter.
    _tab_to(page, ".result-card .card-title a")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_be_visible()
    _tab_to(page, ".fiche-actions button")
    assert _focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("#selection-count")).to_have_text("1")
    expect(page.locator(".fiche-actions button")).to_be_focused()
    shot(page, "added with the keyboard", full_page=False)

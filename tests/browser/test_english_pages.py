"""The main pages in English, desktop and mobile, as a reader sees them: screenshots to look at
(tests/browser/screenshots/<test>/) and the content-language rule checked in the browser."""

from __future__ import annotations

import pytest

from experiences.models import Experience
from tests.factories import StudyExperienceFactory, StudyFactory

from .world import build_world, login

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "mobile": {"width": 390, "height": 844}}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("screen", VIEWPORTS)
def test_main_english_pages_show_english_or_marked_french(live_server, page, shot, screen):
    world = build_world()
    french = Experience.objects.get(title="Concertation itinérante dans les Vallons")  # no English title
    study = StudyFactory(title="Third places study", slug="third-places", client_organisation=world.client)
    StudyExperienceFactory(study=study, experience=world.gare_tl)
    StudyExperienceFactory(study=study, experience=world.city_tl)
    page.set_viewport_size(VIEWPORTS[screen])
    base = live_server.url + "/en/"
    login(page, live_server.url, world.staff.username)
    pages = [
        ("home", ""),
        ("search", "experiences/?q=tiers-lieu"),
        ("search-reference", f"experiences/?ref={world.geo.chabaniere.slug}&sort=comparability"),
        ("fiche-english", world.gare_tl.get_absolute_url().removeprefix("/")),
        ("fiche-french", french.get_absolute_url().removeprefix("/")),
        ("comparison", f"etudes/comparer/?ids={world.gare_tl.pk},{world.city_tl.pk},{world.rural_tl.pk}"),
        ("study", f"etudes/{study.slug}/"),
        ("import", "experiences/espace/import/"),
        ("history", world.city_tl.get_absolute_url().removeprefix("/") + "historique/"),
    ]
    for name, path in pages:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "en", name
        shot(page, f"{screen}-{name}", full_page=screen == "desktop")
    # The fiche without an English body: its title and long texts are marked French, with a badge.
    page.goto(base + french.get_absolute_url().removeprefix("/"))
    assert page.locator("h1 span[lang=fr]").inner_text() == french.title
    assert page.locator("h1 .badge-lang").inner_text() == "in French"
    assert page.locator(".rich-text[lang=fr]").count() >= 3
    assert page.locator("h2", has_text="Context").count() == 1

"""A fiche written in the editor (a list, bold text, a link) reads the same everywhere: the fiche
page, the single-fiche PDF, a study report PDF, the API and a CSV export. And Enter in every
combobox of the fiche, partnership, study and profile forms picks the highlighted suggestion
and never sends the form; Enter in an ordinary field of a long form does not send it either.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess

import pytest
from playwright.sync_api import expect

from experiences.models import Experience
from partnerships.models import Partnership
from studies import services as study_services
from studies.models import ReportVersion, Study

from .conftest import SCREENSHOTS
from .world import build_world, login

pytestmark = pytest.mark.django_db(transaction=True)

LINK = "https://www.commune.fr/gare"
ITEMS = ["Rachat du bâtiment", "Travaux par tranches", "Ouverture en 2024"]
TAG_TEXT = re.compile(r"<\s*/?\s*(p|ul|ol|li|strong|em|a|br|div|b|i)\b|&lt;|&amp;|&gt;", re.IGNORECASE)


@pytest.fixture
def posts(page):
    """Every form the page sends (a POST that loads a page): a form sent by Enter would show here.

    Requests of htmx (the form's semantic hints) are not form submissions."""
    sent: list[str] = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.url) if request.method == "POST" and request.resource_type == "document" else None
        ),
    )
    return sent


def _pick(page, box_id: str, typed: str, option: str, *, arrow: bool = True) -> None:
    """Type in a combobox, wait for the suggestion, (↓ to highlight it), Enter."""
    box = page.locator(f"#{box_id}")
    box.click()
    box.press_sequentially(typed, delay=30)
    expect(page.locator(f"#{box_id}_list [role=option]", has_text=option).first).to_be_visible()
    if arrow:
        box.press("ArrowDown")
    box.press("Enter")
    expect(page.locator(f"#{box_id}_list")).to_be_hidden()


def _pdf_text(content: bytes, tmp_path, name: str) -> str:
    """The PDF's text (pdftotext); the page showing the list is also saved as a picture to look at
    (tests/browser/screenshots/pdf-<name>-<page>.png, git-ignored)."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    page = next((n for n, page in enumerate(text.split("\f"), start=1) if ITEMS[0] in page), 1)
    SCREENSHOTS.mkdir(exist_ok=True)
    prefix = SCREENSHOTS / f"pdf-{name}"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", str(page), "-l", str(page), str(path), str(prefix)], check=True
    )
    return text


def _write_in_editor(page, field: str) -> None:
    """The way a person writes in the editor: toolbar, Ctrl+B, a link chosen from selected words."""
    editor = page.locator(f"#id_{field} ~ .rte")
    toolbar = page.locator(f"#id_{field} ~ .rte-toolbar")
    editor.click()
    if field == "context":
        page.keyboard.type("Bâtiment SNCF ")
        page.keyboard.press("Control+B")
        page.keyboard.type("vacant")
        page.keyboard.press("Control+B")
        page.keyboard.type(" depuis 2015.")
        page.keyboard.press("Enter")
        page.keyboard.type("Voir le dossier complet")
        for _ in range(len("dossier complet")):
            page.keyboard.press("Shift+ArrowLeft")
        toolbar.locator("button[data-command=createLink]").click()  # the prompt is answered below
    else:
        toolbar.locator("button[data-command=insertUnorderedList]").click()
        for n, item in enumerate(ITEMS):
            if n:
                page.keyboard.press("Enter")
            page.keyboard.type(item)


def test_a_fiche_written_in_the_editor_reads_the_same_on_the_page_in_the_pdfs_the_api_and_a_csv(
    live_server, page, shot, axe_check, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.PORTAL_BASE_URL = live_server.url
    world = build_world()
    base = live_server.url
    page.on("dialog", lambda dialog: dialog.accept(LINK))  # the editor asks for the link's address
    login(page, base, "sacha")
    page.goto(f"{base}/experiences/espace/nouvelle/")
    _pick(page, "id_lead_territory", "Mornan", "Mornant", arrow=False)
    page.fill("#id_title", "Un tiers-lieu dans l'ancienne gare de Mornant")
    page.fill("#id_summary", "La commune rachète la gare et y ouvre un tiers-lieu.")
    _write_in_editor(page, "context")
    _write_in_editor(page, "actions")
    page.fill("#id_external_ref", "GARE-MORNANT")
    shot(page, "written in the editor")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator("h1")).to_have_text("Un tiers-lieu dans l'ancienne gare de Mornant")

    experience = Experience.objects.get(external_ref="GARE-MORNANT")
    assert experience.actions == "<ul>" + "".join(f"<li>{item}</li>" for item in ITEMS) + "</ul>"
    assert "<strong>vacant</strong>" in experience.context
    assert f'<a href="{LINK}" rel="noopener noreferrer nofollow">dossier complet</a>' in experience.context

    # The fiche page: a list, bold text, a link; no tag shown as text.
    article = page.locator("article")
    expect(article.locator(".rich-text ul li")).to_have_text(ITEMS)
    expect(article.locator("strong", has_text="vacant")).to_be_visible()
    expect(article.get_by_role("link", name="dossier complet")).to_have_attribute("href", LINK)
    assert not TAG_TEXT.search(" ".join(article.locator(".rich-text").all_inner_texts()))
    shot(page, "fiche page")
    axe_check(page, "fiche page")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "fiche page mobile")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The single-fiche PDF.
    response = page.context.request.get(f"{base}/etudes/fiche/{experience.slug}.pdf")
    assert response.ok
    text = _pdf_text(response.body(), tmp_path, "fiche")
    assert all(item in text for item in ITEMS) and "vacant" in text and "dossier complet" in text
    assert not TAG_TEXT.search(text), text

    # A study report that holds it, with the analyst's notes written as a list too.
    study = study_services.study_create(
        by=world.staff, title="Gares rurales pour Mornant", client_organisation=world.client, question="Comment ?"
    )
    (item,) = study_services.study_add_experiences(study=study, experience_ids=[experience.pk], by=world.staff)
    study_services.study_item_notes_update(
        item=item, by=world.staff, transferability="<ul><li>Le portage foncier</li><li>Le café associatif</li></ul>"
    )
    study_services.report_job_request(study=study, by=world.staff)
    version = ReportVersion.objects.get(study=Study.objects.get(pk=study.pk))
    with version.file.open("rb") as handle:
        text = _pdf_text(handle.read(), tmp_path, "report")
    assert all(item in text for item in [*ITEMS, "Le portage foncier", "Le café associatif"])
    assert not TAG_TEXT.search(text), text

    # The API: the same HTML, documented as such.
    data = page.context.request.get(f"{base}/api/v1/experiences/{experience.slug}/").json()
    assert data["actions"] == experience.actions and data["context"] == experience.context

    # A CSV export: the list as "- " lines, bold and link in the text form.
    page.goto(f"{base}/experiences/export/?ids={experience.pk}")
    page.get_by_label("CSV").check()
    with page.expect_download() as download:
        page.get_by_role("button", name="Exporter").click()
    content = download.value.path().read_bytes().decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(content), delimiter=";")
    assert row["actions"] == "'" + "\n".join(f"- {item}" for item in ITEMS)
    assert row["contexte"] == f"Bâtiment SNCF **vacant** depuis 2015.\n\nVoir le [dossier complet] <{LINK}>"
    assert row["url"] == f"{base}/experiences/{experience.slug}/"


def test_enter_in_every_combobox_of_the_fiche_form_picks_and_never_sends_it(live_server, page, posts, shot):
    build_world()
    base = live_server.url
    login(page, base, "sacha")
    page.goto(f"{base}/experiences/espace/nouvelle/")
    posts.clear()

    _pick(page, "id_lead_territory", "Mornan", "Mornant", arrow=False)  # territories: first suggestion ready
    expect(page.locator("[name=lead_territory]")).to_have_value("mornant")
    _pick(page, "id_territories", "Felle", "Felletin", arrow=False)
    _pick(page, "id_tags", "ancien", "ancienne gare")
    tags = page.locator("#id_tags")
    tags.press_sequentially("marché couvert", delay=20)
    tags.press("Enter")  # a new keyword: Enter adds what was typed
    expect(page.locator("[data-name=tags] [data-combobox-chips]")).to_contain_text("ancienne gare")
    expect(page.locator("[data-name=tags] [data-combobox-chips]")).to_contain_text("marché couvert")
    page.get_by_role("button", name="+ Ajouter un acteur").click()
    _pick(page, "id_actors-0-organisation", "Commune de Mor", "Commune de Mornant")
    page.get_by_role("button", name="+ Ajouter une ligne de financement").click()
    _pick(page, "id_funding-0-funder", "Commune de Mor", "Commune de Mornant")
    page.fill("#id_funding-0-label", "DETR")
    page.press("#id_funding-0-label", "Enter")  # an ordinary field of a long form
    page.fill("#id_funding-0-amount", "5000")
    page.press("#id_funding-0-amount", "Enter")
    page.get_by_role("button", name="+ Ajouter un contact").click()
    page.fill("#id_contacts-0-name", "Camille Martin")
    _pick(page, "id_contacts-0-organisation", "Commune de Mor", "Commune de Mornant")
    _pick(page, "id_client_organisation", "Commune de Mor", "Commune de Mornant")
    page.fill("#id_title", "Une halle couverte rouverte")
    page.press("#id_title", "Enter")
    page.fill("#id_summary", "La commune rouvre sa halle.")
    page.wait_for_load_state("networkidle")
    shot(page, "every combobox filled with the keyboard")
    assert posts == [], posts
    assert page.url.endswith("/experiences/espace/nouvelle/")

    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator("h1")).to_have_text("Une halle couverte rouverte")
    experience = Experience.objects.get(title="Une halle couverte rouverte")
    assert experience.lead_territory.slug == "mornant"
    assert [t.slug for t in experience.territories.all()] == ["felletin"]
    assert sorted(t.name for t in experience.tags.all()) == ["ancienne gare", "marché couvert"]
    assert experience.client_organisation.slug == "commune-de-mornant"
    assert [a.organisation.slug for a in experience.actor_links.all()] == ["commune-de-mornant"]
    line = experience.funding_lines.get()
    assert (line.funder.slug, line.label, line.amount) == ("commune-de-mornant", "DETR", 5000)
    assert experience.contacts.get().organisation.slug == "commune-de-mornant"


def test_enter_in_the_partnership_form_picks_territories_experiences_parties_and_funders(
    live_server, page, posts, shot
):
    build_world()
    base = live_server.url
    login(page, base, "dominique")
    page.goto(f"{base}/partenariats/nouveau/")
    posts.clear()
    page.fill("#id_title", "Réseau des tiers-lieux ruraux")
    page.press("#id_title", "Enter")
    page.select_option("#id_kind", "network")
    page.fill("#id_start_date", "2024-01-01")
    _pick(page, "id_territories", "Felle", "Felletin", arrow=False)
    _pick(page, "id_territories", "Morna", "Mornant", arrow=False)
    _pick(page, "id_experiences", "Felletin", "ancienne poste de Felletin")
    fieldset = page.locator("[data-formset=parties]")
    fieldset.get_by_role("button", name="Ajouter une ligne").click()
    _pick(page, "id_parties-0-organisation", "Commune de Mor", "Commune de Mornant")
    page.locator("[data-formset=funding]").get_by_role("button", name="Ajouter une ligne").click()
    _pick(page, "id_funding-0-funder", "Commune de Mor", "Commune de Mornant")
    page.fill("#id_funding-0-year", "2024")
    page.fill("#id_funding-0-amount", "3000")
    page.press("#id_funding-0-amount", "Enter")
    shot(page, "partnership form filled with the keyboard")
    assert posts == [], posts

    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("h1")).to_contain_text("Réseau des tiers-lieux ruraux")
    partnership = Partnership.objects.get(title="Réseau des tiers-lieux ruraux")
    assert sorted(t.slug for t in partnership.territories.all()) == ["felletin", "mornant"]
    assert [e.title for e in partnership.experiences.all()] == ["Un tiers-lieu dans l'ancienne poste de Felletin"]
    assert [p.organisation.slug for p in partnership.parties.all()] == ["commune-de-mornant"]
    assert partnership.funding_lines.get().funder.slug == "commune-de-mornant"

    # Editing it: the chips are there; one removed, one added, without a textarea of codes.
    page.goto(f"{base}/partenariats/{partnership.slug}/modifier/")
    chips = page.locator("[data-name=territories] [data-combobox-chips]")
    expect(chips).to_contain_text("Felletin")
    chips.get_by_role("button", name=re.compile("Retirer Felletin")).click()
    _pick(page, "id_territories", "Chaban", "Chabanière", arrow=False)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("h1")).to_contain_text("Réseau des tiers-lieux ruraux")
    assert sorted(t.slug for t in partnership.territories.all()) == ["chabaniere", "mornant"]


def test_enter_in_the_study_and_profile_comboboxes_picks_and_never_sends(live_server, page, posts, shot):
    build_world()
    base = live_server.url
    login(page, base, "dominique")
    page.goto(f"{base}/etudes/nouvelle/")
    posts.clear()
    page.fill("#id_title", "Gares rurales")
    page.press("#id_title", "Enter")
    _pick(page, "id_client_organisation", "Commune de Mor", "Commune de Mornant")
    _pick(page, "id_client_territory", "Morna", "Mornant", arrow=False)
    page.locator("#id_question ~ .rte").click()
    page.keyboard.type("Que faire d'une gare vide ?")
    shot(page, "study form filled with the keyboard")
    assert posts == [], posts
    page.get_by_role("button", name="Enregistrer").click()
    study = Study.objects.get(title="Gares rurales")
    assert (study.client_organisation.slug, study.client_territory.slug) == ("commune-de-mornant", "mornant")
    assert study.question == "<p>Que faire d'une gare vide ?</p>"

    page.goto(f"{base}/comptes/profil/modifier/")
    posts.clear()
    _pick(page, "id_reference_territory", "Felle", "Felletin", arrow=False)
    assert posts == [], posts
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state("networkidle")
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(username="dominique").reference_territory.slug == "felletin"


def test_enter_in_ma_collectivite_applies_the_first_territory_on_the_search_page(live_server, page):
    build_world()
    base = live_server.url
    page.goto(f"{base}/")
    home = page.locator("#home-ref")
    home.press_sequentially("Morna", delay=40)
    expect(page.locator("#home-ref-listbox [role=option]").first).to_contain_text("Mornant")
    home.press("Enter")  # picks, and does not send the home form
    expect(page.locator("[name=ref]")).to_have_value("mornant")
    assert page.url.rstrip("/") == base
    page.goto(f"{base}/experiences/?q=tiers-lieu")
    ref = page.locator("#ref-q")
    ref.press_sequentially("Morna", delay=40)
    expect(page.locator("#ref-listbox [role=option]").first).to_contain_text("Mornant")
    ref.press("Enter")  # the search page applies the choice at once
    expect(page.locator("#result-count")).to_contain_text("comparées à Mornant")

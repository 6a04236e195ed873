"""A fiche's words in the reader's language where they exist, marked as French where they do
not; numbers, amounts, percentages and dates as each language writes them; country names
from the CLDR."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from core import formats
from experiences.completeness import completeness_report
from experiences.templatetags.fiche_lang import fiche_text
from studies.models import StudyExperience
from territories.countries import COUNTRY_NAMES, country_name
from tests.experiences.search_helpers import fiche, make_geo
from tests.factories import StudyFactory, TerritoryFactory
from tests.test_i18n import compiled_catalogue  # noqa: F401 (fixture)

NBSP = "\u00a0"
pytestmark = pytest.mark.usefixtures("compiled_catalogue")

# --- Formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "number", "decimal", "money", "cents", "other", "percent", "long", "short", "label"),
    [
        (
            "fr",
            f"1{NBSP}052",
            "2,5",
            f"25{NBSP}000{NBSP}€",
            f"12,50{NBSP}€",
            f"5{NBSP}000{NBSP}CHF",
            f"93{NBSP}%",
            "6 décembre 2026",
            "06/12/2026",
            f"Budget{NBSP}: 3",
        ),
        (
            "en",
            "1,052",
            "2.5",
            "€25,000",
            "€12.50",
            f"CHF{NBSP}5,000",
            "93%",
            "December 6, 2026",
            "12/6/26",
            "Budget: 3",
        ),
    ],
)
def test_numbers_amounts_percentages_and_dates_are_written_as_each_language_writes_them(
    language, number, decimal, money, cents, other, percent, long, short, label
):
    day = datetime.date(2026, 12, 6)
    assert formats.format_number(1052, language=language) == number
    assert formats.format_number(Decimal("2.5"), language=language) == decimal
    assert formats.format_money(25000, language=language) == money
    assert formats.format_money("12.5", language=language) == cents
    assert formats.format_money(5000, "CHF", language=language) == other
    assert formats.format_percent(0.93, language=language) == percent
    assert formats.format_date(day, language=language) == long
    assert formats.format_date(day, "short", language=language) == short
    assert formats.label_value("Budget", 3, language=language) == label
    # The active language is the default, and the template filters say the same.
    with translation.override(language):
        assert formats.format_money(25000) == money
        rendered = Template(
            "{% load portal_format %}{{ n|number }}|{{ a|money }}|{{ r|percent }}|{{ s|percent:100 }}|{{ d|ldate }}|"
            "x{% colon %}"
        ).render(Context({"n": 1052, "a": 25000, "r": 0.93, "s": 93, "d": day}))
    assert rendered == "|".join([number, money, percent, percent, long, "x" + label[len("Budget") : -2]])


def test_empty_values_format_as_nothing():
    assert formats.format_money(None) == formats.format_number("") == formats.format_date(None) == ""


def test_a_moment_is_written_in_the_portal_time_zone_to_the_minute():
    moment = datetime.datetime(2026, 12, 6, 14, 5, tzinfo=datetime.UTC)  # 15:05 in Paris
    assert formats.format_datetime(moment, language="fr") == "6 déc. 2026, 15:05"
    assert formats.format_datetime(moment, language="en") == f"Dec 6, 2026, 3:05{NBSP}PM"


# --- Country names ---------------------------------------------------------------------------


def test_country_names_come_from_the_cldr_in_the_reader_language():
    assert country_name("ML", language="fr") == "Mali"
    assert country_name("BE", language="fr") == "Belgique" and country_name("BE", language="en") == "Belgium"
    assert country_name("ci", language="en") == "Côte d’Ivoire"
    assert country_name("QQ") == "QQ"  # unknown: the code itself
    assert len(COUNTRY_NAMES) > 240 and "ML" in COUNTRY_NAMES and "EU" not in COUNTRY_NAMES
    with translation.override("en"):
        assert COUNTRY_NAMES["DE"] == "Germany"


@pytest.mark.django_db
def test_the_country_facet_names_a_country_outside_france_and_belgium(client):
    kampti = TerritoryFactory(name="Kampti", slug="kampti", country="ML", kind="other", code="ML-K")
    fiche(title="Coopération avec Kampti", lead_territory=kampti)
    facet = client.get("/api/v1/experiences/", headers={"accept-language": "en"}).json()["facets"]["country"]
    assert {"value": "ML", "label": "Mali"}.items() <= facet[0].items()


# --- The fiche-content rule ------------------------------------------------------------------


@pytest.fixture
def fiches(db):
    geo = make_geo()
    both = fiche(
        title="Former 1 800 agents au numérique",
        title_en="Training 1,800 staff in digital skills",
        summary="Un plan de formation pour les agents.",
        summary_en="A training plan for the staff.",
        context="Un contexte rédigé en français.",
        lead_territory=geo.montpellier,
        budget_amount=90000,
    )
    french = fiche(
        title="Un tiers-lieu dans l'ancienne gare",
        summary="La commune a transformé sa gare.",
        context="Le contexte de la gare.",
        lead_territory=geo.chabaniere,
        budget_amount=25000,
    )
    return both, french


def _render(experience, options: str = "") -> str:
    return Template('{% load fiche_lang %}{% fiche_text e "title" ' + options + " %}").render(
        Context({"e": experience})
    )


@pytest.mark.django_db
def test_the_title_is_english_when_there_is_one_and_marked_french_with_a_badge_otherwise(fiches):
    both, french = fiches
    with translation.override("en"):
        assert _render(both) == "Training 1,800 staff in digital skills"
        marked = _render(french)
        assert marked.startswith('<span lang="fr">Un tiers-lieu dans l&#x27;ancienne gare</span>')
        assert 'class="badge badge-lang" lang="en">in French</span>' in marked
        assert "badge" not in _render(french, "badge=False")
        assert fiche_text(french, "title", plain=True) == "Un tiers-lieu dans l'ancienne gare (in French)"
        # A snapshot (comparison, reports) follows the same rule.
        snapshot = {"title": "Titre", "title_en": "", "language": "fr"}
        assert _render(snapshot, "badge=False") == '<span lang="fr">Titre</span>'
    with translation.override("fr"):
        assert _render(both) == "Former 1 800 agents au numérique"
        assert _render(french) == "Un tiers-lieu dans l&#x27;ancienne gare"


def _fr_spans(html: str) -> list[str]:
    return re.findall(r'<span lang="fr">(.*?)</span>', html)


@pytest.mark.django_db
def test_every_english_page_shows_a_fiche_in_english_or_marked_as_french(client, staff, fiches):
    both, french = fiches
    client.force_login(staff)
    for experience in fiches:
        client.post(f"/en/experiences/selection/{experience.pk}/")
    study = StudyFactory(title="Study", slug="study-lang")
    for position, experience in enumerate(fiches):
        StudyExperience.objects.create(study=study, experience=experience, position=position)
    pages = {
        "search": "/en/experiences/?q=gare+OR+agents",
        "home": "/en/",
        "comparison": f"/en/etudes/comparer/?ids={both.pk},{french.pk}",
        "selection": "/en/experiences/selection/",
        "study": f"/en/etudes/{study.slug}/",
    }
    for name, url in pages.items():
        html = client.get(url).content.decode()
        assert "Training 1,800 staff in digital skills" in html, name
        assert "Former 1 800 agents" not in html, name
        assert "Un tiers-lieu dans l&#x27;ancienne gare" in "".join(_fr_spans(html)) or any(
            "tiers-lieu" in span for span in _fr_spans(html)
        ), name
        assert "in French" in html, name
    search = client.get(pages["search"]).content.decode()
    assert "A training plan for the staff." in search and "Un plan de formation" not in search


@pytest.mark.django_db
def test_the_fiche_page_marks_the_french_body_under_english_headings(client, fiches):
    both, french = fiches
    html = client.get(f"/en/experiences/{french.slug}/").content.decode()
    assert "<h2>Context</h2>" in html
    assert re.search(r'<div class="rich-text" lang="fr">\s*<p>Le contexte de la gare.</p>', html)
    assert '<h1 class="h2"><span lang="fr">' in html and "in French" in html
    english = client.get(f"/en/experiences/{both.slug}/").content.decode()
    assert '<h1 class="h2">Training 1,800 staff in digital skills</h1>' in english
    assert "€90,000" in english and "Language</dt><dd>French" in english
    french_page = client.get(f"/experiences/{french.slug}/").content.decode()
    assert f"25{NBSP}000{NBSP}€" in french_page and 'lang="fr">' not in french_page.split("<main", 1)[-1]


@pytest.mark.django_db
def test_the_comparison_page_formats_figures_in_the_reader_language(client, fiches):
    both, french = fiches
    english = client.get(f"/en/etudes/comparer/?ids={both.pk},{french.pk}").content.decode()
    french_page = client.get(f"/etudes/comparer/?ids={both.pk},{french.pk}").content.decode()
    assert "€90,000" in english and "300,000" in english
    assert f"90{NBSP}000{NBSP}€" in french_page and f"300{NBSP}000" in french_page


@pytest.mark.django_db
def test_search_finds_a_fiche_from_words_of_either_language(client, fiches):
    both, _french = fiches
    for words in ("training staff", "formation agents"):
        data = client.get("/api/v1/experiences/", {"q": words}).json()
        assert [hit["slug"] for hit in data["results"]] == [both.slug], words


@pytest.mark.django_db
def test_completeness_mentions_a_missing_english_translation_for_public_french_fiches_only(fiches):
    both, french = fiches
    missing = "pas de titre et de résumé en anglais"
    assert missing in completeness_report(french).missing
    assert missing not in completeness_report(both).missing
    score = completeness_report(french).score
    type(french).objects.filter(pk=french.pk).update(visibility="members")
    french.refresh_from_db()
    assert missing not in completeness_report(french).missing
    assert completeness_report(french).score == score  # it says so, it weighs nothing


@pytest.mark.django_db
def test_consultants_enter_the_english_title_and_summary_in_the_fiche_form(client, consultant, fiches):
    client.force_login(consultant)
    html = client.get(f"/en/experiences/{fiches[1].slug}/modifier/").content.decode()
    assert re.search(r'<input[^>]*name="title_en"[^>]*lang="en"|<input[^>]*lang="en"[^>]*name="title_en"', html)
    assert re.search(r'<textarea[^>]*name="summary_en"', html)
    assert re.search(r'<input[^>]*name="title"[^>]*lang="fr"|<input[^>]*lang="fr"[^>]*name="title"', html)


def test_history_reasons_stored_in_french_are_shown_in_the_reader_language():
    from experiences.history import reason_label

    with translation.override("en"):
        assert reason_label("Publiée") == "Published"
        assert reason_label("Import fiches.xlsx") == "Import of fiches.xlsx"
        assert reason_label("Mot-clé « gare » fusionné dans « gares »") == "Keyword “gare” merged into “gares”"
        assert reason_label("anything else") == "anything else"
    with translation.override("fr"):
        assert reason_label("Publiée") == "Publiée"

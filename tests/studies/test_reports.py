"""Report document: French typography, map, sections and table of contents."""

import copy

import pytest

from studies import reports, selectors
from studies.templatetags.report_tags import money, number, period, rich, typo
from tests.factories import ExperienceFactory, StudyFactory, TerritoryFactory

NNBSP, NBSP = "\u202f", "\u00a0"


def test_typo_applies_french_spacing_and_apostrophes():
    assert typo('Pourquoi ? Parce que : "oui" ; l\'an...') == (
        f"Pourquoi{NNBSP}? Parce que{NBSP}: «{NNBSP}oui{NNBSP}»{NNBSP}; l’an…"
    )
    assert typo("voir https://example.org/a:b") == "voir https://example.org/a:b"


def test_numbers_and_money_use_thin_spaces():
    assert number(1234567) == f"1{NNBSP}234{NNBSP}567"
    assert money("620000.00") == f"620{NNBSP}000{NBSP}€"
    assert period({"period_start": "2019-03-01", "period_end": "2023-06-30"}) == f"2019{NBSP}–{NBSP}2023"
    assert period({"period_start": "2021-01-01", "period_end": None}) == "depuis 2021"


def test_rich_renders_the_editor_html_with_typography_and_keeps_lists():
    html = rich('<p>Intro <b>x</b> : "oui"</p><ul><li>un</li><li>deux</li></ul><script>alert(1)</script>')
    assert f"Intro <strong>x</strong>{NBSP}: «{NNBSP}oui{NNBSP}»" in html
    assert "<ul><li>un</li><li>deux</li></ul>" in html and "script" not in html


def test_rich_reads_plain_text_of_older_rows_as_paragraphs_and_lists():
    html = rich("Intro 5 < 6\n\n- un\n- deux")
    assert "<p>Intro 5 &lt; 6</p><ul><li>un</li><li>deux</li></ul>" in html


def test_the_report_map_places_french_and_belgian_fiches_and_lists_the_others():
    items = [
        {"number": 1, "experience": {"departments": ["23"], "territory": {"label": "Felletin", "country": "FR"}}},
        {
            "number": 2,
            "experience": {
                "departments": [],
                "map_units": [["BE", "90000"]],
                "territory": {"label": "Gesves", "country": "BE"},
            },
        },
        {"number": 3, "experience": {"departments": ["974"], "territory": {"label": "Saint-Denis", "country": "FR"}}},
        {"number": 4, "experience": {"departments": [], "territory": {"label": "Kampti", "country": "BF"}}},
    ]
    context = reports.map_context(items)
    assert len(context["departments"]) > 101  # the pages' drawing: 101 départements and Belgium's units
    assert context["insets"]  # the overseas départements
    assert [(d["code"], d["numbers"]) for d in context["legend"]] == [("23", [1]), ("BE", [2]), ("974", [3])]
    assert context["elsewhere"] == [{"number": 4, "label": "Kampti", "country": "BF"}]


@pytest.mark.django_db
def test_snapshot_finds_the_department_of_a_commune(staff):
    department = TerritoryFactory(kind="department", code="23", name="Creuse", slug="creuse")
    commune = TerritoryFactory(code="23079", name="Felletin", slug="felletin", parent=department)
    study = StudyFactory()
    study.items.create(experience=ExperienceFactory(lead_territory=commune), position=1)
    snapshot = selectors.report_snapshot(study_id=study.pk, viewer=staff)
    assert snapshot["items"][0]["experience"]["departments"] == ["23"]
    assert "map_units" not in snapshot["items"][0]["experience"]  # a French fiche is placed by its département


@pytest.mark.django_db
def test_snapshot_finds_the_province_of_a_belgian_municipality_without_changing_its_fingerprint(staff):
    province = TerritoryFactory(kind="province", country="BE", code="90000", name="Province de Namur", slug="namur-p")
    gesves = TerritoryFactory(country="BE", code="92054", name="Gesves", slug="gesves", parent=province)
    study = StudyFactory()
    study.items.create(experience=ExperienceFactory(lead_territory=gesves), position=1)
    fiche = selectors.report_snapshot(study_id=study.pk, viewer=staff)["items"][0]["experience"]
    assert fiche["map_units"] == [["BE", "90000"]]
    assert fiche["fingerprint"] == selectors.fingerprint(
        {k: v for k, v in fiche.items() if k not in ("map_units", "fingerprint")}
    )


@pytest.mark.django_db
def test_report_html_has_every_section_and_a_toc_entry_per_experience(staff):
    study = StudyFactory(title="Étude")
    for position in (1, 2):
        study.items.create(experience=ExperienceFactory(title=f"Expérience {position}"), position=position)
    study.criteria.create(name="Budget")
    snapshot = selectors.report_snapshot(study_id=study.pk, viewer=staff)
    seen = []
    html = reports.build_report_html(snapshot, version=3, on_section=lambda n, total: seen.append((n, total)))
    assert seen[-1] == (9, 9) == (len(seen), len(reports.report_sections(copy.deepcopy(snapshot))))
    for anchor in ("intro", "summary", "map", "grid", "fiche-1", "fiche-2", "conclusions"):
        assert f'href="#{anchor}"' in html and f'id="{anchor}"' in html
    assert '<html lang="fr">' in html and "v3" in html

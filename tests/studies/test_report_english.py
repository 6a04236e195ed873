"""The English report: every label, status, territory kind, number, amount and date in
English; fiche titles and summaries in English where the fiche has them, else in French
and marked so; the team named once."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import trans_real

from accounts.roles import Role
from experiences.models import ExperienceOrganisation, FundingLine, Source
from studies.templatetags.report_tags import money, number
from tests.factories import (
    CriterionFactory,
    ExperienceFactory,
    OrganisationFactory,
    StudyFactory,
    TerritoryFactory,
    UserFactory,
)
from tests.studies.test_report_layout import outline, pages_text, render

pytestmark = pytest.mark.django_db


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).replace("- ", "-")


def english_study():
    """Four fiches whose own texts are English (so any French in the PDF comes from the interface)."""
    lead = UserFactory(role=Role.STAFF, first_name="Claire", last_name="Dumas")
    other = UserFactory(role=Role.CONSULTANT, first_name="Marc", last_name="Leroy")
    study = StudyFactory(
        title="Rural third places",
        question="<p>How can a rural third place last?</p>",
        conclusions="<p>Three conditions stand out.</p>",
        recommendations="<ol><li>Start small.</li></ol>",
        lead=lead,
    )
    study.team.set([lead, other])
    criterion = CriterionFactory(study=study, name="Owner")
    rows = [
        ("Gare de Felletin", "Felletin station", "abandoned", "FR", "commune"),
        ("Tiers-lieu de Ramillies", "Ramillies third place", "ongoing", "BE", "commune"),
        ("Café de Gembloux", "", "completed", "BE", "commune"),
        ("Fablab du Pays de Guéret", "Guéret fablab", "planned", "FR", "epci"),
    ]
    for position, (title, title_en, status, country, kind) in enumerate(rows, start=1):
        territory = TerritoryFactory(country=country, kind=kind, name=f"Place {position}", slug=f"place-{position}")
        experience = ExperienceFactory(
            title=title,
            title_en=title_en,
            summary="Une gare rachetée par la commune." if not title_en else "",
            summary_en="A station bought by the town." if title_en else "",
            lead_territory=territory,
            project_status=status,
            budget_amount=Decimal(25000),
            context="<p>The building was empty for ten years.</p>",
            actions="<ul><li>Survey</li><li>Trial opening</li></ul>",
            results="<p>Twenty regular users.</p>",
        )
        ExperienceOrganisation.objects.create(experience=experience, organisation=OrganisationFactory(), role="lead")
        FundingLine.objects.create(experience=experience, label="DETR", amount=Decimal(10000), year=2023)
        Source.objects.create(experience=experience, title=f"Council minutes {position}")
        item = study.items.create(experience=experience, position=position, analysis_note="<p>Close case.</p>")
        criterion.values.create(item=item, value="Town")
    return study, lead


def french_catalogue_words() -> dict[str, str]:
    """French interface strings whose English translation differs (placeholders left out)."""
    catalog = trans_real.translation("en")._catalog
    words = {}
    for msgid, msgstr in catalog.items():
        if not isinstance(msgid, str) or not msgstr or msgstr == msgid or "%" in msgid or "{" in msgid:
            continue
        if len(msgid) >= 4 and re.search(r"[a-zà-ÿ]", msgid, flags=re.I):
            words[msgid] = msgstr
    return words


def test_english_numbers_and_amounts():
    with translation.override("en"):
        assert number(1234567) == "1,234,567" and money("25000.00") == "€25,000"
    with translation.override("fr"):
        assert money("25000.00") == "25\u202f000\u00a0€"


def test_the_english_report_has_no_french_interface_word_and_english_conventions():
    study, lead = english_study()
    path = render(study, lead, language="en")
    text = flat(" ".join(pages_text(path)))
    found = {
        msgid: msgstr
        for msgid, msgstr in french_catalogue_words().items()
        if re.search(rf"(?<![\w’']){re.escape(msgid)}(?![\w’'])", text)
    }
    assert not found, f"French interface strings in the English report: {found}"
    for expected in ("Abandoned", "Ongoing", "Municipality", "€25,000", "Fiche 1 of 4", "Felletin station"):
        assert expected in text, expected
    # The fiche without an English title keeps its French one, marked so.
    assert "Café de Gembloux (in French)" in text
    assert text.count("Claire Dumas") == 2  # the cover's project lead and the team line, once each
    assert "Claire Dumas, Marc Leroy." in text
    labels = [label for label, _page, _children in outline(path)]
    assert labels[4] == "05 Experience fiches"

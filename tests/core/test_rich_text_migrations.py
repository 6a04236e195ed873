"""The data migrations that bring stored long texts to the one rich-text format.

Rows are written in both of the formats found before (plain text from the demo loader
and spreadsheet imports; editor HTML with <b>, <div> and a rel attribute in another
order), straight into the tables as the old code wrote them; then each migration's
conversion runs. Running it a second time changes nothing. (The schema part of these
migrations changes no column: the field class only.)
"""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.db import migrations

from core.fields import canonicalise_stored
from experiences.models import Experience, Organisation
from partnerships.models import Partnership
from studies.models import Study, StudyExperience
from tests.factories import (
    ExperienceFactory,
    OrganisationFactory,
    PartnershipFactory,
    StudyExperienceFactory,
    StudyFactory,
)

MIGRATIONS = [
    ("experiences", "0016_long_texts_in_one_rich_text_format"),
    ("studies", "0005_long_texts_in_one_rich_text_format"),
    ("partnerships", "0004_long_texts_in_one_rich_text_format"),
]
PLAIN = "Bâtiment vacant depuis 2015.\n\n- rachat du bâtiment\n- travaux par tranches\n\n1. étude\n2. chantier"
PLAIN_HTML = (
    "<p>Bâtiment vacant depuis 2015.</p><ul><li>rachat du bâtiment</li><li>travaux par tranches</li></ul>"
    "<ol><li>étude</li><li>chantier</li></ol>"
)
EDITOR = '<div>Un <b>café</b> et <a href="https://ville.fr" rel="nofollow">un lien</a></div><div><br></div><ul><li>a</li></ul>'
EDITOR_HTML = (
    '<p>Un <strong>café</strong> et <a href="https://ville.fr" rel="noopener noreferrer nofollow">un lien</a></p>'
    "<ul><li>a</li></ul>"
)


def _module(app: str, name: str):
    return importlib.import_module(f"{app}.migrations.{name}")


@pytest.mark.django_db
def test_long_texts_in_both_old_formats_become_canonical_html_and_a_second_run_changes_nothing():
    # Written as the old code wrote them: queryset updates bypass every conversion.
    client = OrganisationFactory(name="Commune de Felletin")
    plain, editor = ExperienceFactory(title="Plain"), ExperienceFactory(title="Editor")
    Experience.objects.filter(pk=plain.pk).update(context=PLAIN, actions="Une seule ligne", results="")
    Experience.objects.filter(pk=editor.pk).update(context=EDITOR)
    Organisation.objects.filter(pk=client.pk).update(description=PLAIN)
    study = StudyFactory(client_organisation=client)
    Study.objects.filter(pk=study.pk).update(question=PLAIN, conclusions=EDITOR, scope="")
    item = StudyExperienceFactory(study=study, experience=plain)
    StudyExperience.objects.filter(pk=item.pk).update(transferability=PLAIN)
    partnership = PartnershipFactory(start_date=datetime.date(2020, 1, 1))
    Partnership.objects.filter(pk=partnership.pk).update(description=PLAIN, notes=EDITOR)

    for app, name in MIGRATIONS:
        module = _module(app, name)
        assert any(
            isinstance(op, migrations.RunPython) and op.code is module.to_canonical_html
            for op in module.Migration.operations
        )
        module.to_canonical_html(apps, None)

    plain.refresh_from_db()
    editor.refresh_from_db()
    assert (plain.context, plain.actions, plain.results) == (PLAIN_HTML, "<p>Une seule ligne</p>", "")
    assert editor.context == EDITOR_HTML
    assert Organisation.objects.get(pk=client.pk).description == PLAIN_HTML
    study.refresh_from_db()
    assert (study.question, study.conclusions, study.scope) == (PLAIN_HTML, EDITOR_HTML, "")
    assert StudyExperience.objects.get(pk=item.pk).transferability == PLAIN_HTML
    partnership.refresh_from_db()
    assert (partnership.description, partnership.notes) == (PLAIN_HTML, EDITOR_HTML)

    # Idempotent: a second run finds nothing to change.
    for app, name in MIGRATIONS:
        for model_name, fields in _module(app, name).LONG_TEXTS.items():
            assert canonicalise_stored(apps.get_model(app, model_name), fields) == 0, (app, model_name)

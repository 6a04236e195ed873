"""The rich-text field on every write path: the editor's post, the no-JavaScript text form,
the admin, and the API's documented output."""

import pytest
from django.urls import reverse

from core.api.serializers import RichTextSerializerField
from core.fields import RichTextarea, RichTextFormField, rich_text_fields
from experiences.api.serializers import ExperienceDetailSerializer, OrganisationSerializer
from experiences.models import Experience, Organisation
from partnerships.models import Partnership
from studies.models import Study, StudyExperience
from tests.factories import OrganisationFactory


def test_the_long_texts_are_declared_on_the_models_once():
    assert rich_text_fields(Experience) == ("context", "actions", "results", "vigilance_points")
    assert rich_text_fields(Study) == ("question", "scope", "method", "conclusions", "recommendations")
    assert rich_text_fields(StudyExperience) == ("analysis_note", "transferability", "client_vigilance")
    assert rich_text_fields(Partnership) == ("description", "notes")
    assert rich_text_fields(Organisation) == ("description",)


def test_the_widget_reads_the_editor_html_or_the_text_form_as_the_page_says():
    widget = RichTextarea()
    editor = {"notes": "Un <b>café</b> &lt;ouvert&gt;", "notes__format": "html"}
    assert widget.value_from_datadict(editor, {}, "notes") == "<p>Un <strong>café</strong> &lt;ouvert&gt;</p>"
    typed = {"notes": "Un <b>café</b>\n\n- a\n- b", "notes__format": "text"}  # no JavaScript: tags are text
    assert (
        widget.value_from_datadict(typed, {}, "notes")
        == "<p>Un &lt;b&gt;café&lt;/b&gt;</p><ul><li>a</li><li>b</li></ul>"
    )


def test_the_textarea_shows_the_readable_text_and_hands_the_html_to_the_editor():
    html = RichTextarea().render("notes", "<ul><li>un</li></ul><p><strong>deux</strong></p>", {"id": "id_notes"})
    assert "- un\n\n**deux**</textarea>" in html
    assert (
        'data-html="&lt;ul&gt;&lt;li&gt;un&lt;/li&gt;&lt;/ul&gt;&lt;p&gt;&lt;strong&gt;deux&lt;/strong&gt;&lt;/p&gt;"'
        in html
    )
    assert 'name="notes__format" value="text"' in html and "data-richtext" in html


def test_a_form_field_sanitises_whatever_widget_it_is_given():
    assert RichTextFormField(required=False).clean('<p onclick="x()">a<script>b</script></p>') == "<p>a</p>"


def test_the_api_documents_and_gives_canonical_html_for_every_long_text():
    fields = ExperienceDetailSerializer().fields
    for name in rich_text_fields(Experience):
        assert isinstance(fields[name], RichTextSerializerField)
        assert "HTML nettoyé" in str(fields[name].help_text)
    assert isinstance(OrganisationSerializer().fields["description"], RichTextSerializerField)


@pytest.mark.django_db
def test_the_admin_stores_plain_text_typed_there_in_the_one_format(client, staff):
    staff.is_superuser = True
    staff.save()
    organisation = OrganisationFactory(name="Ville de Pau")
    client.force_login(staff)
    url = reverse("admin:experiences_organisation_change", args=[organisation.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields if form[name].value() is not None}
    data["description"] = "Une ville moyenne.\n\n- 77 000 habitants\n- chef-lieu"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    organisation.refresh_from_db()
    assert organisation.description == "<p>Une ville moyenne.</p><ul><li>77 000 habitants</li><li>chef-lieu</li></ul>"

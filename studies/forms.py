"""Forms of the study workspace. They validate input only; writes go through services."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.roles import ROLE_GROUPS, Role
from core.fields import RichTextarea, RichTextFormField
from experiences.forms import OrganisationField
from territories.forms import TerritoryField

from .models import Criterion, Study, StudyExperience


def _staff_and_consultants():
    names = [ROLE_GROUPS[Role.STAFF], ROLE_GROUPS[Role.CONSULTANT]]
    return (
        get_user_model()
        .objects.filter(Q(groups__name__in=names) | Q(is_superuser=True), is_active=True)
        .distinct()
        .order_by("last_name", "username")
    )


class StudyForm(forms.ModelForm):
    """The study's header: client, question, scope, team, deadline, status."""

    client_organisation = OrganisationField(
        allow_new=False,
        label=_("client"),
        placeholder=_("Nom de l'organisation cliente"),
        help_text=_("Tapez son nom et choisissez-la dans la liste."),
    )
    client_territory = TerritoryField(
        required=False,
        label=_("territoire du client"),
        placeholder=_("commune, EPCI, département…"),
        help_text=_("Sert à situer les expériences retenues par rapport au client."),
    )

    class Meta:
        model = Study
        fields = [
            "title",
            "client_organisation",
            "client_territory",
            "question",
            "scope",
            "method",
            "lead",
            "team",
            "deadline",
            "status",
            "include_contacts",
        ]
        widgets = {
            "question": RichTextarea(attrs={"rows": 3}),
            "scope": RichTextarea(attrs={"rows": 3}),
            "method": RichTextarea(attrs={"rows": 3}),
            "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "team": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, viewer, can_include_contacts: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        people = _staff_and_consultants()
        self.fields["lead"].queryset = people
        self.fields["team"].queryset = people
        self.fields["team"].required = False
        if not can_include_contacts:
            self.fields["include_contacts"].disabled = True
            self.fields["include_contacts"].help_text = _("Réservé à l'équipe (données personnelles).")
        for name, field in self.fields.items():
            css = (
                "form-check-input"
                if name == "include_contacts"
                else "form-select"
                if name in ("lead", "team", "status")
                else "form-control"
            )
            field.widget.attrs.setdefault("class", css)


class ItemNotesForm(forms.ModelForm):
    class Meta:
        model = StudyExperience
        fields = ["analysis_note", "transferability", "client_vigilance"]
        widgets = {name: RichTextarea(attrs={"rows": 3, "class": "form-control"}) for name in fields}


class CriterionForm(forms.ModelForm):
    class Meta:
        model = Criterion
        fields = ["name", "description"]
        widgets = {
            "name": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            "description": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
        }

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.study = study

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = self.study.criteria.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Ce critère existe déjà dans l'étude."))
        return name


class CellForm(forms.Form):
    value = forms.CharField(
        label=_("valeur"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class TextsForm(forms.Form):
    conclusions = RichTextFormField(
        label=_("Conclusions"), required=False, widget=RichTextarea(attrs={"rows": 8, "class": "form-control"})
    )
    recommendations = RichTextFormField(
        label=_("Recommandations"),
        required=False,
        widget=RichTextarea(attrs={"rows": 8, "class": "form-control"}),
    )

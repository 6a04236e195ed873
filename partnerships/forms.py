"""Staff forms: the partnership and its parts. They validate and render; services save."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.forms.models import BaseInlineFormSet, inlineformset_factory
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import ROLE_GROUPS, Role
from core.storage import PrivateFileInput
from experiences.models import Experience, Organisation
from studies.models import Study
from territories.models import Territory
from territories.selectors import territory_choices_text, territory_lookup

from .models import Deliverable, Milestone, Partnership, PartnershipDocument, PartnershipFunding, PartnershipParty

DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class BootstrapMixin:
    """Bootstrap classes on every widget, and `is-invalid` on fields with errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for _name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = "form-check-list"
            elif isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select form-select-sm" if self.prefix else "form-select"
            else:
                css = "form-control form-control-sm" if self.prefix else "form-control"
            widget.attrs["class"] = css

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = attrs.get("class", "") + " is-invalid"
                attrs["aria-invalid"] = "true"


class LinkedChoicesMixin:
    """Large relations (36,000 territories, every experience) are not rendered as options.

    The form shows the current links as checkboxes (untick to remove) and a text
    box to add more, one per line, by slug, official code or exact name; the
    page's script adds suggestions from the autocomplete endpoints.
    """

    def _limit_rendered_choices(self, name: str, selected) -> None:
        field = self.fields[name]
        field.widget = forms.CheckboxSelectMultiple()
        field.widget.choices = [(obj.pk, self._choice_label(obj)) for obj in selected]

    @staticmethod
    def _choice_label(obj) -> str:
        if isinstance(obj, Territory):
            kind = obj.get_kind_display()
            return f"{obj.label} — {kind}" if obj.country == "FR" else f"{obj.label} ({obj.country}) — {kind}"
        return str(obj)


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").replace(",", "\n").splitlines() if line.strip()]


class PartnershipForm(BootstrapMixin, LinkedChoicesMixin, forms.ModelForm):
    add_territories = forms.CharField(
        label=_("Ajouter des territoires"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "data-autocomplete": "territories", "autocomplete": "off"}),
        help_text=_("Un par ligne : nom exact, code officiel (INSEE, SIREN, NIS) ou identifiant."),
    )
    add_experiences = forms.CharField(
        label=_("Ajouter des expériences"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "data-autocomplete": "experiences", "autocomplete": "off"}),
        help_text=_("Une par ligne : identifiant (slug) ou adresse de la fiche."),
    )

    class Meta:
        model = Partnership
        fields = [
            "title",
            "kind",
            "description",
            "start_date",
            "end_date",
            "visibility",
            "currency",
            "manager",
            "territories",
            "studies",
            "experiences",
            "notes",
        ]
        widgets = {
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT,
            "description": forms.Textarea(attrs={"rows": 5}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "currency": forms.TextInput(attrs={"size": 3, "maxlength": 3, "pattern": "[A-Za-z]{3}"}),
        }
        help_texts = {
            "visibility": _("Confidentiel : visible de l'équipe et des membres des organisations parties."),
            "notes": _("Visibles de l'équipe seulement."),
        }

    def __init__(self, *args, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        User = get_user_model()
        self.fields["manager"].queryset = (
            User.objects.filter(is_active=True)
            .filter(Q(is_superuser=True) | Q(groups__name=ROLE_GROUPS[Role.STAFF]))
            .distinct()
            .order_by("last_name", "username")
        )
        # The widget first: setting the queryset hands its choices to the current widget.
        self.fields["studies"].widget = forms.CheckboxSelectMultiple()
        self.fields["studies"].queryset = Study.objects.visible_to(viewer).order_by("title")
        self.fields["studies"].required = False
        self.fields["territories"].required = False
        self.fields["experiences"].required = False
        self.fields["experiences"].queryset = Experience.objects.visible_to(viewer)
        pk = self.instance.pk
        self._limit_rendered_choices(
            "territories", Territory.objects.filter(partnerships=pk).order_by("name") if pk else []
        )
        self._limit_rendered_choices(
            "experiences", Experience.objects.visible_to(viewer).filter(partnerships=pk).order_by("title") if pk else []
        )

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").strip().upper()

    def clean_add_territories(self):
        found, errors = [], []
        for token in _lines(self.cleaned_data.get("add_territories")):
            # The rules of every territory field: slug, code (with its country when
            # two countries share it: BE-25122), label "Name (département)" or name.
            matches = territory_lookup(token)
            if len(matches) == 1:
                found.append(matches[0])
            elif matches:
                errors.append(
                    _(
                        "« %(token)s » peut désigner plusieurs territoires : %(candidates)s. Écrivez celui que vous voulez."
                    )
                    % {"token": token, "candidates": territory_choices_text(matches)}
                )
            else:
                errors.append(_("Territoire introuvable : « %(token)s ».") % {"token": token})
        if errors:
            raise forms.ValidationError(errors)
        return found

    def clean_add_experiences(self):
        found, errors = [], []
        visible = self.fields["experiences"].queryset
        for token in _lines(self.cleaned_data.get("add_experiences")):
            slug = token.rstrip("/").rsplit("/", 1)[-1]
            experience = visible.filter(slug=slug).first()
            if experience is None:
                errors.append(_("Expérience introuvable : « %(token)s ».") % {"token": token})
            else:
                found.append(experience)
        if errors:
            raise forms.ValidationError(errors)
        return found

    def relations(self) -> dict:
        """Linked territories, studies and experiences after this form's additions."""
        data = self.cleaned_data
        return {
            "territories": {*data.get("territories", []), *data.get("add_territories", [])},
            "studies": list(data.get("studies", [])),
            "experiences": {*data.get("experiences", []), *data.get("add_experiences", [])},
        }

    def field_values(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if name not in ("territories", "studies", "experiences")
        }


class PartyForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = PartnershipParty
        fields = ["organisation", "role"]


class _OrganisationChoicesFormSet(BaseInlineFormSet):
    """Evaluates the organisation list once for every row instead of once per row."""

    org_field = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "---------"), *Organisation.objects.order_by("name").values_list("pk", "name")]
        for form in [*self.forms, self.empty_form]:
            form.fields[self.org_field].choices = choices


class PartyFormSet(_OrganisationChoicesFormSet):
    org_field = "organisation"


class FundingFormSet(_OrganisationChoicesFormSet):
    org_field = "funder"


class FundingForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = PartnershipFunding
        fields = ["funder", "year", "amount", "currency", "received"]
        widgets = {
            "year": forms.NumberInput(attrs={"min": 1950, "max": 2100}),
            "amount": forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
            "currency": forms.TextInput(attrs={"size": 3, "maxlength": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].required = False
        self.fields["currency"].help_text = _("Vide : la devise du partenariat.")

    def clean_currency(self):
        value = (self.cleaned_data.get("currency") or "").strip().upper()
        return value or (self.instance.partnership.currency if self.instance.partnership_id else "EUR")


def _link_current_file(form, url_name: str) -> None:
    """Point the file widget at the checked download view of the row's current file."""
    instance = form.instance
    if instance.pk and instance.file:
        form.fields["file"].widget.download_url = reverse(url_name, args=[instance.partnership.slug, instance.pk])


class DeliverableForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Deliverable
        fields = ["title", "due_date", "status", "delivered_on", "file"]
        widgets = {"due_date": DATE_INPUT, "delivered_on": DATE_INPUT, "file": PrivateFileInput}
        help_texts = {"delivered_on": _("Vide et « Livré » : aujourd'hui.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _link_current_file(self, "partnerships:deliverable_file")

    def clean(self):
        data = super().clean()
        # Same default as deliverable_update(), applied here so that the model's
        # "delivered needs a date" constraint passes form validation.
        if data.get("status") == Deliverable.Status.DELIVERED and not data.get("delivered_on"):
            data["delivered_on"] = timezone.localdate()
            self.instance.delivered_on = data["delivered_on"]
        return data


class MilestoneForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["date", "title"]
        widgets = {"date": DATE_INPUT}


class DocumentForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = PartnershipDocument
        fields = ["title", "file", "url"]
        widgets = {"file": PrivateFileInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _link_current_file(self, "partnerships:document_file")

    def clean(self):
        data = super().clean()
        if not data.get("file") and not data.get("url") and not data.get("DELETE") and self.has_changed():
            raise forms.ValidationError(_("Joignez un fichier ou indiquez un lien."))
        return data


def formsets(*, instance: Partnership, data=None, files=None) -> dict[str, BaseInlineFormSet]:
    """The five inline formsets of the edit page, keyed by prefix."""
    extra_parties = 2 if instance.pk is None else 1
    specs = {
        "parties": inlineformset_factory(
            Partnership,
            PartnershipParty,
            formset=PartyFormSet,
            form=PartyForm,
            extra=extra_parties,
            can_delete=True,
        ),
        "funding": inlineformset_factory(
            Partnership, PartnershipFunding, formset=FundingFormSet, form=FundingForm, extra=1, can_delete=True
        ),
        "deliverables": inlineformset_factory(Partnership, Deliverable, form=DeliverableForm, extra=1, can_delete=True),
        "milestones": inlineformset_factory(Partnership, Milestone, form=MilestoneForm, extra=1, can_delete=True),
        "documents": inlineformset_factory(
            Partnership, PartnershipDocument, form=DocumentForm, extra=1, can_delete=True
        ),
    }
    return {prefix: cls(data, files, instance=instance, prefix=prefix) for prefix, cls in specs.items()}

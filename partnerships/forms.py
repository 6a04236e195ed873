"""Staff forms: the partnership and its parts. They validate and render; services save."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet, inlineformset_factory
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import ROLE_GROUPS, Role
from core.combobox import ComboboxMultipleField, unique
from core.fields import RichTextarea
from core.storage import PrivateFileInput
from experiences.forms import OrganisationField
from experiences.models import Experience
from studies.models import Study
from territories.forms import TerritoriesField

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


class ExperiencesField(ComboboxMultipleField):
    """Linked experiences: chips kept, plus identifiers or addresses typed; only those the viewer may read."""

    url_name = "partnerships:experience_autocomplete"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.queryset = Experience.objects.none()

    def describe_many(self, value) -> list[tuple[str, str]]:
        if isinstance(value, dict):
            titles = dict(self.queryset.filter(slug__in=value["values"]).values_list("slug", "title"))
            return [(slug, titles[slug]) for slug in value["values"] if slug in titles]
        return [(e.slug, e.title) for e in value or []]

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, list | tuple):
            return list(value)
        found = {e.slug: e for e in self.queryset.filter(slug__in=value["values"])}
        result = [found[slug] for slug in value["values"] if slug in found]
        errors = []
        for token in self.typed(value):
            experience = self.queryset.filter(slug=token.rstrip("/").rsplit("/", 1)[-1]).first()
            if experience is None:
                errors.append(ValidationError(_("Expérience introuvable : « %(token)s »."), params={"token": token}))
            else:
                result.append(experience)
        if errors:
            raise ValidationError(errors)
        return unique(result)


class PartnershipForm(BootstrapMixin, forms.ModelForm):
    territories = TerritoriesField(
        required=False,
        label=_("Territoires"),
        placeholder=_("Ajouter un territoire…"),
        help_text=_("Tapez un nom ou un code officiel (INSEE, SIREN, NIS) et choisissez dans la liste."),
    )
    experiences = ExperiencesField(
        required=False,
        label=_("Expériences liées"),
        placeholder=_("Ajouter une expérience…"),
        help_text=_("Tapez quelques mots du titre et choisissez dans la liste (ou collez l'adresse de la fiche)."),
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
            "description": RichTextarea(attrs={"rows": 5}),
            "notes": RichTextarea(attrs={"rows": 3}),
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
        self.fields["experiences"].queryset = Experience.objects.visible_to(viewer)
        if self.instance.pk and not self.is_bound:
            self.initial["territories"] = list(self.instance.territories.order_by("name"))
            self.initial["experiences"] = list(
                self.fields["experiences"].queryset.filter(partnerships=self.instance).order_by("title")
            )

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").strip().upper()

    def relations(self) -> dict:
        """Linked territories, studies and experiences as the form leaves them."""
        data = self.cleaned_data
        return {
            "territories": list(data.get("territories", [])),
            "studies": list(data.get("studies", [])),
            "experiences": list(data.get("experiences", [])),
        }

    def field_values(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if name not in ("territories", "studies", "experiences")
        }


class PartyForm(BootstrapMixin, forms.ModelForm):
    organisation = OrganisationField(allow_new=False, label=_("Organisation"))

    class Meta:
        model = PartnershipParty
        fields = ["organisation", "role"]


class _OrganisationChoicesFormSet(BaseInlineFormSet):
    """Rows show their organisation in a combobox: its current value comes from the row, not a query."""

    org_field = ""

    def get_queryset(self):
        return super().get_queryset().select_related(self.org_field)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form in self.forms:
            if form.instance.pk:
                form.initial[self.org_field] = getattr(form.instance, self.org_field)


class PartyFormSet(_OrganisationChoicesFormSet):
    org_field = "organisation"


class FundingFormSet(_OrganisationChoicesFormSet):
    org_field = "funder"


class FundingForm(BootstrapMixin, forms.ModelForm):
    funder = OrganisationField(allow_new=False, label=_("Financeur"))

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

"""Forms of the account pages."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from .roles import ROLE_LABELS, Role

User = get_user_model()


class BootstrapMixin:
    """Give every widget Bootstrap's classes (templates render fields one by one)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            widget.attrs.setdefault("class", css)


def _territory_field():
    # The territory combobox, asked of the model the user's own relation points to
    # (accounts imports no portal app).
    territory_model = User._meta.get_field("reference_territory").related_model
    return territory_model.form_field(
        required=False,
        label=_("Ma collectivité (territoire de référence)"),
        placeholder=_("commune, EPCI, département…"),
        help_text=_("Tapez son nom et choisissez-la dans la liste ; sert à trouver des expériences comparables."),
    )


class ProfileForm(BootstrapMixin, forms.Form):
    first_name = forms.CharField(label=_("Prénom"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=150, required=False)
    email = forms.EmailField(label=_("Courriel"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reference_territory"] = _territory_field()
        self.fields["reference_territory"].widget.attrs["class"] = "form-control"


class TokenCreateForm(BootstrapMixin, forms.Form):
    name = forms.CharField(
        label=_("Nom du jeton"), max_length=100, help_text=_("Par exemple « script de veille » ou « tableur ».")
    )


ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in (Role.MEMBER, Role.CONSULTANT, Role.STAFF, Role.VISITOR)]


class InviteForm(BootstrapMixin, forms.Form):
    email = forms.EmailField(label=_("Courriel"))
    first_name = forms.CharField(label=_("Prénom"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Rôle"), choices=ROLE_CHOICES, initial=Role.MEMBER.value)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organisation_model = User._meta.get_field("organisation").related_model
        self.fields["organisation"] = forms.ModelChoiceField(
            queryset=organisation_model.objects.order_by("name"),
            required=False,
            label=_("Organisation"),
            widget=forms.Select(attrs={"class": "form-select"}),
        )
        self.fields["reference_territory"] = _territory_field()
        self.fields["reference_territory"].widget.attrs["class"] = "form-control"


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Rôle"), choices=ROLE_CHOICES)


class AccountDeleteForm(BootstrapMixin, forms.Form):
    password = forms.CharField(
        label=_("Votre mot de passe, pour confirmer"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Mot de passe incorrect."))
        return password


class ContactEraseForm(BootstrapMixin, forms.Form):
    email = forms.EmailField(label=_("Courriel de la personne"), required=False)
    name = forms.CharField(label=_("Nom exact de la personne"), max_length=200, required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("email") and not cleaned.get("name", "").strip():
            raise forms.ValidationError(_("Indiquez une adresse ou un nom."))
        return cleaned


class PortalPasswordChangeForm(BootstrapMixin, PasswordChangeForm):
    pass


class PortalSetPasswordForm(BootstrapMixin, SetPasswordForm):
    pass

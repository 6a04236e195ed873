"""Forms of the reader's tools (saved searches). They validate input; writes go through experiences.alerts."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, has_role

from .models import SavedSearch


class SavedSearchForm(forms.ModelForm):
    class Meta:
        model = SavedSearch
        fields = ["name", "comparable_to_mine", "weekly_digest", "alert_frequency"]
        labels = {
            "name": _("Nom de la recherche"),
            "comparable_to_mine": _("Seulement des territoires comparables à ma collectivité"),
            "weekly_digest": _("M'envoyer les nouvelles expériences par courriel"),
            "alert_frequency": _("Fréquence de l'alerte"),
        }
        help_texts = {
            "name": _("Pour la retrouver dans « Mes recherches »."),
            "comparable_to_mine": _("Suit votre collectivité de référence, même si vous en changez."),
            "weekly_digest": _(
                "Un courriel le matin, seulement s'il y a du nouveau ; chaque expérience n'est signalée qu'une fois."
            ),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["name"].widget.attrs.update({"autocomplete": "off", "maxlength": 120})
        if "alert_frequency" in self.fields:
            self.fields["alert_frequency"].required = False  # weekly unless chosen
        if not has_role(user, Role.MEMBER):
            # E-mail alerts are for members; a visitor account saves the search only.
            del self.fields["weekly_digest"]
            del self.fields["alert_frequency"]
        if user.reference_territory_id is None:
            self.fields["comparable_to_mine"].disabled = True
            self.fields["comparable_to_mine"].help_text = _(
                "Indiquez d'abord votre collectivité de référence (dans votre profil ou sur la page de recherche)."
            )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        qs = SavedSearch.objects.filter(user=self.user, name=name)
        if self.instance.pk:
            qs = qs.exclude(pk=self.instance.pk)
        if qs.exists():
            raise forms.ValidationError(_("Vous avez déjà une recherche enregistrée sous ce nom."))
        return name

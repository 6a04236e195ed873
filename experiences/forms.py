"""The fiche form (create and edit), its inline lists, and the tag and import forms.

Forms only read and validate what a person typed; `services` write. Fields
with autocomplete (territories, organisations, tags) work without JavaScript
too: a typed name is resolved on the server, and an ambiguous one gets an
error listing the candidates.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.combobox import ComboboxField, ComboboxMultipleField
from core.fields import RichTextarea, rich_text_fields
from core.formats import format_date
from territories.forms import TerritoriesField, TerritoryField

from .history import CHILD_MODELS
from .importers import MAX_FILE_BYTES
from .models import Experience, ExperienceOrganisation, ExportJob, Organisation, Tag, Theme
from .services import validate_attachment

MAX_INLINE_ROWS = 50


# --- Autocomplete fields (comboboxes, see core/combobox.py) -----------------------------------


class OrganisationField(ComboboxField):
    """An organisation chosen in the list, or typed: its exact name, or (with `allow_new`) a new
    name, created on save by the services."""

    url_name = "experiences:organisation_autocomplete"

    def __init__(self, *, allow_new: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.allow_new = allow_new

    def describe(self, value) -> tuple[str, str]:
        if isinstance(value, int):  # a model form's initial value: the primary key
            value = Organisation.objects.filter(pk=value).first()
        if isinstance(value, Organisation):
            return (value.slug, value.name)
        return super().describe(value)

    def to_python(self, value):
        if value in (None, "") or isinstance(value, Organisation):
            return value or None
        slug, label = value if isinstance(value, tuple) else (str(value), "")
        if slug:
            organisation = Organisation.objects.filter(slug=slug).first()
            if organisation is not None and (not label or label.lower() == organisation.name.lower()):
                return organisation
        if not label:
            return None
        name = " ".join(label.split())
        if len(name) > 200:
            raise ValidationError(_("Nom trop long (200 caractères au plus)."))
        existing = Organisation.objects.filter(name__iexact=name).first()
        if existing is None and not self.allow_new:
            raise ValidationError(
                _("Organisation inconnue « %(name)s » : choisissez-la dans la liste proposée en tapant son nom."),
                params={"name": name},
            )
        return existing or name


class TagsField(ComboboxMultipleField):
    """Free keywords: chips kept, plus names typed (separated by commas, « ; » or lines)."""

    url_name = "experiences:tag_autocomplete"

    def __init__(self, **kwargs):
        super().__init__(allow_create=True, **kwargs)

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        names = list(value["values"]) + re.split(r"[,;\n]", value["add"])
        seen: dict[str, str] = {}
        for name in names:
            name = " ".join(str(name).split())
            if not name:
                continue
            if len(name) > 80:
                raise ValidationError(
                    _("« %(name)s… » : 80 caractères au plus par mot-clé."), params={"name": name[:30]}
                )
            seen.setdefault(name.lower(), name)
        return list(seen.values())


def theme_tree() -> list[tuple[Theme, int]]:
    """Every theme with its depth, parents before children (one query)."""
    themes = list(Theme.objects.order_by("position", "name"))
    children: dict[int | None, list[Theme]] = {}
    for theme in themes:
        children.setdefault(theme.parent_id, []).append(theme)
    ordered: list[tuple[Theme, int]] = []

    def walk(parent_id, depth):
        for theme in children.get(parent_id, []):
            ordered.append((theme, depth))
            walk(theme.pk, depth + 1)

    walk(None, 0)
    return ordered


# --- The fiche -----------------------------------------------------------------


def _model_field(name: str, **kwargs):
    return Experience._meta.get_field(name).formfield(**kwargs)


def _rich(name: str, help_text: str):
    return _model_field(name, help_text=help_text, widget=RichTextarea(attrs={"rows": 6}))


class BootstrapMixin:
    """Bootstrap classes and ARIA state on every widget; values typed are kept on errors."""

    def _style(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(
                widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.HiddenInput | forms.RadioSelect
            ):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def full_clean(self):
        # Marked after validation, not in __init__: reading `errors` there would
        # validate the form before a formset adds its DELETE field.
        super().full_clean()
        for name in self._errors or {}:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = (widget.attrs.get("class", "") + " is-invalid").strip()


class ExperienceForm(BootstrapMixin, forms.Form):
    # Le territoire
    lead_territory = TerritoryField(
        placeholder=_("Commune, EPCI, département…"),
        label=_("Territoire porteur"),
        help_text=_("La collectivité qui a mené l'expérience : commune, EPCI, département, région… Tapez son nom."),
    )
    territories = TerritoriesField(
        placeholder=_("Ajouter un territoire…"),
        label=_("Autres territoires concernés"),
        required=False,
        help_text=_("Communes associées, territoire partenaire à l'étranger…"),
    )
    # Le projet
    title = _model_field(
        "title", help_text=_("Ce qui a été fait, en une phrase : « Un tiers-lieu dans l'ancienne gare ».")
    )
    summary = _model_field(
        "summary",
        help_text=_("Deux ou trois phrases : qui, quoi, avec quel résultat. C'est ce que montrent les listes."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    context = _rich("context", _("Le problème de départ, le territoire, ce qui a déclenché le projet."))
    actions = _rich("actions", _("Les étapes et les moyens mis en œuvre ; une liste à puces se lit bien."))
    project_status = _model_field("project_status", help_text=_("Où en est le projet aujourd'hui."))
    period_start = _model_field(
        "period_start",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Au moins l'année."),
    )
    period_end = _model_field(
        "period_end",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Laissez vide si le projet continue."),
    )
    themes = forms.ModelMultipleChoiceField(
        label=_("Thèmes"),
        queryset=Theme.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Cochez les thèmes du thésaurus qui décrivent l'expérience ; ils servent à la recherche."),
    )
    tags = TagsField(
        placeholder=_("Ajouter un mot-clé…"),
        label=_("Mots-clés"),
        required=False,
        help_text=_("Mots libres, séparés par des virgules. Réutilisez ceux qui existent (ils s'affichent en tapant)."),
    )
    language = _model_field("language", help_text=_("Langue dans laquelle la fiche est rédigée."))
    title_en = _model_field("title_en", help_text=_("Facultatif : pour les lecteurs anglophones."))
    summary_en = _model_field("summary_en", widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Facultatif."))
    # Résultats et points de vigilance
    results = _rich("results", _("Ce que le projet a produit, chiffres à l'appui, même partiels."))
    vigilance_points = _rich(
        "vigilance_points",
        _("Ce qu'un territoire doit savoir avant de s'en inspirer : écueils, conditions de réussite."),
    )
    # Moyens
    budget_amount = _model_field(
        "budget_amount",
        widget=forms.NumberInput(attrs={"min": "0", "step": "0.01", "inputmode": "decimal"}),
        help_text=_("Coût total du projet, en chiffres ; le détail va dans les lignes de financement."),
    )
    currency = _model_field("currency", help_text=_("Code à trois lettres : EUR, CHF, XOF…"))
    # Diffusion
    visibility = _model_field(
        "visibility",
        help_text=_(
            "Publique : tout le monde. Membres : collectivités connectées. Confidentielle : le client seulement."
        ),
    )
    client_organisation = OrganisationField(
        placeholder=_("Nom de l'organisation cliente"),
        label=_("Client (si confidentielle)"),
        required=False,
        help_text=_("L'organisation pour qui la fiche a été écrite ; elle seule la verra."),
    )
    external_ref = _model_field(
        "external_ref",
        help_text=_("Identifiant dans vos tableurs : un import avec la même référence met cette fiche à jour."),
    )

    SECTIONS = (
        ("territoire", _("Le territoire"), ("lead_territory", "territories")),
        (
            "projet",
            _("Le projet"),
            (
                "title",
                "summary",
                "context",
                "actions",
                "project_status",
                "period_start",
                "period_end",
                "themes",
                "tags",
            ),
        ),
        ("resultats", _("Résultats et points de vigilance"), ("results", "vigilance_points")),
        ("moyens", _("Moyens"), ("budget_amount", "currency")),
        ("acteurs", _("Acteurs et contacts"), ()),
        ("sources", _("Sources"), ()),
        (
            "diffusion",
            _("Diffusion"),
            ("visibility", "client_organisation", "external_ref", "language", "title_en", "summary_en"),
        ),
    )

    def __init__(self, *args, experience: Experience | None = None, **kwargs):
        self.experience = experience
        super().__init__(*args, **kwargs)
        self.fields["currency"].widget.attrs.update({"maxlength": "3", "class": "text-uppercase"})
        self.fields["title"].widget.attrs["autofocus"] = experience is None
        # The fiche's own texts are in its language, the translations in English: browsers
        # spell-check each in its language, screen readers read it so.
        written_in = (experience.language if experience is not None else "") or settings.LANGUAGE_CODE
        for name in ("title", "summary", *rich_text_fields(Experience)):
            if name in self.fields:
                self.fields[name].widget.attrs["lang"] = written_in
        for name in ("title_en", "summary_en"):
            self.fields[name].widget.attrs["lang"] = "en"
        self._style()

    @property
    def theme_items(self) -> list[dict[str, Any]]:
        checked = {str(v) for v in (self["themes"].value() or [])}
        return [
            {"theme": theme, "depth": depth, "checked": str(theme.pk) in checked, "id": f"id_themes_{theme.pk}"}
            for theme, depth in theme_tree()
        ]

    @property
    def theme_groups(self) -> list[list[dict[str, Any]]]:
        """The tree cut into root groups (a root and its descendants), for columns."""
        groups: list[list[dict[str, Any]]] = []
        for item in self.theme_items:
            if item["depth"] == 0 or not groups:
                groups.append([])
            groups[-1].append(item)
        return groups

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error(
                "period_end",
                _("La fin doit venir après le début (%(start)s).") % {"start": format_date(start, "short")},
            )
        if data.get("visibility") == Experience.Visibility.CONFIDENTIAL and not data.get("client_organisation"):
            self.add_error("client_organisation", _("Une fiche confidentielle doit avoir un client : indiquez-le."))
        if isinstance(data.get("client_organisation"), str):
            self.add_error(
                "client_organisation",
                _("Organisation inconnue : choisissez le client dans la liste proposée en tapant son nom."),
            )
        ref = (data.get("external_ref") or "").strip()
        if ref:
            clash = Experience.objects.filter(external_ref=ref)
            if self.experience is not None:
                clash = clash.exclude(pk=self.experience.pk)
            if clash.exists():
                self.add_error("external_ref", _("Cette référence est déjà celle d'une autre fiche."))
        return data

    @classmethod
    def initial_for(cls, experience: Experience) -> dict[str, Any]:
        initial = {name: getattr(experience, name) for name in cls.base_fields if hasattr(experience, name)}
        initial["lead_territory"] = experience.lead_territory
        initial["client_organisation"] = experience.client_organisation
        initial["territories"] = list(experience.territories.all())
        initial["themes"] = [t.pk for t in experience.themes.all()]
        initial["tags"] = [t.name for t in experience.tags.all()]
        return initial

    def service_fields(self) -> dict[str, Any]:
        scalar = [n for n in self.cleaned_data if n not in ("territories", "themes", "tags")]
        return {name: self.cleaned_data[name] for name in scalar}


# --- Inline lists ----------------------------------------------------------------


class InlineForm(BootstrapMixin, forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def row(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "DELETE"}
        if data.get("id") is None:
            data.pop("id", None)
        return data


class ActorForm(InlineForm):
    organisation = OrganisationField(
        label=_("Organisation"), help_text=_("Tapez le nom ; une organisation nouvelle est créée.")
    )
    role = forms.ChoiceField(
        label=_("Rôle"), choices=ExperienceOrganisation.Role.choices, initial=ExperienceOrganisation.Role.PARTNER
    )

    def clean_organisation(self):
        value = self.cleaned_data.get("organisation")
        if not value:
            raise ValidationError(_("Indiquez l'organisation."))
        return value


class FundingLineForm(InlineForm):
    funder = OrganisationField(label=_("Financeur"), required=False)
    label = forms.CharField(
        label=_("Dispositif"), max_length=200, required=False, help_text=_("DETR, appel à projets…")
    )
    amount = forms.DecimalField(label=_("Montant (€)"), min_value=0, max_digits=14, decimal_places=2)
    year = forms.IntegerField(label=_("Année"), min_value=1950, max_value=2100, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("funder") and not data.get("label") and "amount" in data:
            raise ValidationError(_("Indiquez le financeur ou le dispositif."))
        return data


class ContactForm(InlineForm):
    name = forms.CharField(label=_("Nom"), max_length=200)
    role = forms.CharField(label=_("Fonction"), max_length=200, required=False)
    email = forms.EmailField(label=_("Courriel"), required=False)
    phone = forms.CharField(label=_("Téléphone"), max_length=40, required=False)
    organisation = OrganisationField(label=_("Organisation"), required=False)


class SourceForm(InlineForm):
    title = forms.CharField(label=_("Titre"), max_length=300)
    url = forms.URLField(label=_("Adresse"), max_length=500, required=False, assume_scheme="https")
    publisher = forms.CharField(label=_("Éditeur"), max_length=200, required=False)
    published_on = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class AttachmentForm(InlineForm):
    title = forms.CharField(label=_("Titre"), max_length=200, required=False)
    file = forms.FileField(
        label=_("Fichier"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.png,.jpg,.jpeg,.gif,.webp,.docx,.xlsx,.pptx,.odt,.ods,.odp,.doc,.xls,.ppt"}
        ),
        help_text=_("PDF, image ou document bureautique, 20 Mo au plus."),
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            validate_attachment(upload)
        return upload

    def clean(self):
        data = super().clean()
        if data.get("id") is None and not data.get("file") and data.get("title") and not data.get("DELETE"):
            self.add_error("file", _("Choisissez le fichier à joindre."))
        return data

    def row(self) -> dict[str, Any]:
        data = super().row()
        if data.get("id") is not None:
            data.pop("file", None)
        return data


def _formset(form, max_num=MAX_INLINE_ROWS):
    return forms.formset_factory(
        form, extra=1, can_delete=True, max_num=max_num, validate_max=True, absolute_max=max_num
    )


ActorFormSet = _formset(ActorForm)
FundingLineFormSet = _formset(FundingLineForm)
ContactFormSet = _formset(ContactForm)
SourceFormSet = _formset(SourceForm)
AttachmentFormSet = _formset(AttachmentForm, max_num=20)

# prefix → (formset class, service argument, child key in history.CHILD_MODELS)
INLINES = {
    "actors": (ActorFormSet, "actors", "actor_links"),
    "funding": (FundingLineFormSet, "funding_lines", "funding_lines"),
    "contacts": (ContactFormSet, "contacts", "contacts"),
    "sources": (SourceFormSet, "sources", "sources"),
    "attachments": (AttachmentFormSet, "attachments", "attachments"),
}


INLINE_LABELS = {
    "actors": _("Acteurs"),
    "funding": _("Lignes de financement"),
    "contacts": _("Contacts"),
    "sources": _("Sources"),
    "attachments": _("Pièces jointes"),
}
INLINE_SECTIONS = {
    "actors": "acteurs",
    "funding": "moyens",
    "contacts": "acteurs",
    "sources": "sources",
    "attachments": "sources",
}


def _inline_initial(experience: Experience, key: str) -> list[dict[str, Any]]:
    _model, names = CHILD_MODELS[key]
    rows = []
    for obj in getattr(experience, key).all():
        row = {"id": obj.pk}
        for name in names:
            row[name] = getattr(obj, name)
        rows.append(row)
    return rows


class ExperienceEditor:
    """The fiche form and its five inline lists, validated and handed to the services together."""

    def __init__(self, data=None, files=None, *, experience: Experience | None = None):
        self.experience = experience
        initial = ExperienceForm.initial_for(experience) if experience is not None else {}
        self.form = ExperienceForm(data, files, initial=initial, experience=experience)
        self.formsets = {}
        for prefix, (formset_class, _arg, key) in INLINES.items():
            rows = _inline_initial(experience, key) if experience is not None else []
            self.formsets[prefix] = formset_class(data, files, prefix=prefix, initial=rows)

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        for formset in self.formsets.values():
            valid = formset.is_valid() and valid
        return valid

    @property
    def error_count(self) -> int:
        return sum(len(errors) for errors in self.form.errors.values()) + len(self.inline_errors)

    @property
    def inline_errors(self) -> list[dict[str, Any]]:
        """Errors of the inline lists, with the list's name and the row number, for the summary."""
        found = []
        for prefix, formset in self.formsets.items():
            if not formset.is_bound:
                continue
            for error in formset.non_form_errors():
                found.append({"list": INLINE_LABELS[prefix], "row": None, "message": error})
            for number, form in enumerate(formset.forms, start=1):
                if formset.can_delete and formset._should_delete_form(form):
                    continue
                for field_errors in form.errors.values():
                    for error in field_errors:
                        found.append(
                            {
                                "list": INLINE_LABELS[prefix],
                                "row": number,
                                "message": error,
                                "anchor": f"s-{INLINE_SECTIONS[prefix]}",
                            }
                        )
        return found

    @property
    def error_summary(self) -> str:
        n = self.error_count
        return ngettext(
            "Le formulaire contient %(n)s erreur : corrigez-la, rien de ce que vous avez saisi n'est perdu.",
            "Le formulaire contient %(n)s erreurs : corrigez-les, rien de ce que vous avez saisi n'est perdu.",
            n,
        ) % {"n": n}

    def service_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "fields": self.form.service_fields(),
            "themes": list(self.form.cleaned_data["themes"]),
            "tags": self.form.cleaned_data["tags"],
            "territories": self.form.cleaned_data["territories"],
        }
        for prefix, (_formset_class, argument, _key) in INLINES.items():
            formset = self.formsets[prefix]
            kwargs[argument] = [
                f.row()
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE") and (f.has_changed() or f.cleaned_data.get("id"))
            ]
        return kwargs

    def add_service_error(self, error: ValidationError) -> None:
        """Show a validation error raised by a service on the field it names (or at the top)."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                target = name if name in self.form.fields else None
                if target is None and name == "lead_territory_id":
                    target = "lead_territory"
                for item in errors:
                    self.form.add_error(target, item)
        else:
            for message in error.messages:
                self.form.add_error(None, message)

    @property
    def sections(self):
        for key, title, names in ExperienceForm.SECTIONS:
            yield {"key": key, "title": title, "fields": [self.form[name] for name in names]}


# --- Tags ----------------------------------------------------------------------------


class StyledForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class TagRenameForm(StyledForm):
    name = forms.CharField(label=_("Nouveau nom"), max_length=80)


class TagMergeForm(StyledForm):
    target = forms.CharField(
        label=_("Fusionner dans le mot-clé"), max_length=80, help_text=_("Nom exact du mot-clé qui reste.")
    )

    def clean_target(self):
        name = " ".join(self.cleaned_data["target"].split())
        tag = Tag.objects.annotate(lname=Lower("name")).filter(lname=name.lower()).first()
        if tag is None:
            raise ValidationError(_("Aucun mot-clé « %(name)s »."), params={"name": name})
        return tag


class TagPromoteForm(StyledForm):
    MODE_THEME, MODE_SYNONYM = "theme", "synonym"
    mode = forms.ChoiceField(
        label=_("Devenir"),
        choices=[
            (MODE_THEME, _("un nouveau thème du thésaurus")),
            (MODE_SYNONYM, _("un synonyme d'un thème existant")),
        ],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        initial=MODE_THEME,
    )
    parent = forms.ModelChoiceField(
        label=_("Sous le thème"),
        queryset=Theme.objects.all(),
        required=False,
        empty_label=_("(thème de premier niveau)"),
    )
    synonym_of = forms.ModelChoiceField(label=_("Synonyme de"), queryset=Theme.objects.all(), required=False)

    def clean(self):
        data = super().clean()
        if data.get("mode") == self.MODE_SYNONYM and not data.get("synonym_of"):
            self.add_error("synonym_of", _("Choisissez le thème dont ce mot-clé est un synonyme."))
        return data


# --- Import and export --------------------------------------------------------------


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier à importer"),
        # Interpolated when shown (lazy), not when the module loads: in the reader's language.
        help_text=lazy(
            lambda: (
                gettext(
                    "CSV (séparateur « ; » ou « , », UTF-8) ou XLSX, %(max)s Mo au plus, première ligne = noms des colonnes."
                )
                % {"max": MAX_FILE_BYTES // 1_048_576}
            ),
            str,
        )(),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "class": "form-control",
            }
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(
                _("Le fichier pèse %(size)s Mo ; la limite est de %(max)s Mo. Découpez-le en plusieurs fichiers."),
                params={"size": round(upload.size / 1_048_576, 1), "max": MAX_FILE_BYTES // 1_048_576},
            )
        return upload


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format"),
        choices=ExportJob.Format.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        initial="xlsx",
    )

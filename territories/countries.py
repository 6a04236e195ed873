"""Country names in words, for the countries Périscope's territories and partnerships reach.

Django ships no country list; these are France, Belgium and the countries French
and Belgian collectivités most often work with. An unknown code shows as itself.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

COUNTRY_NAMES = {
    "FR": _("France"),
    "BE": _("Belgique"),
    "LU": _("Luxembourg"),
    "CH": _("Suisse"),
    "DE": _("Allemagne"),
    "IT": _("Italie"),
    "ES": _("Espagne"),
    "PT": _("Portugal"),
    "GB": _("Royaume-Uni"),
    "IE": _("Irlande"),
    "NL": _("Pays-Bas"),
    "PL": _("Pologne"),
    "RO": _("Roumanie"),
    "GR": _("Grèce"),
    "HR": _("Croatie"),
    "SE": _("Suède"),
    "FI": _("Finlande"),
    "DK": _("Danemark"),
    "CZ": _("Tchéquie"),
    "AT": _("Autriche"),
    "HU": _("Hongrie"),
    "BF": _("Burkina Faso"),
    "ML": _("Mali"),
    "SN": _("Sénégal"),
    "NE": _("Niger"),
    "BJ": _("Bénin"),
    "TG": _("Togo"),
    "CI": _("Côte d'Ivoire"),
    "MA": _("Maroc"),
    "TN": _("Tunisie"),
    "DZ": _("Algérie"),
    "MG": _("Madagascar"),
    "CM": _("Cameroun"),
    "HT": _("Haïti"),
    "LB": _("Liban"),
    "PS": _("Palestine"),
    "VN": _("Viêt Nam"),
    "CA": _("Canada"),
    "US": _("États-Unis"),
}


def country_name(code: str) -> str:
    """ "Belgique" for "BE" (in the active language); an unknown code as itself."""
    return str(COUNTRY_NAMES.get((code or "").upper(), code))

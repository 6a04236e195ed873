"""Country names (from territories.countries) and country centres for the cooperation map."""

from __future__ import annotations

from territories.countries import COUNTRY_NAMES, country_name

__all__ = ["COUNTRY_CENTROIDS", "COUNTRY_NAMES", "country_name"]


# Approximate centres (latitude, longitude), used on the map for a territory that
# has no coordinates of its own nor a parent with some: a foreign unit entered
# without them. Every French and Belgian territory of the reference file has its own.
COUNTRY_CENTROIDS = {
    "FR": (46.6, 2.4),
    "BE": (50.6, 4.6),
    "LU": (49.8, 6.1),
    "CH": (46.8, 8.2),
    "DE": (51.1, 10.4),
    "IT": (42.8, 12.6),
    "ES": (40.2, -3.6),
    "PT": (39.6, -8.0),
    "GB": (53.0, -1.8),
    "IE": (53.2, -8.1),
    "NL": (52.2, 5.5),
    "PL": (52.1, 19.4),
    "RO": (45.9, 24.9),
    "GR": (39.1, 22.0),
    "HR": (45.1, 15.5),
    "SE": (62.0, 15.0),
    "FI": (64.0, 26.0),
    "DK": (56.0, 9.5),
    "CZ": (49.8, 15.5),
    "AT": (47.6, 14.1),
    "HU": (47.2, 19.4),
    "BF": (12.3, -1.6),
    "ML": (17.6, -3.9),
    "SN": (14.5, -14.4),
    "NE": (17.6, 8.1),
    "BJ": (9.3, 2.3),
    "TG": (8.6, 0.8),
    "CI": (7.5, -5.5),
    "MA": (31.8, -7.1),
    "TN": (34.0, 9.5),
    "DZ": (28.0, 2.6),
    "MG": (-19.4, 46.7),
    "CM": (5.7, 12.7),
    "HT": (19.0, -72.3),
    "LB": (33.9, 35.9),
    "PS": (31.9, 35.2),
    "VN": (16.0, 106.0),
    "CA": (56.1, -106.3),
    "US": (39.8, -98.6),
}

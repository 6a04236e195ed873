"""Maps of experiences by département and province: choropleths on pages (home, search map) and PDF reports.

The pages' map (`territory_map()`, `choropleth()`) is `core/data/map_france_belgium.json`,
built by `scripts/build_maps.py` (sources in `core/data/NOTICE.md`): the 101
French départements — the 5 overseas ones in insets — the 10 Belgian provinces
and the Brussels-Capital Region, in one drawing, paths already simplified.

The PDF reports draw the same map (studies.reports.map_context).

This module knows nothing of experiences: callers pass counts per (country, code).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MAP_FILE = Path(__file__).resolve().parent / "data" / "map_france_belgium.json"
# Sequential palette (ColorBrewer "Blues", 5 classes) after a neutral "none".
CLASSES = 5
SPREAD = {1: [4], 2: [2, 4], 3: [2, 3, 5], 4: [2, 3, 4, 5]}


@dataclass(frozen=True)
class LegendClass:
    level: int
    low: int
    high: int | None  # None: no upper bound (unused today; kept for open-ended scales)


def count_classes(maximum: int, classes: int = CLASSES) -> list[LegendClass]:
    """Integer ranges for the non-zero counts: one per value up to `classes`, equal steps beyond.

    `maximum` 3 → 1 | 2 | 3; `maximum` 12 → 1–3 | 4–5 | 6–8 | 9–10 | 11–12.
    """
    if maximum <= 0:
        return []
    if maximum <= classes:
        ranges = [(n, n) for n in range(1, maximum + 1)]
    else:
        bounds = [round(maximum * i / classes) for i in range(classes + 1)]
        ranges, low = [], 1
        for i in range(1, classes + 1):
            high = max(bounds[i], low)
            ranges.append((low, high))
            low = high + 1
    # Few classes use well-separated shades rather than the palette's lightest ones.
    levels = SPREAD.get(len(ranges), list(range(1, len(ranges) + 1)))
    return [LegendClass(level, low, high) for level, (low, high) in zip(levels, ranges, strict=True)]


def level_of(count: int, legend: list[LegendClass]) -> int:
    if count <= 0:
        return 0
    for entry in legend:
        if entry.high is None or count <= entry.high:
            return entry.level
    return legend[-1].level if legend else 0


Key = tuple[str, str]  # (country, code): ("FR", "33"), ("BE", "90000")


@dataclass(frozen=True)
class MapShape:
    country: str
    kind: str  # "department", "province", or "region" (the Brussels-Capital Region, which has no province)
    code: str
    name: str
    path: str
    x: float  # a point inside the largest part (for labels)
    y: float


@dataclass(frozen=True)
class MapInset:
    """The frame of an overseas département drawn at its own scale."""

    code: str
    name: str
    x: float
    y: float
    w: float
    h: float


@lru_cache(maxsize=1)
def _map_data() -> dict:
    return json.loads(MAP_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def territory_map() -> tuple[str, tuple[MapShape, ...], tuple[MapInset, ...]]:
    """(viewBox, shapes, insets) of the map of French départements and Belgian provinces; read once per process."""
    data = _map_data()
    shapes = tuple(MapShape(**shape) for shape in data["shapes"])
    insets = tuple(MapInset(**inset) for inset in data["insets"])
    return data["viewBox"], shapes, insets


def country_borders() -> tuple[str, ...]:
    """Outlines (SVG paths) of the countries other than France, drawn over their units: Belgium's."""
    return tuple(border["path"] for border in _map_data()["borders"])


@dataclass(frozen=True)
class MapDepartment:
    """A département or a province on the map, with its count and its link."""

    code: str
    name: str
    path: str
    count: int
    level: int
    url: str  # "" when the unit has nothing to show
    country: str = "FR"
    kind: str = "department"

    @property
    def label(self) -> str:
        """ "Gironde (33)"; a Belgian unit by its name alone ("Province de Namur"): its NIS code tells a reader nothing."""
        return f"{self.name} ({self.code})" if self.country == "FR" else self.name


@dataclass(frozen=True)
class Choropleth:
    view_box: str
    departments: list[MapDepartment]
    legend: list[LegendClass]
    total: int  # experiences placed on the map
    insets: tuple[MapInset, ...] = ()
    borders: tuple[str, ...] = ()

    @property
    def with_experiences(self) -> list[MapDepartment]:
        """Départements and provinces with at least one experience, most first (the table alternative)."""
        return sorted((d for d in self.departments if d.count), key=lambda d: (-d.count, d.country != "FR", d.code))


def choropleth(counts: dict[Key, int], urls: dict[Key, str]) -> Choropleth:
    """A choropleth of France (overseas in insets) and Belgium from counts and links keyed by (country, code)."""
    view_box, shapes, insets = territory_map()
    maximum = max((counts.get((s.country, s.code), 0) for s in shapes), default=0)
    legend = count_classes(maximum)
    departments = []
    for shape in shapes:
        key = (shape.country, shape.code)
        count = counts.get(key, 0)
        departments.append(
            MapDepartment(
                shape.code,
                shape.name,
                shape.path,
                count,
                level_of(count, legend),
                urls.get(key, "") if count else "",
                shape.country,
                shape.kind,
            )
        )
    return Choropleth(view_box, departments, legend, sum(d.count for d in departments), insets, country_borders())

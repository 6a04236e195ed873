"""Geometry for the server-side SVG drawings: a partnership's timeline and the cooperation map.

Only numbers and strings are computed here; the markup lives in templates so that
Django's auto-escaping covers every label. No JavaScript, no external tiles.
"""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _

# --- Timeline ----------------------------------------------------------------

TIMELINE_WIDTH = 760
_MARGIN_X = 24
_LANE_HEIGHT = 20
_CHAR_WIDTH = 7.0  # average width of a 13 px system-ui glyph
_MAP_CHAR_WIDTH = 8.4  # 16 px labels on the map
_MAX_LABEL_CHARS = 40
_MAX_LANES = 5


@dataclass
class TimelineItem:
    kind: str  # "milestone" or "deliverable"
    date: datetime.date
    title: str
    status: str = ""  # deliverables: planned, in_progress, delivered, late, cancelled, overdue
    status_label: str = ""
    x: float = 0
    lane: int = 0
    y: float = 0
    label: str = ""
    label_x: float = 0
    anchor: str = "start"

    @property
    def label_y(self) -> float:
        return self.y + 4

    @property
    def marker_top(self) -> float:
        return self.y - 6


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Timeline:
    width: int
    height: int
    axis_y: float
    bar_x: float
    bar_width: float
    open_ended: bool
    ticks: list[Tick]
    items: list[TimelineItem]
    today_x: float | None
    legend_y: float
    start: datetime.date
    end: datetime.date | None
    legend: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def grid_bottom(self) -> float:
        return self.legend_y - 30

    @property
    def tick_y(self) -> float:
        return self.axis_y + 22

    @property
    def bar_y(self) -> float:
        return self.axis_y - 5


def _label(text: str) -> str:
    return text if len(text) <= _MAX_LABEL_CHARS else text[: _MAX_LABEL_CHARS - 1].rstrip() + "…"


def _place_in_lanes(items: list[TimelineItem], right_edge: float) -> int:
    """Greedy lane assignment so that labels on one side of the axis do not overlap."""
    lane_ends: list[float] = []
    for item in sorted(items, key=lambda i: i.x):
        item.label = _label(item.title)
        width = len(item.label) * _CHAR_WIDTH
        if item.x + 10 + width <= right_edge:
            item.anchor, item.label_x, span = "start", item.x + 8, (item.x - 4, item.x + 10 + width)
        else:
            item.anchor, item.label_x, span = "end", item.x - 8, (item.x - 10 - width, item.x + 4)
        for lane, end in enumerate(lane_ends):
            if span[0] > end + 6:
                item.lane = lane
                lane_ends[lane] = span[1]
                break
        else:
            if len(lane_ends) < _MAX_LANES:
                item.lane = len(lane_ends)
                lane_ends.append(span[1])
            else:  # too crowded: share the last lane (the table below lists everything)
                item.lane = _MAX_LANES - 1
                lane_ends[-1] = max(lane_ends[-1], span[1])
    return len(lane_ends)


def _ticks(first: datetime.date, last: datetime.date, to_x) -> list[Tick]:
    years = last.year - first.year + 1
    step = 1 if years <= 12 else 2 if years <= 24 else 5
    ticks = []
    for year in range(first.year, last.year + 2):
        day = datetime.date(year, 1, 1)
        if first <= day <= last and year % step == 0:
            ticks.append(Tick(x=round(to_x(day), 1), label=str(year)))
    return ticks


def build_timeline(
    *,
    start: datetime.date,
    end: datetime.date | None,
    milestones: list[tuple[datetime.date, str]],
    deliverables: list[tuple[datetime.date, str, str, str]],
    today: datetime.date,
) -> Timeline:
    """Milestones above the axis, deliverables (date, title, status, status label) below it."""
    dates = [start, end or today, *(d for d, _t in milestones), *(d for d, *_rest in deliverables)]
    year = datetime.timedelta(days=365)
    if start - year <= today <= (end or today) + year:  # an old partnership keeps its own scale
        dates.append(today)
    first, last = min(dates), max(dates)
    span_days = max((last - first).days, 60)
    pad = datetime.timedelta(days=math.ceil(span_days * 0.04))
    first, last = first - pad, last + pad
    total = (last - first).days
    inner = TIMELINE_WIDTH - 2 * _MARGIN_X

    def to_x(day: datetime.date) -> float:
        return _MARGIN_X + inner * (day - first).days / total

    above = [TimelineItem(kind="milestone", date=d, title=t, x=round(to_x(d), 1)) for d, t in milestones]
    below = [
        TimelineItem(kind="deliverable", date=d, title=t, status=s, status_label=label, x=round(to_x(d), 1))
        for d, t, s, label in deliverables
    ]
    right_edge = TIMELINE_WIDTH - 4
    lanes_above = _place_in_lanes(above, right_edge)
    lanes_below = _place_in_lanes(below, right_edge)

    top = 16
    axis_y = top + max(lanes_above, 1) * _LANE_HEIGHT + 18
    for item in above:
        item.y = axis_y - 18 - item.lane * _LANE_HEIGHT
    for item in below:
        item.y = axis_y + 38 + item.lane * _LANE_HEIGHT
    legend_y = axis_y + 38 + max(lanes_below, 1) * _LANE_HEIGHT + 22
    bar_x = to_x(start)
    bar_end = to_x(end) if end else TIMELINE_WIDTH - _MARGIN_X
    today_x = round(to_x(today), 1) if first <= today <= last else None
    return Timeline(
        width=TIMELINE_WIDTH,
        height=int(legend_y + 16),
        axis_y=axis_y,
        bar_x=round(bar_x, 1),
        bar_width=round(max(bar_end - bar_x, 2), 1),
        open_ended=end is None,
        ticks=_ticks(first, last, to_x),
        items=above + below,
        today_x=today_x,
        legend_y=legend_y,
        start=start,
        end=end,
        legend=_legend_positions(),
    )


# --- Cooperation map -------------------------------------------------------------

MAP_WIDTH = 960
# The frame fits the points, with a margin, and is never smaller than this span
# (degrees), so that two neighbouring towns still show their region of the world.
MIN_SPAN_LON, MIN_SPAN_LAT = 36.0, 24.0
EMPTY_FRAME = (-12.0, 34.0, 30.0, 60.0)  # lon_min, lat_min, lon_max, lat_max: Europe
LAND_FILE = Path(__file__).parent / "data" / "world_land.json"


@dataclass
class MapPoint:
    key: str
    name: str
    country: str
    url: str
    lat: float
    lon: float
    is_france: bool
    partnerships: int = 0
    x: float = 0
    y: float = 0
    r: float = 4
    label: str = ""
    label_x: float = 0
    label_y: float = 0
    anchor: str = "start"
    show_label: bool = True


@dataclass
class MapArc:
    a: str
    b: str
    kind: str
    titles: list[str] = field(default_factory=list)
    d: str = ""
    width: float = 1.5


@dataclass
class MapFrame:
    width: int
    height: int
    points: list[MapPoint]
    arcs: list[MapArc]
    graticule: list[str]
    land: list[str]


@cache
def _land_rings() -> tuple[tuple[tuple[float, float], ...], ...]:
    """Natural Earth 1:50m land polygons (public domain), built by data/build_world_land.py."""
    try:
        data = json.loads(LAND_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ()
    return tuple(tuple((lon, lat) for lon, lat in ring) for ring in data["rings"])


def _frame_for(points: list[MapPoint]) -> tuple[float, float, float, float]:
    if not points:
        return EMPTY_FRAME
    lon_min, lon_max = min(p.lon for p in points) - 7, max(p.lon for p in points) + 7
    lat_min, lat_max = min(p.lat for p in points) - 5, max(p.lat for p in points) + 5
    if lon_max - lon_min < MIN_SPAN_LON:
        middle = (lon_min + lon_max) / 2
        lon_min, lon_max = middle - MIN_SPAN_LON / 2, middle + MIN_SPAN_LON / 2
    if lat_max - lat_min < MIN_SPAN_LAT:
        middle = (lat_min + lat_max) / 2
        lat_min, lat_max = middle - MIN_SPAN_LAT / 2, middle + MIN_SPAN_LAT / 2
    return max(lon_min, -180), max(lat_min, -85), min(lon_max, 180), min(lat_max, 85)


def build_map(*, points: list[MapPoint], arcs: list[MapArc]) -> MapFrame:
    """Equirectangular projection with its standard parallel at the frame's middle latitude."""
    lon_min, lat_min, lon_max, lat_max = _frame_for(points)
    k = math.cos(math.radians((lat_min + lat_max) / 2))
    scale = MAP_WIDTH / ((lon_max - lon_min) * k)
    height = round((lat_max - lat_min) * scale)

    def project(lon: float, lat: float) -> tuple[float, float]:
        return round((lon - lon_min) * k * scale, 1), round((lat_max - lat) * scale, 1)

    by_key = {}
    for p in points:
        p.x, p.y = project(p.lon, p.lat)
        p.r = round(5 + min(p.partnerships, 6) * 1.0, 1)
        by_key[p.key] = p
    for arc in arcs:
        a, b = by_key[arc.a], by_key[arc.b]
        mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2
        dx, dy = b.x - a.x, b.y - a.y
        dist = math.hypot(dx, dy) or 1
        bend = min(0.22 * dist, 90)
        # Bend every arc the same way (to the left of a→b, with a the French end) so arcs fan out.
        cx, cy = mx - dy / dist * bend, my + dx / dist * bend
        arc.d = f"M{a.x},{a.y} Q{round(cx, 1)},{round(cy, 1)} {b.x},{b.y}"
        arc.width = round(1.6 + min(len(arc.titles) - 1, 4) * 0.8, 1)
    _place_map_labels(points)

    graticule = []
    for lon in range(math.ceil(lon_min / 10) * 10, int(lon_max) + 1, 10):
        x, _y = project(lon, 0)
        graticule.append(f"M{x},0 V{height}")
    for lat in range(math.ceil(lat_min / 10) * 10, int(lat_max) + 1, 10):
        _x, y = project(0, lat)
        graticule.append(f"M0,{y} H{MAP_WIDTH}")

    land = []
    for ring in _land_rings():
        lons = [lon for lon, _lat in ring]
        lats = [lat for _lon, lat in ring]
        if max(lons) < lon_min - 1 or min(lons) > lon_max + 1 or max(lats) < lat_min - 1 or min(lats) > lat_max + 1:
            continue
        coords = [project(lon, lat) for lon, lat in ring]
        land.append("M" + "L".join(f"{x},{y}" for x, y in coords) + "Z")
    return MapFrame(width=MAP_WIDTH, height=height, points=points, arcs=arcs, graticule=graticule, land=land)


def _place_map_labels(points: list[MapPoint]) -> None:
    """Label the busiest points first; skip a label that would overlap one already placed."""
    placed: list[tuple[float, float, float, float]] = []
    for p in sorted(points, key=lambda p: (-p.partnerships, p.name)):
        p.label = _label(p.name)
        width, height = len(p.label) * _MAP_CHAR_WIDTH, 17
        candidates = [
            ("start", p.x + p.r + 4, p.y + 5),
            ("end", p.x - p.r - 4, p.y + 5),
            ("start", p.x + p.r + 2, p.y - p.r - 5),
            ("start", p.x + p.r + 2, p.y + p.r + 15),
            ("end", p.x - p.r - 2, p.y - p.r - 5),
            ("end", p.x - p.r - 2, p.y + p.r + 15),
        ]
        p.show_label = False
        for anchor, lx, ly in candidates:
            x0 = lx if anchor == "start" else lx - width
            box = (x0, ly - height + 3, x0 + width, ly + 3)
            if box[0] < 2 or box[2] > MAP_WIDTH - 2:
                continue
            if all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in placed):
                p.anchor, p.label_x, p.label_y, p.show_label = anchor, round(lx, 1), round(ly, 1), True
                placed.append(box)
                break


def _legend_positions() -> list[tuple[int, str, str]]:
    x, placed = 0, []
    for key, label in timeline_legend():
        placed.append((x, key, label))
        x += int(24 + len(label) * _CHAR_WIDTH)
    return placed


def timeline_legend() -> list[tuple[str, str]]:
    return [
        ("milestone", _("Jalon")),
        ("planned", _("Livrable prévu / en cours")),
        ("delivered", _("Livré")),
        ("overdue", _("En retard")),
        ("cancelled", _("Annulé")),
    ]

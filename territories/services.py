"""Writes to territories: loading the reference file shipped in territories/data/."""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils.text import slugify
from tqdm import tqdm

from .models import Territory, normalize_name
from .signals import territories_imported

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "territories.csv.gz"

COLUMNS = (
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
)
# Parents are created before their children, so that every foreign key can be
# set when the row is inserted: one INSERT per row, no UPDATE pass afterwards.
KIND_ORDER = ("country", "region", "department", "province", "epci", "commune", "other")
# Fields the file owns. `slug` is not among them: it is set once, so that a
# renamed commune keeps its URL.
SYNCED_FIELDS = (
    "subkind",
    "name",
    "search_name",
    "population",
    "population_year",
    "area_km2",
    "density",
    "density_class",
    "latitude",
    "longitude",
    "is_current",
    "parent_id",
    "epci_id",
)
SLUG_PREFIXES = {"country": "pays", "region": "region", "department": "departement"}
BATCH_SIZE = 2000

Key = tuple[str, str, str]  # (country, kind, code)


class TerritoryFileError(ValueError):
    """The reference file is malformed or inconsistent; nothing was written."""


@dataclass
class ImportResult:
    """What `territories_import` did, counted per kind."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    # Rows of a kind the file covers that the file no longer lists: kept (other
    # rows may point to them) but marked is_current=False.
    retired: Counter[str] = field(default_factory=Counter)

    @property
    def kinds(self) -> list[str]:
        seen = set(self.created) | set(self.updated) | set(self.unchanged) | set(self.retired)
        return [kind for kind in KIND_ORDER if kind in seen]

    @property
    def total(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.unchanged.values())

    @property
    def changes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.retired.values())


@dataclass(frozen=True)
class _Line:
    number: int
    key: Key
    values: dict[str, Any]
    parent: Key | None
    epci: Key | None


@transaction.atomic
def territories_import(*, path: Path | str | None = None, progress: bool = True) -> ImportResult:
    """Create or update territories from the reference CSV (gzip or plain); idempotent.

    When anything changed, `territories_imported` is sent inside the same
    transaction, so that the fiches' copies of territory figures (population,
    density class…) change with them.

    Rows are matched on (country, kind, code). Derived columns (search_name,
    density, density_class) are computed as `Territory.save()` would; rows go
    through bulk_create/bulk_update, so save() is not called. The database
    constraints, not `full_clean()`, guard the values: a per-row full_clean
    would cost one uniqueness query per row, and any violation rolls the whole
    import back.
    """
    lines = sorted(_parse(Path(path) if path else DEFAULT_PATH), key=lambda line: KIND_ORDER.index(line.key[1]))
    existing = {
        (row["country"], row["kind"], row["code"]): row
        for row in Territory.objects.values("id", "country", "kind", "code", "slug", *SYNCED_FIELDS)
    }
    ids = {key: row["id"] for key, row in existing.items()}
    slugs = {row["slug"] for row in existing.values()}
    result = ImportResult()

    with tqdm(total=len(lines), desc="Territoires", unit=" lignes", disable=not progress, leave=False) as bar:
        for batch in _batches(lines):
            to_create: list[Territory] = []
            to_update: list[dict[str, Any]] = []
            for line in batch:
                values = {
                    **line.values,
                    "parent_id": _resolve(line, line.parent, ids, "parent"),
                    "epci_id": _resolve(line, line.epci, ids, "EPCI"),
                }
                current = existing.get(line.key)
                country, kind, code = line.key
                if current is None:
                    slug = _unique_slug(kind=kind, name=values["name"], code=code, country=country, taken=slugs)
                    to_create.append(Territory(country=country, kind=kind, code=code, slug=slug, **values))
                    result.created[kind] += 1
                elif any(current[name] != values[name] for name in SYNCED_FIELDS):
                    to_update.append({"id": current["id"], **values})
                    result.updated[kind] += 1
                else:
                    result.unchanged[kind] += 1
            # PostgreSQL returns the new primary keys, which the next kinds need.
            for territory in Territory.objects.bulk_create(to_create):
                ids[territory.country, territory.kind, territory.code] = territory.pk
            _update(to_update)
            bar.update(len(batch))

    _retire_missing(lines, existing, result)
    if result.changes:
        territories_imported.send(sender=Territory, result=result)
    return result


def _update(rows: list[dict[str, Any]]) -> None:
    """UPDATE … FROM (VALUES …) on the synced columns of `rows`.

    Not `bulk_update()`: it builds one CASE WHEN per row and field in Python,
    which took 80 s for a yearly refresh of the 35,000 communes' populations;
    this takes a few seconds.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    fields = [Territory._meta.get_field(name) for name in ("id", *SYNCED_FIELDS)]
    columns = [quote(f.column) for f in fields]
    placeholder = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in fields) + ")"
    assignments = ", ".join(f"{column} = v.{column}" for column in columns[1:])
    table = quote(Territory._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_SIZE):
            batch = rows[start : start + BATCH_SIZE]
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments} "  # noqa: S608 - identifiers from the model, values bound
                f"FROM (VALUES {', '.join([placeholder] * len(batch))}) AS v ({', '.join(columns)}) "
                f"WHERE t.{columns[0]} = v.{columns[0]}",
                [row[f.attname] for row in batch for f in fields],
            )


def _parse(path: Path) -> Iterator[_Line]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    missing = set(COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise TerritoryFileError(f"{path}: missing columns {sorted(missing)}")
    seen: set[Key] = set()
    for number, row in enumerate(reader, start=2):
        try:
            yield _line(number, row, seen)
        except (KeyError, ValueError) as exc:
            raise TerritoryFileError(f"{path}, line {number}: {exc}") from exc


def _line(number: int, row: dict[str, str], seen: set[Key]) -> _Line:
    country, kind, code = row["country"].strip().upper(), row["kind"].strip(), row["code"].strip()
    if kind not in Territory.Kind.values:
        raise ValueError(f"unknown kind {kind!r}")
    if row["subkind"] not in Territory.Subkind.values:
        raise ValueError(f"unknown subkind {row['subkind']!r}")
    if not (country and code and row["name"]):
        raise ValueError("country, code and name are required")
    key = (country, kind, code)
    if key in seen:
        raise ValueError(f"duplicate territory {key}")
    seen.add(key)
    name = row["name"].strip()
    population = _number(row["population"], int)
    area_km2 = _number(row["area_km2"], float)
    density = Territory.density_for(population, area_km2)
    values = {
        "subkind": row["subkind"],
        "name": name,
        "search_name": normalize_name(name),
        "population": population,
        "population_year": _number(row["population_year"], int),
        "area_km2": area_km2,
        "density": density,
        "density_class": Territory.density_class_for(density, kind),
        "latitude": _number(row["latitude"], float),
        "longitude": _number(row["longitude"], float),
        "is_current": True,
    }
    parent = (country, row["parent_kind"], row["parent_code"]) if row["parent_code"] else None
    epci = (country, "epci", row["epci_code"]) if row["epci_code"] else None
    return _Line(number=number, key=key, values=values, parent=parent, epci=epci)


def _number(value: str, kind: type[int] | type[float]) -> Any:
    value = value.strip()
    return kind(value) if value else None


def _batches(lines: list[_Line]) -> Iterable[list[_Line]]:
    """Runs of at most BATCH_SIZE lines of a single kind, in the order of `lines`."""
    batch: list[_Line] = []
    for line in lines:
        if batch and (batch[-1].key[1] != line.key[1] or len(batch) == BATCH_SIZE):
            yield batch
            batch = []
        batch.append(line)
    if batch:
        yield batch


def _resolve(line: _Line, target: Key | None, ids: dict[Key, int], what: str) -> int | None:
    if target is None:
        return None
    try:
        return ids[target]
    except KeyError:
        # Either absent, or of a kind imported after this row's kind.
        raise TerritoryFileError(f"line {line.number}: {what} {target} of {line.key} is unknown") from None


def _unique_slug(*, kind: str, name: str, code: str, country: str, taken: set[str]) -> str:
    """Name and code, e.g. "chabaniere-69228", "cc-de-la-dombes-200069193"; kind first for the top levels.

    "pays-france-fr", "region-auvergne-rhone-alpes-84", "departement-rhone-69": the
    codes of régions and départements are short and repeat across levels.
    """
    max_length = Territory._meta.get_field("slug").max_length
    base = slugify(f"{name} {code}")
    prefix = SLUG_PREFIXES.get(kind)
    if prefix and not base.startswith(f"{prefix}-"):
        base = f"{prefix}-{base}"
    base = base[: max_length - 8]
    candidates = [base, f"{base}-{country.lower()}"] + [f"{base}-{country.lower()}-{n}" for n in range(2, 100)]
    slug = next(candidate for candidate in candidates if candidate not in taken)
    taken.add(slug)
    return slug


def _retire_missing(lines: list[_Line], existing: dict[Key, dict[str, Any]], result: ImportResult) -> None:
    listed = {line.key for line in lines}
    covered = {key[:2] for key in listed}
    stale = [key for key, row in existing.items() if row["is_current"] and key[:2] in covered and key not in listed]
    for _country, kind, _code in stale:
        result.retired[kind] += 1
    if stale:
        Territory.objects.filter(pk__in=[existing[key]["id"] for key in stale]).update(is_current=False)

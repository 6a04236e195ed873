"""Facet keys of every fiche held in memory as columns, for counting.

A common word matches thousands of fiches. Counting their facet values in
PostgreSQL (ten grouping sets and three `unnest` aggregates over the matches)
took about 30 % of the search statement, at some 0.2 µs per value per row.
Held as numpy columns, the same counts take well under a millisecond.

What stays in SQL: which fiches match, and who may see them. The search
statement returns the ids of its matches (already filtered by `visible_to`),
and this store only counts their facet values, so a reader still never counts
a fiche they cannot read.

The store is one per process and per search generation: the sequence that
triggers bump on every write to the tables the counts read, and once more
after commit (`search.bump_generation`). When the statement reports a
generation other than the store's, the store reads the rows written since it
was built: each row carries the id of the transaction that last wrote it
(`search_stamp`, set by a trigger), and the store remembers the oldest
transaction still running when it read (its snapshot's xmin). Rows stamped
with that id or a later one are read again through an index, and a new store
is built from the old one with them (new fiches appended); the old one stays
intact for the threads still counting with it. When more than a quarter of
the rows changed, the whole table is read again (one statement; 0.65 s at
100,000 fiches on 2 cores). Fiches the store does not know yet (written after
it was read) make the caller fall back to SQL counts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from django.db import connection

SCALAR = "scalar"
ARRAY = "array"


FULL_READ_SHARE = 0.25  # above this share of changed rows, the table is read again whole


@dataclass
class _Column:
    values: list  # code -> facet value as stored (None included)
    codes: np.ndarray  # row -> code (scalar) or flat codes of every row's array (array)
    offsets: np.ndarray | None = None  # array columns: row -> start in `codes` (n_rows + 1 entries)
    index: dict | None = None  # facet value -> code (the inverse of `values`)

    def code(self, value) -> int:
        if self.index is None:
            self.index = {v: c for c, v in enumerate(self.values)}
        code = self.index.get(value)
        if code is None:
            code = self.index[value] = len(self.values)
            self.values.append(value)
        return code


class FacetStore:
    def __init__(
        self,
        generation: int,
        position: np.ndarray,
        columns: dict[str, _Column],
        *,
        horizon: int = 0,
        read_rows: int = 0,
    ) -> None:
        self.generation = generation
        self.position = position  # experience id -> row, -1 when unknown
        self.columns = columns
        self.horizon = horizon  # oldest transaction running when the rows were read: rows stamped since are re-read
        self.read_rows = read_rows  # rows the statement that built this store read (for tests and figures)
        self.n_rows = int((position >= 0).sum())

    def rows(self, ids: np.ndarray) -> np.ndarray | None:
        """Rows of these experience ids, or None if one of them is unknown to the store."""
        if ids.size and int(ids.max()) >= self.position.size:
            return None
        rows = self.position[ids]
        if rows.size and int(rows.min()) < 0:
            return None
        return rows

    def counts(self, name: str, rows: np.ndarray) -> list[tuple]:
        """[(value, count)] of one facet over these rows, values with a count only."""
        column = self.columns[name]
        if column.offsets is None:
            codes = column.codes[rows]
        else:
            starts, ends = column.offsets[rows], column.offsets[rows + 1]
            lengths = ends - starts
            total = int(lengths.sum())
            if not total:
                return []
            # Index of every element of the selected rows' arrays in the flat column.
            shift = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
            codes = column.codes[np.arange(total) + shift]
        tally = np.bincount(codes, minlength=len(column.values))
        return [(column.values[code], int(tally[code])) for code in np.flatnonzero(tally)]


_STORE: FacetStore | None = None
_LOCK = threading.Lock()


def store_for(generation: int, facet_columns: dict[str, tuple[str, str]]) -> FacetStore:
    """The process's store, brought up to date when the search generation moved."""
    global _STORE
    store = _STORE
    if store is not None and store.generation == generation:
        return store
    with _LOCK:
        if _STORE is None:
            _STORE = load(generation, facet_columns)
        elif _STORE.generation != generation:
            _STORE = refreshed(_STORE, generation, facet_columns) or load(generation, facet_columns)
        return _STORE


# The snapshot's xmin, read by the same statement as the rows (so from the same snapshot).
_HORIZON = "(SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint)"


def _read(facet_columns: dict[str, tuple[str, str]], condition: str, params: list) -> tuple[int, list]:
    """(horizon, [(id, facet values…)]) of the rows meeting `condition`, read with one snapshot."""
    select = ", ".join(column for column, _kind in facet_columns.values())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT h.horizon, e.id, {select} FROM (SELECT {_HORIZON} AS horizon) h "  # noqa: S608 - our columns
            f"LEFT JOIN experiences_experience e ON {condition} ORDER BY e.id",
            params,
        )
        rows = cursor.fetchall()
    return rows[0][0], [row[1:] for row in rows if row[1] is not None]


def load(generation: int, facet_columns: dict[str, tuple[str, str]]) -> FacetStore:
    """Every fiche's facet keys, whatever its status (the search statement applies visibility)."""
    horizon, rows = _read(facet_columns, "TRUE", [])
    if not rows:
        empty = np.zeros(0, dtype=np.int32)
        columns = {
            name: _Column([], empty, None if kind == SCALAR else np.zeros(1, dtype=np.int64))
            for name, (_column, kind) in facet_columns.items()
        }
        return FacetStore(generation, np.zeros(0, dtype=np.int64), columns, horizon=horizon)
    ids, *values = zip(*rows, strict=True)
    ids = np.array(ids, dtype=np.int64)
    position = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
    position[ids] = np.arange(ids.size)
    columns = {}
    for (name, (_column, kind)), column_values in zip(facet_columns.items(), values, strict=True):
        index: dict = {}
        code = index.setdefault
        if kind == SCALAR:
            codes = np.array([code(v, len(index)) for v in column_values], dtype=np.int32)
            columns[name] = _Column(list(index), codes, index=index)
        else:
            lengths = np.array([len(v) if v else 0 for v in column_values], dtype=np.int64)
            flat = np.array([code(x, len(index)) for v in column_values if v for x in v], dtype=np.int32)
            columns[name] = _Column(list(index), flat, np.concatenate(([0], np.cumsum(lengths))), index)
    return FacetStore(generation, position, columns, horizon=horizon, read_rows=len(rows))


def refreshed(store: FacetStore, generation: int, facet_columns: dict[str, tuple[str, str]]) -> FacetStore | None:
    """A new store: `store` with the rows written since it was read, or None when too many changed."""
    horizon, rows = _read(facet_columns, "e.search_stamp >= %s", [store.horizon])
    if len(rows) > FULL_READ_SHARE * max(store.n_rows, 1):
        return None
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    position = store.position
    if ids.size and int(ids.max()) >= position.size:
        position = np.concatenate((position, np.full(int(ids.max()) + 1 - position.size, -1, dtype=np.int64)))
    else:
        position = position.copy()
    new_ids = ids[position[ids] < 0] if ids.size else ids
    position[new_ids] = np.arange(store.n_rows, store.n_rows + new_ids.size)
    n_rows = store.n_rows + new_ids.size
    changed = position[ids]  # the rows these ids now occupy
    columns = {}
    for i, (name, (_column, kind)) in enumerate(facet_columns.items(), start=1):
        old = store.columns[name]
        column = _Column(list(old.values), old.codes, old.offsets, dict(old.index) if old.index else None)
        if kind == SCALAR:
            codes = np.zeros(n_rows, dtype=np.int32)
            codes[: old.codes.size] = old.codes
            codes[changed] = [column.code(row[i]) for row in rows]
            column.codes = codes
        else:
            column.codes, column.offsets = _patched_arrays(
                old, n_rows, changed, [[column.code(x) for x in (row[i] or ())] for row in rows]
            )
        columns[name] = column
    return FacetStore(generation, position, columns, horizon=horizon, read_rows=len(rows))


def _patched_arrays(old: _Column, n_rows: int, changed: np.ndarray, arrays: list[list[int]]):
    """(flat codes, offsets) of an array column with the `changed` rows' arrays replaced."""
    old_lengths = np.diff(old.offsets)
    lengths = np.zeros(n_rows, dtype=np.int64)
    lengths[: old_lengths.size] = old_lengths
    lengths[changed] = [len(codes) for codes in arrays]
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    flat = np.empty(int(offsets[-1]), dtype=np.int32)
    # The other rows keep their arrays: copy their segments in one gather.
    kept = np.ones(old_lengths.size, dtype=bool)
    kept[changed[changed < old_lengths.size]] = False
    kept = np.flatnonzero(kept)
    size = old_lengths[kept]
    within = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size)
    flat[np.repeat(offsets[kept], size) + within] = old.codes[np.repeat(old.offsets[kept], size) + within]
    for row, codes in zip(changed.tolist(), arrays, strict=True):
        flat[offsets[row] : offsets[row] + len(codes)] = codes
    return flat, offsets

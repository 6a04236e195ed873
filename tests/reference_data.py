"""Real territories for tests: a chosen part of the shipped reference file, imported for a test module.

The comparability and autocomplete rules are about real places (Clermont-Ferrand
and the three small Clermont, Namur, the Ramillies of two countries), so their
tests read the shipped file rather than invented figures. Only the rows a test
module asks for are imported, with every ancestor and EPCI they need, which
keeps the import to a second or two.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import transaction

from territories.services import DEFAULT_PATH, territories_import

Row = dict[str, str]


def shipped_rows() -> list[Row]:
    with gzip.open(DEFAULT_PATH, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def subset(keep: Callable[[Row], bool]) -> list[Row]:
    """The rows `keep` selects, plus their parents, their parents' parents and their EPCI."""
    rows = shipped_rows()
    by_key = {(r["country"], r["kind"], r["code"]): r for r in rows}
    wanted: dict[tuple[str, str, str], Row] = {}
    pending = [r for r in rows if keep(r)]
    while pending:
        row = pending.pop()
        key = (row["country"], row["kind"], row["code"])
        if key in wanted:
            continue
        wanted[key] = row
        if row["parent_code"]:
            pending.append(by_key[row["country"], row["parent_kind"], row["parent_code"]])
        if row["epci_code"]:
            pending.append(by_key[row["country"], "epci", row["epci_code"]])
    return list(wanted.values())


def write_rows(rows: list[Row], path: Path) -> Path:
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(text.getvalue(), encoding="utf-8")
    return path


@contextmanager
def imported(keep: Callable[[Row], bool], tmp_dir: Path) -> Iterator[list[Row]]:
    """Import the selected rows for the duration of the block, then roll them back.

    For module-scoped fixtures (inside `django_db_blocker.unblock()`): each test's
    own transaction is a savepoint inside this one.
    """
    rows = subset(keep)
    with transaction.atomic():
        territories_import(path=write_rows(rows, tmp_dir / "territories.csv"), progress=False)
        yield rows
        transaction.set_rollback(True)

"""Personal data kept by other apps, reached without importing them.

accounts owns the account; the apps that keep data about people (fiche contacts,
report snapshots and PDFs, authored fiches, study teams) register a `Holder` from
their AppConfig.ready(). The RGPD export of an account and the erasure of a contact
walk the registry, so accounts imports no portal app and a new app joins both by
registering. Holders run in registration order (INSTALLED_APPS order): the
experiences holder, which finds the contacts, runs before the studies holder, which
scrubs what reports froze of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any


@dataclasses.dataclass(frozen=True)
class Holder:
    """What one app keeps about people.

    - `export(user)` → a dict of sections added to the account's data export;
    - `find(email=, name=)` → the records matching a person (shown before an erasure);
    - `identifiers(email=, name=)` → other identifiers of that person found in those
      records (a contact's phone number, its e-mail when found by name…);
    - `erase(email=, name=, identifiers=, by=)` → a dict of counts of what was erased.
    """

    name: str
    export: Callable[[Any], dict[str, Any]] | None = None
    find: Callable[..., Iterable[Any]] | None = None
    identifiers: Callable[..., set[str]] | None = None
    erase: Callable[..., dict[str, int]] | None = None


_holders: dict[str, Holder] = {}


def register(holder: Holder) -> None:
    """Register (or replace, on a second `ready()`) an app's holder."""
    _holders[holder.name] = holder


def holders() -> list[Holder]:
    return list(_holders.values())

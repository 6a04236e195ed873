"""The per-process caches of search, one mechanism: a value per name, valid for one search generation.

The search generation is bumped by every write to the tables search reads
(triggers, then once more after commit: `engine.bump_generation`), so a value
built under generation N is right for as long as the generation is N. Each
cache holds one entry per name (the latest generation's); a process builds a
value at most once per generation, and never serves one built under another.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

_ENTRIES: dict[str, tuple[int, Any]] = {}
_LOCK = threading.Lock()


def per_generation(name: str, generation: int, build: Callable[[], Any], *, force: bool = False) -> Any:
    """The value cached under `name` for this generation, built by `build()` when missing."""
    entry = _ENTRIES.get(name)
    if not force and entry is not None and entry[0] == generation:
        return entry[1]
    value = build()
    with _LOCK:
        _ENTRIES[name] = (generation, value)
    return value


def clear() -> None:
    """Forget every cached value (tests)."""
    _ENTRIES.clear()

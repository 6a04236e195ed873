"""Exact query counts, pinned in a baseline file (as NetBox's utilities/testing/query_counts.py).

`expected_query_count(name)` is a context manager: the block must run exactly
the number of queries recorded under `name` in `tests/query_counts.json`. Any
change fails the test, more queries as well as fewer; after a deliberate
change, rewrite the baseline with `UPDATE_QUERY_COUNTS=1 pytest …` and commit
the diff (a reviewer sees every count that moved).
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext

BASELINE = Path(__file__).with_name("query_counts.json")
UPDATE = os.environ.get("UPDATE_QUERY_COUNTS") == "1"


def _baseline() -> dict[str, int]:
    return json.loads(BASELINE.read_text()) if BASELINE.exists() else {}


@contextmanager
def expected_query_count(name: str):
    with CaptureQueriesContext(connection) as captured:
        yield captured
    count = len(captured.captured_queries)
    baseline = _baseline()
    if UPDATE:
        baseline[name] = count
        BASELINE.write_text(json.dumps(dict(sorted(baseline.items())), indent=2) + "\n")
        return
    assert name in baseline, f"no pinned count for {name!r}: run with UPDATE_QUERY_COUNTS=1"
    queries = "\n".join(q["sql"][:200] for q in captured.captured_queries)
    assert count == baseline[name], f"{name}: {count} queries, pinned {baseline[name]}\n{queries}"

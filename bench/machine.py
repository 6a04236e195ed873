"""A yardstick of the machine's speed, printed by the benchmarks.

Targets are in milliseconds, and the sessions' machines differ (the same
search has measured 2.5 × slower from one to the next). Two fixed tasks,
best of five, let figures from different machines be compared:

  python  sum of i*i for i < 1,000,000 in this interpreter
  pg      SELECT count(*) FROM generate_series(1, 1000000) on the benchmark's server
"""

from __future__ import annotations

import os
import time


def _best(fn, runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def yardstick(connection) -> str:
    """One line: the two reference timings (ms) and the load when measured."""

    def python_task():
        sum(i * i for i in range(1_000_000))

    def pg_task():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM generate_series(1, 1000000)")
            cursor.fetchone()

    python_ms, pg_ms = _best(python_task), _best(pg_task)
    return (
        f"machine yardstick: python {python_ms:.0f} ms, pg {pg_ms:.0f} ms "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; see bench/machine.py)"
    )

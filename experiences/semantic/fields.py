"""pgvector in Django without a dependency: a `vector(n)` column, its HNSW index and the
cosine distance operator. Vectors travel as pgvector's text form ``[0.1,0.2,…]`` (the
database casts it), and come back as float32 numpy arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from django.contrib.postgres.indexes import PostgresIndex
from django.db import models
from django.db.models import Func, Value
from django.db.models.functions import Cast


def vector_literal(vector: Sequence[float] | np.ndarray) -> str:
    """pgvector's text form of a vector (9 significant digits: float32 round-trips)."""
    return "[" + ",".join(f"{float(x):.9g}" for x in np.asarray(vector, dtype=np.float32).ravel()) + "]"


def parse_vector(value: str | None) -> np.ndarray | None:
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return value
    return np.array(value.strip("[]").split(","), dtype=np.float32)


class VectorField(models.Field):
    """A pgvector `vector(dimensions)` column (the extension must be installed)."""

    description = "pgvector vector"

    def __init__(self, *args, dimensions: int, **kwargs):
        self.dimensions = dimensions
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["dimensions"] = self.dimensions
        return name, path, args, kwargs

    def db_type(self, connection) -> str:
        return f"vector({self.dimensions})"

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None or isinstance(value, str):
            return value
        return vector_literal(value)

    def from_db_value(self, value, expression, connection):
        return parse_vector(value)

    def to_python(self, value):
        return parse_vector(value) if isinstance(value, str) else value


class HnswIndex(PostgresIndex):
    """An HNSW index (pgvector); give `opclasses=["vector_cosine_ops"]` for cosine distance."""

    suffix = "hnsw"

    def __init__(self, *expressions, m: int | None = None, ef_construction: int | None = None, **kwargs):
        self.m = m
        self.ef_construction = ef_construction
        super().__init__(*expressions, **kwargs)

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        if self.m is not None:
            kwargs["m"] = self.m
        if self.ef_construction is not None:
            kwargs["ef_construction"] = self.ef_construction
        return path, args, kwargs

    def get_with_params(self) -> list[str]:
        params = []
        if self.m is not None:
            params.append(f"m = {int(self.m)}")
        if self.ef_construction is not None:
            params.append(f"ef_construction = {int(self.ef_construction)}")
        return params


class CosineDistance(Func):
    """`a <=> b`: 1 − cosine similarity (0 for the same direction). `b` may be a numpy vector."""

    arg_joiner = " <=> "
    template = "(%(expressions)s)"
    output_field = models.FloatField()

    def __init__(self, expression, vector, **extra):
        if not hasattr(vector, "resolve_expression"):
            vector = Cast(Value(vector_literal(vector)), VectorField(dimensions=len(vector)))
        super().__init__(expression, vector, **extra)

"""Nearest fiches to a vector, among those the viewer may read — in one statement.

The statement is `Experience.objects.visible_to(viewer)` joined to the vector table
and ordered by cosine distance, so a fiche the viewer cannot read is never a
neighbour: visibility is in the same SQL, not a filter applied afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from django.db import connection, transaction

from ..models import Experience
from . import availability, encoder
from .fields import CosineDistance

# HNSW's candidate list. With a visibility filter, pgvector 0.8's iterative scan keeps
# reading the graph until `limit` visible fiches are found, in exact distance order.
EF_SEARCH = 100


def nearest(*, viewer, vector: np.ndarray, limit: int, exclude_ids: Iterable[int] = ()) -> list[tuple[int, float]]:
    """[(experience id, cosine similarity)], most similar first; [] when semantic search is off."""
    if not availability.available():
        return []
    queryset = Experience.objects.visible_to(viewer).filter(semantic_vector__model=encoder.model_id())
    exclude = [pk for pk in exclude_ids if pk]
    if exclude:
        queryset = queryset.exclude(pk__in=exclude)
    queryset = (
        queryset.annotate(distance=CosineDistance("semantic_vector__embedding", vector))
        .order_by("distance")
        .values_list("pk", "distance")[:limit]
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('hnsw.ef_search', %s, true), set_config('hnsw.iterative_scan', 'strict_order', true)",
                [str(max(EF_SEARCH, limit))],
            )
        rows = list(queryset)
    return [(pk, 1.0 - float(distance)) for pk, distance in rows]


def vector_of(experience_id: int) -> np.ndarray | None:
    """The stored vector of a fiche (current model), or None."""
    if not availability.available():
        return None
    from .models import ExperienceVector

    row = (
        ExperienceVector.objects.filter(experience_id=experience_id, model=encoder.model_id())
        .values_list("embedding", flat=True)
        .first()
    )
    return row

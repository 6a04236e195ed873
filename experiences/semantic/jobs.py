"""Embedding jobs: every write of a fiche enqueues its embedding after commit.

`enqueue_embedding(ids)` is called by the services' after-write path; the Celery task
(tasks.embed_experiences_task) calls `embed_experiences(ids)`, which is idempotent: a
fiche whose passage (text and model) has not changed keeps its vector and costs no
embedding. `manage.py embed_experiences` and the periodic catch-up
(`embed_missing_experiences`) go through the same function.

Until a fiche has a vector it is found by its words only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import availability, encoder, passages
from .fields import vector_literal

logger = logging.getLogger(__name__)

# Fiches per task: ~5 s of embedding on a quiet 2-core machine, well under the time limits.
TASK_BATCH = 16
# Fiches embedded per call of the model (and per INSERT).
EMBED_BATCH = 8
# Without a broker (CELERY_TASK_ALWAYS_EAGER) a task runs inside the request that wrote:
# a fiche or two is a fraction of a second; an import of thousands would hold the request
# for minutes, so larger writes are left to the catch-up job and `manage.py embed_experiences`.
EAGER_MAX = 4


@dataclass
class EmbedReport:
    embedded: int = 0
    unchanged: int = 0
    missing: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"embedded": self.embedded, "unchanged": self.unchanged, "missing": self.missing}


def enqueue_embedding(ids: Iterable[int]) -> None:
    """Queue the embedding of these fiches once the current transaction commits."""
    ids = sorted(set(ids))
    if not ids or not availability.available():
        return
    if settings.CELERY_TASK_ALWAYS_EAGER and len(ids) > EAGER_MAX:
        logger.info("Semantic vectors of %s fiches left to the catch-up job (no broker).", len(ids))
        return
    from .tasks import embed_experiences_task

    for start in range(0, len(ids), TASK_BATCH):
        chunk = ids[start : start + TASK_BATCH]
        # robust: a failure to queue (broker down) is logged, never turned into an error of
        # the write that already committed; the catch-up job will find the fiche.
        transaction.on_commit(partial(embed_experiences_task.delay, chunk), robust=True)


_UPSERT_SQL = """
    INSERT INTO experiences_experiencevector
        (experience_id, embedding, model, text_sha256, tokens, source_updated_at, computed_at)
    VALUES {values}
    ON CONFLICT (experience_id) DO UPDATE SET
        embedding = EXCLUDED.embedding, model = EXCLUDED.model, text_sha256 = EXCLUDED.text_sha256,
        tokens = EXCLUDED.tokens, source_updated_at = EXCLUDED.source_updated_at,
        computed_at = EXCLUDED.computed_at
    -- A job that read an older version of the fiche never overwrites a newer vector.
    WHERE experiences_experiencevector.source_updated_at <= EXCLUDED.source_updated_at
"""


def _current(ids: list[int]) -> dict[int, tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT experience_id, model, text_sha256 FROM experiences_experiencevector WHERE experience_id = ANY(%s)",
            [ids],
        )
        return {pk: (model, sha) for pk, model, sha in cursor.fetchall()}


def embed_experiences(
    ids: Iterable[int],
    *,
    force: bool = False,
    batch_size: int = EMBED_BATCH,
    progress: Callable[[int], None] | None = None,
) -> EmbedReport:
    """Compute and store the vectors of these fiches; unchanged passages are skipped.

    Each batch is written as soon as it is embedded, so an interrupted run keeps
    what it did. `progress(n)` is called with the number of fiches handled.
    """
    ids = sorted(set(ids))
    report = EmbedReport()
    if not ids or not availability.available():
        return report
    found = passages.experience_passages(ids)
    report.missing = len(ids) - len(found)
    current = _current(list(found))
    model = encoder.model_id()
    todo = []
    for pk, (passage, updated_at) in found.items():
        if not force and current.get(pk) == (model, passage.sha256):
            report.unchanged += 1
        else:
            todo.append((pk, passage, updated_at))
    fresh = [(pk, updated_at) for pk, (_p, updated_at) in found.items() if pk not in {t[0] for t in todo}]
    if fresh:
        # Saved without a change of passage (a status change, a tag): the vector stays, and
        # is marked as read from this version so that the catch-up job does not pick it again.
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE experiences_experiencevector SET source_updated_at = %s"
                " WHERE experience_id = %s AND source_updated_at < %s",
                [(updated_at, pk, updated_at) for pk, updated_at in fresh],
            )
    if progress and report.unchanged:
        progress(report.unchanged)
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        vectors = encoder.embed_passages([p.text for _pk, p, _u in batch])
        now = timezone.now()
        params: list = []
        for (pk, passage, updated_at), vector in zip(batch, vectors, strict=True):
            params += [pk, vector_literal(vector), model, passage.sha256, passage.tokens, updated_at, now]
        values = ", ".join(["(%s, %s::vector, %s, %s, %s, %s, %s)"] * len(batch))
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT_SQL.format(values=values), params)
        report.embedded += len(batch)
        if progress:
            progress(len(batch))
    return report


def stale_ids(*, limit: int | None = None) -> list[int]:
    """Fiches without a vector of the current model, or edited since their vector was computed."""
    if not availability.available():
        return []
    sql = """
        SELECT e.id FROM experiences_experience e
        LEFT JOIN experiences_experiencevector v ON v.experience_id = e.id
        WHERE v.experience_id IS NULL OR v.model <> %s OR v.source_updated_at < e.updated_at
        ORDER BY e.updated_at DESC
    """
    params: list = [encoder.model_id()]
    if limit:
        sql += " LIMIT %s"
        params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def vector_counts() -> dict[str, int]:
    """{'fiches': …, 'current': vectors of the current model, 'stale': to (re)compute}."""
    from ..models import Experience

    fiches = Experience.objects.count()
    if not availability.available():
        return {"fiches": fiches, "current": 0, "stale": fiches}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM experiences_experiencevector WHERE model = %s", [encoder.model_id()])
        current = cursor.fetchone()[0]
    return {"fiches": fiches, "current": current, "stale": len(stale_ids())}

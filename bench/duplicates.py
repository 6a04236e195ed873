"""Precision and recall of the duplicate warning over thresholds, on labelled pairs.

bench/data/duplicate_pairs.json: 40 pairs of an existing fiche (demo or extra) and
the title, summary and territory a consultant types for a new one; 20 are the same
experience reworded (some in English, some under a parent or child territory), 20 are
near but different (same territory and another project, the same kind of project in
a neighbouring territory, a neighbouring project of the same territory).

A pair is flagged when the existing fiche comes back from
experiences.semantic.duplicates.candidates_for_vector — the function the form and the
import use: visible to the consultant, territory related — with a similarity at or
above the threshold. The second table ignores the territory (the rule used when the
new fiche has none yet).

Usage: .venv/bin/python bench/duplicates.py   (database: see bench/semantic_db.py)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import semantic_db

THRESHOLDS = [round(0.80 + i * 0.01, 2) for i in range(16)]


def territory_of(spec: str):
    from territories.models import Territory

    code, kind, country = ([*spec.split("/"), "", ""])[:3]
    queryset = Territory.objects.filter(code=code)
    if kind:
        queryset = queryset.filter(kind=kind)
    if country:
        queryset = queryset.filter(country=country)
    return queryset.order_by("id").first()


def table(title: str, rows: list[tuple[str, float | None]]) -> None:
    positives = sum(1 for label, _s in rows if label == "duplicate")
    print(f"\n{title}")
    print(f"{'threshold':>10}{'flagged':>9}{'true':>6}{'precision':>11}{'recall':>8}")
    for threshold in THRESHOLDS:
        flagged = [label for label, sim in rows if sim is not None and sim >= threshold]
        true = flagged.count("duplicate")
        precision = true / len(flagged) if flagged else 1.0
        print(f"{threshold:>10.2f}{len(flagged):>9}{true:>6}{precision:>11.2f}{true / positives:>8.2f}")


def main() -> None:
    semantic_db.setup_django()
    ids = semantic_db.prepare()
    from django.contrib.auth import get_user_model

    from experiences.semantic import duplicates, encoder, neighbours, passages

    consultant = get_user_model().objects.get(username="consultant")
    pairs = json.loads((semantic_db.DATA / "duplicate_pairs.json").read_text())["pairs"]
    with_territory, alone = [], []
    for pair in pairs:
        existing_id = ids[pair["existing"]]
        territory = territory_of(pair["territory"])
        assert territory is not None, pair["territory"]
        vector = encoder.embed_passages([passages.draft_passage(title=pair["title"], summary=pair["summary"]).text])[0]
        found = duplicates.candidates_for_vector(
            vector=vector, territory=territory, viewer=consultant, limit=100, threshold=0.0
        )
        sim = next((c.similarity for c in found if c.experience.pk == existing_id), None)
        stored = neighbours.vector_of(existing_id)
        with_territory.append((pair["label"], sim))
        alone.append((pair["label"], float(stored @ vector)))
        print(
            f"{pair['id']} {pair['label']:<10} territory {'related' if sim is not None else 'unrelated':<9}"
            f" similarity {float(stored @ vector):.3f}  {pair['title'][:70]}"
        )
    print(
        f"\n{len(pairs)} pairs: {sum(1 for p in pairs if p['label'] == 'duplicate')} duplicates, "
        f"{sum(1 for p in pairs if p['label'] == 'different')} different"
    )
    table("Warning rule: similarity ≥ threshold AND related territory", with_territory)
    table("Similarity alone (a new fiche without a territory)", alone)
    print(
        f"\nShipped: {duplicates.DUPLICATE_THRESHOLD} with a territory, "
        f"{duplicates.DUPLICATE_THRESHOLD_ANY_TERRITORY} without"
    )


if __name__ == "__main__":
    main()

"""Duplicate warnings: existing fiches that look like the same experience.

For a fiche being written (the form, after its title and summary) or imported (the
dry run), Périscope looks for visible fiches whose vector is very close to the new
title and summary AND whose territory is the same or related: the same territory,
one containing the other (a commune and its EPCI, département or région), or the
new territory listed among the fiche's other territories. Without a territory, only
a higher similarity warns.

The thresholds are measured on labelled pairs (bench/duplicates.py over
bench/data/duplicate_pairs.json: 20 reworded duplicates, some in English, and 20
near-but-different experiences), not guessed; see their comments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from territories.models import Territory

from ..comparability import Reference
from ..models import Experience
from . import availability, encoder, passages
from .fields import CosineDistance

# Cosine between the new title + summary (e5 passage) and a stored fiche's passage.
# Measured by bench/duplicates.py on 40 labelled pairs, with a related territory:
# 0.89-0.91 precision 0.91, recall 1.00; 0.92 precision 1.00, recall 0.90; 0.93 recall
# 0.60. 0.90 sits inside the first band: its two false alarms are neighbouring projects
# of the same territory (0.916), which a consultant dismisses at a glance, where a missed
# duplicate costs a second fiche.
DUPLICATE_THRESHOLD = 0.90
# Without a territory nothing else guards: the first threshold with precision 1.00 on the
# same pairs (recall 0.90).
DUPLICATE_THRESHOLD_ANY_TERRITORY = 0.92
MIN_WORDS = 5  # a title alone ("Tiers-lieu") is not enough to call anything a duplicate


@dataclass
class DuplicateCandidate:
    experience: Experience
    similarity: float
    relation: str  # same, contains, within, listed, "" (no territory given)

    @property
    def reason(self) -> str:
        relation = {
            "same": _("même territoire"),
            "contains": _("territoire englobant"),
            "within": _("territoire inclus"),
            "listed": _("territoire associé à la fiche"),
        }.get(self.relation, "")
        similarity = _("similarité %(value)s %%") % {"value": round(self.similarity * 100)}
        return " · ".join(part for part in (similarity, relation) if part)


def related_territory_q(territory: Territory) -> Q:
    """Fiches whose lead territory is this one, contains it or lies within it, or that list it."""
    ref = Reference.of(territory)
    parents = [pk for pk in (ref.epci_id, ref.department_id, ref.region_id) if pk and pk != territory.pk]
    listed = Experience.territories.through.objects.filter(experience_id=OuterRef("pk"), territory_id=territory.pk)
    return (
        Q(lead_territory_id=territory.pk)
        | Q(lead_territory_id__in=parents)
        | Q(search_epci_id=territory.pk)
        | Q(search_department_id=territory.pk)
        | Q(search_region_id=territory.pk)
        | Exists(listed)
    )


def _relation(experience: Experience, territory: Territory | None, parents: set[int]) -> str:
    if territory is None:
        return ""
    if experience.lead_territory_id == territory.pk:
        return "same"
    if experience.lead_territory_id in parents:
        return "contains"
    if territory.pk in (experience.search_epci_id, experience.search_department_id, experience.search_region_id):
        return "within"
    return "listed"


def candidates_for_vector(
    *,
    vector: np.ndarray,
    territory: Territory | None,
    viewer,
    exclude_id: int | None = None,
    limit: int = 3,
    threshold: float | None = None,
) -> list[DuplicateCandidate]:
    """Visible fiches near this vector with a related territory, closest first — one statement."""
    if not availability.available():
        return []
    if threshold is None:
        threshold = DUPLICATE_THRESHOLD if territory is not None else DUPLICATE_THRESHOLD_ANY_TERRITORY
    queryset = Experience.objects.visible_to(viewer).filter(semantic_vector__model=encoder.model_id())
    if exclude_id:
        queryset = queryset.exclude(pk=exclude_id)
    if territory is not None:
        queryset = queryset.filter(related_territory_q(territory))
    queryset = (
        queryset.annotate(distance=CosineDistance("semantic_vector__embedding", vector))
        .filter(distance__lte=1.0 - threshold)
        .select_related("lead_territory")
        .only(
            "id",
            "slug",
            "title",
            "title_en",
            "status",
            "lead_territory",
            "search_epci_id",
            "search_department_id",
            "search_region_id",
            "lead_territory__name",
            "lead_territory__slug",
            "lead_territory__kind",
            "lead_territory__code",
            "lead_territory__country",
        )
        .order_by("distance")[:limit]
    )
    parents: set[int] = set()
    if territory is not None:
        ref = Reference.of(territory)
        parents = {pk for pk in (ref.epci_id, ref.department_id, ref.region_id) if pk}
    return [
        DuplicateCandidate(experience, 1.0 - experience.distance, _relation(experience, territory, parents))
        for experience in queryset
    ]


def duplicate_candidates(
    *,
    title: str,
    summary: str,
    territory: Territory | None,
    viewer,
    exclude_id: int | None = None,
    limit: int = 3,
) -> list[DuplicateCandidate]:
    """Existing fiches the viewer may read that look like the same experience as this title and summary."""
    if not availability.available() or len(f"{title} {summary}".split()) < MIN_WORDS:
        return []
    passage = passages.draft_passage(title=title, summary=summary)
    vector = encoder.embed_passages([passage.text])[0]
    return candidates_for_vector(vector=vector, territory=territory, viewer=viewer, exclude_id=exclude_id, limit=limit)

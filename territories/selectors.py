"""Read use cases for territories."""

from __future__ import annotations

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.functions import Coalesce

from .models import Territory, normalize_name

KIND_PREFIXES = {
    "cc": ("epci", "CC"),
    "ca": ("epci", "CA"),
    "cu": ("epci", "CU"),
    "metropole": ("epci", "METRO"),
}


def territory_autocomplete(*, query: str, limit: int = 10, kinds: list[str] | None = None):
    """Accent- and case-insensitive prefix + trigram match, best-known first."""
    q = normalize_name(query)
    if not q:
        return Territory.objects.none()
    qs = Territory.objects.current()
    if kinds:
        qs = qs.filter(kind__in=kinds)
    prefix_match = qs.filter(search_name__startswith=q)
    fuzzy = qs.filter(search_name__trigram_word_similar=q)
    candidates = (prefix_match | fuzzy).annotate(
        prefix=Case(When(search_name__startswith=q, then=Value(1)), default=Value(0), output_field=IntegerField()),
        similarity=TrigramWordSimilarity(q, "search_name"),
        pop=Coalesce(F("population"), Value(0)),
    )
    return candidates.select_related("parent").order_by("-prefix", "-similarity", "-pop", "name")[:limit]

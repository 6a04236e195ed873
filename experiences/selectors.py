"""Read use cases for experiences. Every one starts from `visible_to(viewer)`."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404

from .filtersets import ExperienceFilterSet
from .models import Contact, Experience, Organisation, Tag, Theme


def experience_list(*, viewer, params=None):
    """Filtered, visible experiences ready for a list page or API list."""
    base = Experience.objects.visible_to(viewer).with_list_relations()
    filterset = ExperienceFilterSet(params or {}, queryset=base)
    return filterset


def experience_detail(*, viewer, slug: str) -> Experience:
    """One visible experience with everything a fiche shows (404 otherwise)."""
    qs = Experience.objects.visible_to(viewer).select_related(
        "lead_territory__parent__parent", "lead_territory__epci", "client_organisation", "author"
    ).prefetch_related(
        "themes__parent",
        "tags",
        "territories",
        "actor_links__organisation",
        "funding_lines__funder",
        "sources",
        "attachments",
        Prefetch("contacts", queryset=Contact.objects.select_related("organisation")),
    )
    return get_object_or_404(qs, slug=slug)


def theme_counts(*, viewer):
    """Root themes with the number of visible experiences in each (subtree included)."""
    visible = Experience.objects.visibility_q(viewer)
    themes = list(Theme.objects.all())
    direct = dict(
        Experience.objects.filter(visible if visible is not None else Q())
        .values_list("themes")
        .annotate(n=Count("id", distinct=True))
        .values_list("themes", "n")
    )
    children: dict[int | None, list[Theme]] = {}
    for theme in themes:
        children.setdefault(theme.parent_id, []).append(theme)
    return [(root, direct.get(root.pk, 0) + sum(direct.get(c.pk, 0) for c in children.get(root.pk, []))) for root in children.get(None, [])]


def tag_counts(*, viewer, limit: int = 30):
    """Most used tags, counting only experiences the viewer may read."""
    visible = Experience.objects.visibility_q(viewer)
    count_filter = None if visible is None else _prefix(visible, "experiences__")
    qs = Tag.objects.visible_to(viewer).annotate(n=Count("experiences", filter=count_filter, distinct=True))
    return qs.filter(n__gt=0).order_by("-n", "name")[:limit]


def _prefix(q: Q, prefix: str) -> Q:
    """Re-root a Q object written for Experience onto a relation (e.g. tags' experiences)."""
    new = Q()
    new.connector = q.connector
    new.negated = q.negated
    for child in q.children:
        if isinstance(child, Q):
            new.children.append(_prefix(child, prefix))
        else:
            key, value = child
            new.children.append((prefix + key, value))
    return new


def organisation_detail(*, viewer, slug: str):
    org = get_object_or_404(Organisation.objects.visible_to(viewer).select_related("territory"), slug=slug)
    experiences = (
        Experience.objects.visible_to(viewer)
        .filter(Q(actor_links__organisation=org) | Q(client_organisation=org))
        .with_list_relations()
        .distinct()
    )
    return org, experiences


def territory_experiences(*, viewer, territory, limit: int = 50):
    """Visible experiences led by a territory or involving it."""
    return (
        Experience.objects.visible_to(viewer)
        .filter(Q(lead_territory=territory) | Q(territories=territory))
        .with_list_relations()
        .distinct()[:limit]
    )


def home_context(*, viewer) -> dict:
    """What the home page shows: latest fiches, themes with counts, key figures."""
    visible = Experience.objects.visible_to(viewer)
    latest = visible.filter(status="published").with_list_relations().order_by("-published_at")[:6]
    covered = visible.values("lead_territory").distinct().count()
    return {
        "latest": latest,
        "themes": theme_counts(viewer=viewer),
        "tags": tag_counts(viewer=viewer, limit=20),
        "figures": {"experiences": visible.count(), "territories": covered},
    }

"""Read use cases of the consultant workspace. Each starts from `visible_to(viewer)`."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone

from territories.models import normalize_name

from . import rules
from .completeness import missing_from_flags, with_completeness_flags
from .models import Attachment, Experience, ExportJob, ImportRun, Organisation, Tag


def _list(queryset: QuerySet) -> QuerySet:
    return with_completeness_flags(queryset.select_related("lead_territory", "author"))


def _with_missing(experiences) -> list[Experience]:
    items = list(experiences)
    for experience in items:
        experience.missing = missing_from_flags(experience)
    return items


def my_work(*, viewer, recent_days: int = 60, limit: int = 50) -> dict[str, list[Experience]]:
    """A consultant's drafts, what awaits review (theirs, or all for reviewers), and what was recently published."""
    visible = Experience.objects.visible_to(viewer)
    mine = visible.filter(author=viewer)
    review = visible.filter(status=Experience.Status.REVIEW)
    if not rules.can_publish(viewer):
        review = review.filter(author=viewer)
    since = timezone.now() - datetime.timedelta(days=recent_days)
    published = mine.filter(status=Experience.Status.PUBLISHED, published_at__gte=since)
    return {
        "drafts": _with_missing(_list(mine.filter(status=Experience.Status.DRAFT)).order_by("-updated_at")[:limit]),
        "review": _with_missing(_list(review).order_by("updated_at")[:limit]),
        "published": _with_missing(_list(published).order_by("-published_at")[:limit]),
    }


def recent_imports(*, viewer, limit: int = 5) -> list[ImportRun]:
    return list(ImportRun.objects.filter(user=viewer).defer("data")[:limit])


def recent_exports(*, viewer, limit: int = 5) -> list[ExportJob]:
    return list(ExportJob.objects.filter(user=viewer).defer("content")[:limit])


def editable_experience(*, viewer, slug: str) -> Experience:
    """A fiche the viewer may read, with what the form needs (404 otherwise)."""
    queryset = Experience.objects.visible_to(viewer).select_related("lead_territory", "client_organisation")
    return get_object_or_404(
        queryset.prefetch_related(
            "territories",
            "themes",
            "tags",
            "actor_links__organisation",
            "funding_lines__funder",
            "contacts__organisation",
            "sources",
            "attachments",
        ),
        slug=slug,
    )


def visible_attachment(*, viewer, slug: str, pk: int) -> Attachment:
    """An attachment, only if its fiche is visible to the viewer."""
    experience = get_object_or_404(Experience.objects.visible_to(viewer), slug=slug)
    return get_object_or_404(Attachment, pk=pk, experience=experience)


def tag_list(*, viewer, query: str = "", limit: int = 200) -> QuerySet:
    """Tags with how many visible fiches use them, most used first."""
    visible = Experience.objects.visibility_q(viewer)
    count_filter = None if visible is None else Q(experiences__in=Experience.objects.filter(visible))
    queryset = Tag.objects.visible_to(viewer).annotate(n=Count("experiences", filter=count_filter, distinct=True))
    if query:
        queryset = queryset.filter(name__unaccent__icontains=query)
    return queryset.order_by("-n", "name")[:limit]


def tag_autocomplete(*, viewer, query: str, limit: int = 10) -> list[dict]:
    query = " ".join(query.split())
    if len(query) < 1:
        return []
    queryset = (
        Tag.objects.visible_to(viewer)
        .annotate(similarity=TrigramSimilarity("name", query), n=Count("experiences", distinct=True))
        .filter(Q(name__unaccent__istartswith=query) | Q(similarity__gte=0.3))
        .order_by("-similarity", "-n", "name")[:limit]
    )
    return [{"value": t.name, "label": t.name, "detail": t.n} for t in queryset]


def tag_suggestions(
    *, viewer, text: str = "", theme_ids: Sequence[int] = (), exclude: Sequence[str] = (), limit: int = 8
) -> dict:
    """Tags to propose while editing: names close to what is typed (trigram), and
    tags most often used on fiches that share the chosen themes."""
    excluded = {normalize_name(name) for name in exclude}
    visible = Tag.objects.visible_to(viewer)
    similar: list[str] = []
    text = " ".join(text.split())
    if len(text) >= 3:
        for tag in (
            visible.annotate(similarity=TrigramSimilarity("name", text))
            .filter(similarity__gte=0.25)
            .order_by("-similarity", "name")[: limit * 2]
        ):
            if normalize_name(tag.name) not in excluded and tag.name.lower() != text.lower():
                similar.append(tag.name)
    related: list[str] = []
    if theme_ids:
        fiches = Experience.objects.visible_to(viewer).filter(themes__in=list(theme_ids))
        for tag in (
            visible.filter(experiences__in=fiches)
            .annotate(n=Count("experiences", distinct=True))
            .order_by("-n", "name")[: limit * 2]
        ):
            if normalize_name(tag.name) not in excluded and tag.name not in similar:
                related.append(tag.name)
    return {"similar": similar[:limit], "related": related[:limit]}


def organisation_autocomplete(*, viewer, query: str, limit: int = 10) -> list[dict]:
    query = " ".join(query.split())
    if not query:
        return []
    queryset = (
        Organisation.objects.visible_to(viewer)
        .annotate(similarity=TrigramSimilarity("name", query), lname=Lower("name"))
        .filter(Q(name__unaccent__icontains=query) | Q(similarity__gte=0.3))
        .order_by("-similarity", "name")[:limit]
    )
    return [{"value": o.slug, "label": o.name, "detail": o.get_kind_display()} for o in queryset]


def export_job_for(*, viewer, pk) -> ExportJob:
    return get_object_or_404(ExportJob.objects.defer("content"), pk=pk, user=viewer)


def import_run_for(*, viewer, pk) -> ImportRun:
    return get_object_or_404(ImportRun.objects.defer("data"), pk=pk, user=viewer)

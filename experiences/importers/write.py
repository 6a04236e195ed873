"""Writing a checked file: bulk statements (a few per thousand rows), one history version per fiche."""

from __future__ import annotations

from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from ..content import CONTENT_ATTNAMES
from ..history import record_snapshots
from ..models import Experience, Source, Tag
from .plan import BATCH, RowPlan, has_source


def _free_slug(text: str, taken: set[str], max_length: int) -> str:
    """A slug not in `taken` (which holds every slug in use), added to it."""
    base = slugify(text)[: max_length - 8].strip("-") or "mot-cle"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def _batch_slugs(titles: list[str]) -> list[str]:
    """Unique slugs for many new fiches with a couple of queries (not one per row)."""
    from ..services import RESERVED_SLUGS, unique_slug

    bases = [slugify(title)[:270].strip("-") or "experience" for title in titles]
    clashing = set(Experience.objects.filter(slug__in=set(bases)).values_list("slug", flat=True)) | (
        set(bases) & RESERVED_SLUGS
    )
    taken: set[str] = set()
    slugs = []
    for title, base in zip(titles, bases, strict=True):
        if base in clashing or base in taken:
            slugs.append(unique_slug(Experience, title, max_length=280, taken=taken))
        else:
            taken.add(base)
            slugs.append(base)
    return slugs


def _tag_ids(plans: list[RowPlan]) -> dict[str, int]:
    """Lower-case tag name → id for every tag the plans name, creating the missing ones in one statement."""
    wanted = {t.lower(): t for p in plans for t in (p.tags or [])}
    tag_ids = {t.lname: t.pk for t in Tag.objects.annotate(lname=Lower("name")).filter(lname__in=list(wanted))}
    missing = [name for lower, name in wanted.items() if lower not in tag_ids]
    if missing:
        taken: set[str] = set(Tag.objects.values_list("slug", flat=True))
        created = Tag.objects.bulk_create([Tag(name=n, slug=_free_slug(n, taken, 100)) for n in missing])
        tag_ids.update({t.name.lower(): t.pk for t in created})
    return tag_ids


def _replace_links(new: list[RowPlan], changed: list[RowPlan], tag_ids: dict[str, int]) -> None:
    for name, attname, getter in (
        ("themes", "theme_id", lambda p: p.themes),
        ("territories", "territory_id", lambda p: p.territories),
        ("tags", "tag_id", lambda p: None if p.tags is None else {tag_ids[t.lower()] for t in p.tags}),
    ):
        through = getattr(Experience, name).through
        replaced = [p.experience.pk for p in changed if getter(p) is not None]
        if replaced:
            through.objects.filter(experience_id__in=replaced).delete()
        links = [
            through(experience_id=p.experience.pk, **{attname: target})
            for p in new + changed
            if getter(p) is not None
            for target in getter(p)
        ]
        through.objects.bulk_create(links, batch_size=5000)


def write(plans: list[RowPlan], *, by, filename: str, sources_by_exp) -> None:
    """Create the new fiches (drafts), update the changed ones, link them, record their history."""
    now = timezone.now()
    reason = f"Import {filename}"[:100]
    user = by if getattr(by, "is_authenticated", False) else None
    new = [p for p in plans if p.existing is None]
    changed = [p for p in plans if p.existing is not None and p.changed]
    tag_ids = _tag_ids(new + changed)

    experiences_new = []
    for plan, slug in zip(new, _batch_slugs([p.experience.title for p in new]), strict=True):
        experience = plan.experience
        experience.slug, experience.author = slug, user
        experience.created_at = experience.updated_at = now
        experiences_new.append(experience)
    Experience.objects.bulk_create(experiences_new, batch_size=BATCH)

    experiences_changed = [p.experience for p in changed]
    for experience in experiences_changed:
        experience.updated_at = now
    if experiences_changed:
        Experience.objects.bulk_update(experiences_changed, [*CONTENT_ATTNAMES, "updated_at"], batch_size=BATCH)

    _replace_links(new, changed, tag_ids)
    sources = [
        Source(experience_id=p.experience.pk, title=p.source[0][:300], url=p.source[1])
        for p in new + changed
        if p.source and not has_source(sources_by_exp.get(p.experience.pk, []), p.source)
    ]
    if sources:
        bulk_create_with_history(
            sources, Source, batch_size=BATCH, default_user=user, default_change_reason=reason, default_date=now
        )

    record_snapshots(experiences_new, by=user, reason=reason, history_type="+", date=now)
    record_snapshots(experiences_changed, by=user, reason=reason, history_type="~", date=now)
    from ..services import _after_write

    _after_write([e.pk for e in experiences_new + experiences_changed])

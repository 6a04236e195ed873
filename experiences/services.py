"""Every write to experiences, tags and their files goes through these functions.

Views, the import command, Celery tasks and tests call them; each one is
atomic, checks who may do it (see `rules`), validates with `full_clean()`,
records one history version per fiche, then calls `_after_write` — the single
place where derived data (completeness score, search columns, semantic vectors) is refreshed.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.richtext import clean_plain, sanitize
from territories.models import Territory

from . import rules
from .completeness import refresh_completeness
from .content import CONTENT_FIELDS, PLAIN_TEXT_FIELDS, RICH_TEXT_FIELDS
from .history import (
    CHILD_MODELS,
    HistoricalExperience,
    history_paused,
    record_snapshots,
    version_state,
)
from .models import Attachment, Experience, ExportJob, ImportRun, Organisation, Tag, Theme
from .semantic.jobs import enqueue_embedding

# Paths under /experiences/ that a fiche's slug must not take.
RESERVED_SLUGS = {"espace", "export", "organisations", "nouvelle", "recherche", "carte", "api", "import", "comparer"}

ChildRows = Sequence[Mapping[str, Any]]


# --- Derived data ----------------------------------------------------------


@functools.cache
def _search_refresher() -> Callable[[list[int]], Any] | None:
    """`experiences.search.refresh_search_fields` once that module exists (it ships separately)."""
    if importlib.util.find_spec("experiences.search") is None:
        return None
    return getattr(importlib.import_module("experiences.search"), "refresh_search_fields", None)


def _is_public(experience: Experience) -> bool:
    """Public and published: the only fiches whose words feed the suggestion vocabulary."""
    return experience.status == Experience.Status.PUBLISHED and experience.visibility == Experience.Visibility.PUBLIC


def _forget_words_if_hidden(experience: Experience, *, was_public: bool) -> None:
    """A fiche that leaves the public takes its words out of the suggestions ("Vouliez-vous dire").

    The vocabulary only grows on writes (experiences.search.add_search_terms); removing
    words needs the full rebuild, queued after commit (and also run nightly).
    """
    if was_public and not _is_public(experience):
        from .tasks import rebuild_search_vocabulary  # tasks import services

        transaction.on_commit(rebuild_search_vocabulary.delay)


def _after_write(ids: Iterable[int]) -> None:
    """Refresh what is derived from a fiche after any write to it. The only caller of search refresh."""
    ids = sorted(set(ids))
    if not ids:
        return
    refresh_completeness(ids)
    refresh = _search_refresher()
    if refresh is not None:
        refresh(ids)
    # Semantic vectors: queued to run after commit, never computed in the request
    # (experiences/semantic/jobs.py; a no-op when semantic search is off or pgvector absent).
    enqueue_embedding(ids)


# --- Helpers ---------------------------------------------------------------


def unique_slug(
    model: type[Model], text: str, *, max_length: int, exclude_pk=None, taken: set[str] | None = None
) -> str:
    """A slug from `text` that no other row uses (nor one of `taken`, for batches)."""
    base = slugify(text)[: max_length - 8].strip("-") or model._meta.model_name
    taken = taken if taken is not None else set()
    existing = set(
        model._default_manager.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True)
    )
    candidate, n = base, 1
    while candidate in existing or candidate in taken or (model is Experience and candidate in RESERVED_SLUGS):
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _clean_value(name: str, value: Any) -> Any:
    """The one conversion of what every write path brings: long texts to canonical rich text,
    short texts trimmed with their newlines normalised and control characters removed."""
    if name in RICH_TEXT_FIELDS:
        return sanitize(value)
    if name in PLAIN_TEXT_FIELDS:
        return clean_plain(value)
    if isinstance(value, str):
        value = value.strip()
    if name == "external_ref" and not value:
        return None
    return value


def _apply_fields(experience: Experience, fields: Mapping[str, Any]) -> bool:
    unknown = set(fields) - set(CONTENT_FIELDS)
    if unknown:
        raise ValueError(f"Not editable through services: {sorted(unknown)}")
    changed = False
    for name, raw in fields.items():
        value = _clean_value(name, raw)
        attname = Experience._meta.get_field(name).attname
        before = getattr(experience, attname)
        setattr(experience, name, value)
        if getattr(experience, attname) != before:
            changed = True
    return changed


def organisation_get_or_create(*, name: str, by=None) -> Organisation:  # noqa: ARG001 - same shape as every service
    """An organisation by name (case-insensitive), created when nobody has entered it yet."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("Le nom de l'organisation est vide."))
    existing = Organisation.objects.filter(name__iexact=name).first()
    if existing is not None:
        return existing
    organisation = Organisation(name=name, slug=unique_slug(Organisation, name, max_length=220))
    organisation.full_clean()
    organisation.save()
    return organisation


def _resolve_organisation(value, by) -> Organisation | None:
    if value in (None, ""):
        return None
    if isinstance(value, Organisation):
        return value
    return organisation_get_or_create(name=str(value), by=by)


def tags_from_names(names: Iterable[str | Tag]) -> list[Tag]:
    """Existing tags by name (case-insensitive); the others are created."""
    wanted: dict[str, str] = {}
    ready: list[Tag] = []
    for item in names:
        if isinstance(item, Tag):
            ready.append(item)
            continue
        name = " ".join(str(item).split())[:80]
        if name:
            wanted.setdefault(name.lower(), name)
    if not wanted:
        return ready
    found = {t.lname: t for t in Tag.objects.annotate(lname=Lower("name")).filter(lname__in=list(wanted))}
    taken: set[str] = set()
    for lower, name in wanted.items():
        tag = found.get(lower)
        if tag is None:
            tag = Tag(name=name, slug=unique_slug(Tag, name, max_length=100, taken=taken))
            tag.full_clean()
            tag.save()
        ready.append(tag)
    return ready


# --- Attachments -------------------------------------------------------------

ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# extension → (content type, check of the first bytes / the zip's members)
ATTACHMENT_TYPES: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "pdf"),
    "png": ("image/png", "png"),
    "jpg": ("image/jpeg", "jpeg"),
    "jpeg": ("image/jpeg", "jpeg"),
    "gif": ("image/gif", "gif"),
    "webp": ("image/webp", "webp"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "ooxml"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ooxml"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "ooxml"),
    "odt": ("application/vnd.oasis.opendocument.text", "odf"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "odf"),
    "odp": ("application/vnd.oasis.opendocument.presentation", "odf"),
    "doc": ("application/msword", "ole"),
    "xls": ("application/vnd.ms-excel", "ole"),
    "ppt": ("application/vnd.ms-powerpoint", "ole"),
}
ACCEPTED_LABEL = "PDF, PNG, JPEG, GIF, WebP, DOCX, XLSX, PPTX, ODT, ODS, ODP, DOC, XLS, PPT"


def _signature_ok(kind: str, file) -> bool:
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    match kind:
        case "pdf":
            return head.startswith(b"%PDF-")
        case "png":
            return head.startswith(b"\x89PNG\r\n\x1a\n")
        case "jpeg":
            return head.startswith(b"\xff\xd8\xff")
        case "gif":
            return head[:6] in (b"GIF87a", b"GIF89a")
        case "webp":
            return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
        case "ole":
            return head.startswith(_OLE)
        case "ooxml" | "odf":
            if not head.startswith(b"PK\x03\x04"):
                return False
            try:
                with zipfile.ZipFile(file) as archive:
                    names = set(archive.namelist())
            except (zipfile.BadZipFile, OSError, ValueError):
                return False
            finally:
                file.seek(0)
            return "[Content_Types].xml" in names if kind == "ooxml" else "mimetype" in names
    return False


def validate_attachment(file: UploadedFile) -> str:
    """Check size, extension and actual content before anything is stored; returns the content type."""
    name = file.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if file.size is None or file.size == 0:
        raise ValidationError(_("« %(name)s » est vide.") % {"name": name})
    if file.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("« %(name)s » pèse %(size)s Mo ; la limite est de %(max)s Mo.")
            % {"name": name, "size": round(file.size / 1_048_576, 1), "max": ATTACHMENT_MAX_BYTES // 1_048_576}
        )
    if extension not in ATTACHMENT_TYPES:
        raise ValidationError(
            _("« %(name)s » : type de fichier non accepté. Formats acceptés : %(types)s.")
            % {"name": name, "types": ACCEPTED_LABEL}
        )
    content_type, kind = ATTACHMENT_TYPES[extension]
    if not _signature_ok(kind, file):
        raise ValidationError(
            _("« %(name)s » ne contient pas un vrai fichier %(ext)s (fichier endommagé ou renommé).")
            % {"name": name, "ext": extension.upper()}
        )
    return content_type


def _delete_file_on_commit(attachment: Attachment) -> None:
    storage, name = attachment.file.storage, attachment.file.name
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def _sync_attachments(experience: Experience, rows: ChildRows, *, by, reason: str, date) -> bool:
    existing = {a.pk: a for a in experience.attachments.all()}
    seen: set[int] = set()
    changed = False
    for row in rows:
        pk = row.get("id")
        if pk is not None:
            attachment = existing.get(pk)
            if attachment is None:
                raise ValidationError(_("Pièce jointe inconnue : n° %(pk)s.") % {"pk": pk})
            seen.add(pk)
            title = (row.get("title") or "").strip() or attachment.title
            if title == attachment.title:
                continue
            attachment.title = title
        else:
            upload = row["file"]
            content_type = validate_attachment(upload)
            title = (row.get("title") or "").strip() or upload.name.rsplit(".", 1)[0]
            attachment = Attachment(
                experience=experience, title=title[:200], file=upload, content_type=content_type, size=upload.size
            )
        attachment._history_user, attachment._history_date, attachment._change_reason = by, date, reason
        attachment.full_clean()
        attachment.save()
        changed = True
    for pk, attachment in existing.items():
        if pk not in seen:
            attachment._history_user, attachment._history_date, attachment._change_reason = by, date, reason
            _delete_file_on_commit(attachment)
            attachment.delete()
            changed = True
    return changed


# --- Child rows (funding lines, contacts, sources, actors) -------------------

_ORGANISATION_FIELDS = {"funding_lines": "funder", "contacts": "organisation", "actor_links": "organisation"}


def _sync_children(
    experience: Experience, key: str, rows: ChildRows, *, by, reason: str, date, restoring: bool = False
) -> bool:
    """Make the fiche's rows of one kind match `rows` (with "id" = update, without = create, absent = delete)."""
    model, names = CHILD_MODELS[key]
    existing = {obj.pk: obj for obj in getattr(experience, key).all()}
    seen: set[int] = set()
    changed = False
    org_field = _ORGANISATION_FIELDS.get(key)
    for raw in rows:
        row = dict(raw)
        pk = row.pop("id", None)
        if org_field and org_field in row:
            row[org_field] = _resolve_organisation(row[org_field], by)
        if pk is not None and pk in existing:
            obj = existing[pk]
        elif pk is not None and restoring:
            obj = model(pk=pk, experience=experience)  # a row deleted since that version: it comes back
        elif pk is not None:
            raise ValidationError(_("Ligne inconnue : n° %(pk)s.") % {"pk": pk})
        else:
            obj = model(experience=experience)
        if obj.pk is not None:
            seen.add(obj.pk)
        before = {n: getattr(obj, model._meta.get_field(n).attname) for n in names}
        for name, value in row.items():
            setattr(obj, name, value.strip() if isinstance(value, str) else value)
        after = {n: getattr(obj, model._meta.get_field(n).attname) for n in names}
        if obj.pk in existing and before == after:
            continue
        obj._history_user, obj._history_date, obj._change_reason = by, date, reason
        obj.full_clean(validate_unique=not restoring)
        obj.save(force_insert=restoring and obj.pk not in existing)
        changed = True
    for pk, obj in existing.items():
        if pk not in seen:
            obj._history_user, obj._history_date, obj._change_reason = by, date, reason
            obj.delete()
            changed = True
    return changed


# --- Experiences -----------------------------------------------------------


def _set_m2m(experience: Experience, name: str, targets: Iterable[Model] | Iterable[int]) -> bool:
    ids = {t.pk if isinstance(t, Model) else int(t) for t in targets}
    manager = getattr(experience, name)
    current = set(manager.values_list("pk", flat=True))
    if ids == current:
        return False
    manager.set(ids)
    return True


def _write(
    experience: Experience,
    *,
    by,
    reason: str,
    history_type: str,
    fields_changed: bool,
    themes,
    tags,
    territories,
    children: Mapping[str, ChildRows | None],
    attachments: ChildRows | None,
) -> bool:
    """Save a fiche and its relations, then one history version if anything changed."""
    date = timezone.now()
    changed = fields_changed
    with history_paused(experience):
        if fields_changed or experience.pk is None:
            experience.full_clean()
            experience.save()
        if themes is not None:
            changed |= _set_m2m(experience, "themes", themes)
        if tags is not None:
            changed |= _set_m2m(experience, "tags", tags_from_names(tags))
        if territories is not None:
            changed |= _set_m2m(experience, "territories", territories)
    for key, rows in children.items():
        if rows is not None:
            changed |= _sync_children(experience, key, rows, by=by, reason=reason, date=date)
    if attachments is not None:
        changed |= _sync_attachments(experience, attachments, by=by, reason=reason, date=date)
    if changed:
        record_snapshots([experience], by=by, reason=reason, history_type=history_type, date=date)
        _after_write([experience.pk])
    return changed


@transaction.atomic
def experience_create(
    *,
    author,
    fields: Mapping[str, Any],
    themes: Iterable[Theme] = (),
    tags: Iterable[str | Tag] = (),
    territories: Iterable[Territory] = (),
    actors: ChildRows = (),
    funding_lines: ChildRows = (),
    contacts: ChildRows = (),
    sources: ChildRows = (),
    attachments: ChildRows = (),
) -> Experience:
    """A new fiche, as a draft written by `author` (a consultant or staff)."""
    _require(rules.can_create(author), _("Seuls les consultants et l'équipe peuvent créer une fiche."))
    experience = Experience(author=author, status=Experience.Status.DRAFT)
    _apply_fields(experience, fields)
    experience.slug = unique_slug(Experience, experience.title, max_length=280)
    _write(
        experience,
        by=author,
        reason="Création",
        history_type="+",
        fields_changed=True,
        themes=themes,
        tags=tags,
        territories=territories,
        children={"actor_links": actors, "funding_lines": funding_lines, "contacts": contacts, "sources": sources},
        attachments=attachments,
    )
    return experience


@transaction.atomic
def experience_update(
    *,
    experience: Experience,
    by,
    fields: Mapping[str, Any] | None = None,
    themes: Iterable[Theme] | None = None,
    tags: Iterable[str | Tag] | None = None,
    territories: Iterable[Territory] | None = None,
    actors: ChildRows | None = None,
    funding_lines: ChildRows | None = None,
    contacts: ChildRows | None = None,
    sources: ChildRows | None = None,
    attachments: ChildRows | None = None,
) -> Experience:
    """Edit a fiche. Its status does not change: a published fiche stays published,
    and the change is recorded in its history. `None` leaves a part untouched."""
    _require(rules.can_edit(by, experience), _("Vous ne pouvez pas modifier cette fiche."))
    experience = Experience.objects.select_for_update().get(pk=experience.pk)
    was_public = _is_public(experience)
    fields_changed = _apply_fields(experience, fields or {})
    _write(
        experience,
        by=by,
        reason="Modification",
        history_type="~",
        fields_changed=fields_changed,
        themes=themes,
        tags=tags,
        territories=territories,
        children={"actor_links": actors, "funding_lines": funding_lines, "contacts": contacts, "sources": sources},
        attachments=attachments,
    )
    _forget_words_if_hidden(experience, was_public=was_public)
    return experience


@transaction.atomic
def experience_transition(*, experience: Experience, action: str, by) -> Experience:
    """Move a fiche along draft → review → published → archived (and back where allowed)."""
    transition = rules.TRANSITIONS.get(action)
    if transition is None:
        raise ValueError(f"Unknown transition: {action}")
    experience = Experience.objects.select_for_update().get(pk=experience.pk)
    if experience.status not in transition.sources:
        raise ValidationError(
            _("Action « %(action)s » impossible : la fiche est au statut « %(status)s ».")
            % {"action": transition.label, "status": experience.get_status_display()}
        )
    _require(
        rules.can_transition(by, experience, action),
        _("Vous n'avez pas le droit de faire « %(action)s » sur cette fiche.") % {"action": transition.label},
    )
    was_public = _is_public(experience)
    experience.status = transition.target
    if transition.target == Experience.Status.PUBLISHED and experience.published_at is None:
        experience.published_at = timezone.now()
    with history_paused(experience):
        experience.full_clean()
        experience.save(update_fields=["status", "published_at", "updated_at"])
    record_snapshots([experience], by=by, reason=transition.reason)
    _after_write([experience.pk])
    _forget_words_if_hidden(experience, was_public=was_public)
    return experience


def experience_submit(*, experience: Experience, by) -> Experience:
    return experience_transition(experience=experience, action="submit", by=by)


def experience_withdraw(*, experience: Experience, by) -> Experience:
    return experience_transition(experience=experience, action="withdraw", by=by)


def experience_publish(*, experience: Experience, by) -> Experience:
    return experience_transition(experience=experience, action="publish", by=by)


def experience_archive(*, experience: Experience, by) -> Experience:
    return experience_transition(experience=experience, action="archive", by=by)


@transaction.atomic
def experience_restore_version(*, experience: Experience, history_id: int, by) -> Experience:
    """Bring back the content of a past version (fields, themes, tags, territories,
    funding lines, contacts, sources, actors). Status and attachments stay as they are."""
    _require(rules.can_restore(by), _("Seule l'équipe peut restaurer une version."))
    experience = Experience.objects.select_for_update().get(pk=experience.pk)
    record = HistoricalExperience.objects.get(id=experience.pk, history_id=history_id)
    state = version_state(record)
    date = timezone.now()
    when = date_format(timezone.localtime(record.history_date), "SHORT_DATETIME_FORMAT")
    reason = f"Restauration de la version du {when}"
    for attname, value in state.fields.items():
        # A version written before the rich-text format holds plain text: it comes back converted.
        setattr(experience, attname, _clean_value(attname, value))
    with history_paused(experience):
        experience.full_clean()
        experience.save()
        for name, ids in state.m2m.items():
            _set_m2m(experience, name, ids)
    for key, rows in state.children.items():
        _sync_children(experience, key, rows, by=by, reason=reason, date=date, restoring=True)
    record_snapshots([experience], by=by, reason=reason, date=date)
    _after_write([experience.pk])
    return experience


# --- Tags --------------------------------------------------------------------


def _experience_ids_with_tag(tag: Tag) -> list[int]:
    return list(Experience.tags.through.objects.filter(tag_id=tag.pk).values_list("experience_id", flat=True))


def _snapshot_ids(ids: Iterable[int], *, by, reason: str) -> None:
    ids = list(ids)
    if ids:
        record_snapshots(list(Experience.objects.filter(pk__in=ids)), by=by, reason=reason)
        _after_write(ids)


@transaction.atomic
def tag_rename(*, tag: Tag, name: str, by) -> Tag:
    """Rename a tag everywhere it is used (its slug follows)."""
    _require(rules.can_manage_tags(by), _("Seuls les consultants et l'équipe gèrent les mots-clés."))
    name = " ".join(name.split())
    clash = Tag.objects.filter(name__iexact=name).exclude(pk=tag.pk).first()
    if clash is not None:
        raise ValidationError(
            {"name": _("Le mot-clé « %(name)s » existe déjà : fusionnez plutôt les deux.") % {"name": clash.name}}
        )
    tag.name = name
    tag.slug = unique_slug(Tag, name, max_length=100, exclude_pk=tag.pk)
    tag.full_clean()
    tag.save()
    _after_write(_experience_ids_with_tag(tag))
    return tag


@transaction.atomic
def tag_merge(*, source: Tag, target: Tag, by) -> int:
    """Move every fiche from `source` to `target`, then delete `source`. Returns fiches moved."""
    _require(rules.can_manage_tags(by), _("Seuls les consultants et l'équipe gèrent les mots-clés."))
    if source.pk == target.pk:
        raise ValidationError(_("Choisissez deux mots-clés différents."))
    through = Experience.tags.through
    affected = _experience_ids_with_tag(source)
    already = set(
        through.objects.filter(tag_id=target.pk, experience_id__in=affected).values_list("experience_id", flat=True)
    )
    through.objects.filter(tag_id=source.pk, experience_id__in=already).delete()
    through.objects.filter(tag_id=source.pk).update(tag_id=target.pk)
    source_name = source.name
    source.delete()
    _snapshot_ids(affected, by=by, reason=f"Mot-clé « {source_name} » fusionné dans « {target.name} »")
    return len(affected)


@transaction.atomic
def tag_promote(*, tag: Tag, by, parent: Theme | None = None, synonym_of: Theme | None = None) -> Theme:
    """Turn a tag into a thesaurus theme (under `parent`) or into a synonym of an existing theme.

    The tag's fiches get the theme and lose the tag, which is deleted.
    """
    _require(rules.can_promote_tags(by), _("Seule l'équipe peut modifier le thésaurus."))
    if synonym_of is not None:
        theme = synonym_of
        if tag.name.lower() not in {s.lower() for s in theme.synonyms} and tag.name.lower() != theme.name.lower():
            theme.synonyms = [*theme.synonyms, tag.name]
            theme.full_clean()
            theme.save()
    else:
        if Theme.objects.filter(parent=parent, name__iexact=tag.name).exists():
            raise ValidationError(
                _("Le thème « %(name)s » existe déjà à cet endroit du thésaurus : choisissez « synonyme ».")
                % {"name": tag.name}
            )
        theme = Theme(name=tag.name, parent=parent, slug=unique_slug(Theme, tag.name, max_length=140))
        theme.position = (
            Theme.objects.filter(parent=parent).order_by("-position").values_list("position", flat=True).first() or 0
        ) + 1
        theme.full_clean()
        theme.save()
    affected = _experience_ids_with_tag(tag)
    themes_through = Experience.themes.through
    themes_through.objects.bulk_create(
        [themes_through(experience_id=pk, theme_id=theme.pk) for pk in affected], ignore_conflicts=True
    )
    tag_name = tag.name
    tag.delete()
    kind = "synonyme de" if synonym_of is not None else "thème"
    _snapshot_ids(affected, by=by, reason=f"Mot-clé « {tag_name} » promu ({kind} « {theme.name} »)")
    return theme


# --- Imports and exports -------------------------------------------------------


@transaction.atomic
def import_run_create(*, user, filename: str, content: bytes) -> ImportRun:
    """Store an uploaded spreadsheet and its dry-run report (nothing else is written)."""
    from . import importers

    _require(rules.can_create(user), _("Seuls les consultants et l'équipe importent des fiches."))
    report = importers.import_experiences(content=content, filename=filename, by=user, commit=False)
    run = ImportRun(
        user=user,
        filename=filename[:255],
        sha256=importers.sha256(content),
        data=content if report.ok else None,
        state=ImportRun.State.CHECKED if report.ok else ImportRun.State.FAILED,
        report=report.as_dict(),
    )
    run.full_clean(exclude=["data"])
    run.save()
    return run


def import_run_commit(*, run: ImportRun, by) -> ImportRun:
    """Import a checked file for good: all rows or none. The file is checked again first."""
    from . import importers

    _require(rules.can_create(by) and run.user_id == by.pk, _("Cet import ne vous appartient pas."))
    if run.state != ImportRun.State.CHECKED or run.data is None:
        raise ValidationError(_("Cet import a déjà été traité."))
    report = importers.import_experiences(content=bytes(run.data), filename=run.filename, by=by, commit=True)
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        run.report = report.as_dict()
        if report.committed:
            run.state, run.committed_at, run.data = ImportRun.State.COMMITTED, timezone.now(), None
        else:
            run.state = ImportRun.State.FAILED
        run.save()
    return run


@transaction.atomic
def export_job_create(*, user, format: str, params: Mapping[str, Any]) -> ExportJob:
    """Queue a large export; the Celery task starts once this transaction commits."""
    from .tasks import run_export_job

    _require(user.is_authenticated, _("Connectez-vous pour exporter."))
    job = ExportJob(user=user, format=format, params=dict(params))
    job.full_clean(exclude=["content"])
    job.save()
    transaction.on_commit(lambda: run_export_job.delay(str(job.pk)))
    return job


def export_job_run(*, job_id) -> ExportJob | None:
    """Build the file of an export job. Idempotent: a finished job is left alone,
    an interrupted one starts again from the beginning."""
    from . import exports

    with transaction.atomic():
        job = ExportJob.objects.select_for_update().defer("content").filter(pk=job_id).first()
        if job is None or job.state == ExportJob.State.DONE:
            return job
        job.state, job.done, job.total, job.error = ExportJob.State.RUNNING, 0, 0, ""
        job.save(update_fields=["state", "done", "total", "error", "updated_at"])
    queryset = exports.export_queryset(viewer=job.user, params=job.params)
    total = min(queryset.count(), exports.MAX_ROWS)
    ExportJob.objects.filter(pk=job.pk).update(total=total)

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(done=min(done, total))

    content, filename = exports.build_export(queryset=queryset, viewer=job.user, format=job.format, progress=progress)
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportJob.State.DONE, content=content, filename=filename, done=total, finished_at=timezone.now()
    )
    return ExportJob.objects.defer("content").get(pk=job.pk)


def export_job_fail(*, job_id, reason: str) -> None:
    """Mark an export job failed with a reason a person can read."""
    ExportJob.objects.filter(pk=job_id).exclude(state=ExportJob.State.DONE).update(
        state=ExportJob.State.FAILED, error=reason[:2000], finished_at=timezone.now()
    )


def refresh_derived_fields(experience_ids: Iterable[int]) -> None:
    """Completeness and search columns of fiches written outside these services (demo loader, fixtures)."""
    _after_write(experience_ids)

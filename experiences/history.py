"""The history of a fiche: one snapshot per write, field-by-field differences,
and the state of a past version for restoring it.

django-simple-history records a snapshot on every save and on every
many-to-many change, so one edit of a fiche (fields, themes, tags) would leave
three versions. Services therefore save with `skip_history_when_saving` and
call `record_snapshots` once per write; the same function serves bulk imports
(one INSERT per table for thousands of fiches). Child rows (funding lines,
contacts, sources, attachments, actors) keep their own simple_history tables,
stamped with the same date so that the page groups them with their write.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.formats import format_date, format_datetime, format_money, format_number, label_value
from core.richtext import to_text
from territories.models import Territory

from .content import CONTENT_FIELDS, RICH_TEXT_FIELDS
from .models import (
    Attachment,
    Contact,
    Experience,
    ExperienceOrganisation,
    FundingLine,
    Organisation,
    Source,
    Tag,
    Theme,
)

FICHE_TEXT_FIELDS = frozenset({"title", "summary", *RICH_TEXT_FIELDS})  # written in the fiche's language
HistoricalExperience = Experience.history.model
M2M_FIELDS = ("themes", "tags", "territories")
M2M_TARGETS = {"themes": (Theme, "theme_id"), "tags": (Tag, "tag_id"), "territories": (Territory, "territory_id")}

# CONTENT_FIELDS (experiences.content): what the diff shows and a restore brings back.
# Shown in the diff but never restored: the workflow owns them.
WORKFLOW_FIELDS = ("status", "published_at", "slug", "author")

# Child rows: model, the fields shown, and a function giving a one-line label.
CHILD_MODELS: dict[str, tuple[type[Model], tuple[str, ...]]] = {
    "funding_lines": (FundingLine, ("funder", "label", "amount", "year")),
    "contacts": (Contact, ("name", "role", "email", "phone", "organisation")),
    "sources": (Source, ("title", "url", "publisher", "published_on")),
    "actor_links": (ExperienceOrganisation, ("organisation", "role")),
    "attachments": (Attachment, ("title", "file", "content_type", "size")),
}
RESTORABLE_CHILDREN = ("funding_lines", "contacts", "sources", "actor_links")


def m2m_history_model(name: str):
    return getattr(HistoricalExperience, name).model


@contextmanager
def history_paused(*instances: Model):
    """Save and change many-to-many relations without simple_history's automatic snapshots."""
    for instance in instances:
        instance.skip_history_when_saving = True
    try:
        yield
    finally:
        for instance in instances:
            if hasattr(instance, "skip_history_when_saving"):
                del instance.skip_history_when_saving


def record_snapshots(
    experiences: Sequence[Experience],
    *,
    by,
    reason: str,
    history_type: str = "~",
    date: datetime.datetime | None = None,
) -> list[int]:
    """One historical record per fiche, with its themes, tags and territories.

    Copies the rows as they are in the database (callers save first), with
    INSERT … SELECT: four statements whatever the number of fiches, and no
    Python object per row — an import of 10,000 fiches pays well under a second.
    Returns the new history ids.
    """
    ids = [e.pk for e in experiences]
    if not ids:
        return []
    date = date or timezone.now()
    user = by if getattr(by, "is_authenticated", False) else None
    quote = connection.ops.quote_name
    history_meta, source_meta = HistoricalExperience._meta, Experience._meta
    columns = [source_meta.get_field(f.name).column for f in HistoricalExperience.tracked_fields]
    extra = ["history_date", "history_type", "history_user_id", "history_change_reason"]
    # Identifiers come from model metadata (quoted); every value is a parameter.
    insert = (
        f"INSERT INTO {quote(history_meta.db_table)} ({', '.join(quote(c) for c in columns + extra)}) "  # noqa: S608
        f"SELECT {', '.join('e.' + quote(c) for c in columns)}, %s, %s, %s, %s "
        f"FROM {quote(source_meta.db_table)} e WHERE e.id = ANY(%s) RETURNING history_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(insert, [date, history_type, user.pk if user else None, reason[:100], ids])
        history_ids = [row[0] for row in cursor.fetchall()]
        for name in M2M_FIELDS:
            through = getattr(Experience, name).through._meta
            target = M2M_TARGETS[name][1]
            m2m = m2m_history_model(name)._meta
            cursor.execute(
                f"INSERT INTO {quote(m2m.db_table)} (id, experience_id, {quote(target)}, history_id) "  # noqa: S608
                f"SELECT t.id, t.experience_id, t.{quote(target)}, h.history_id "
                f"FROM {quote(through.db_table)} t JOIN {quote(history_meta.db_table)} h ON h.id = t.experience_id "
                f"WHERE h.history_id = ANY(%s)",
                [history_ids],
            )
    return history_ids


# --- Reading the history ---------------------------------------------------


# The change reasons are stored in French, as the services write them (a stable record); they
# are said in the reader's language when shown. Fixed reasons, then reasons with a part.
STORED_REASONS = {
    "Création": gettext_lazy("Création"),
    "Modification": gettext_lazy("Modification"),
    "Soumise à relecture": gettext_lazy("Soumise à relecture"),
    "Repassée en brouillon": gettext_lazy("Repassée en brouillon"),
    "Publiée": gettext_lazy("Publiée"),
    "Archivée": gettext_lazy("Archivée"),
}
STORED_REASON_PATTERNS = (
    (
        re.compile(r"^Restauration de la version du (?P<when>.+)$"),
        gettext_lazy("Restauration de la version du %(when)s"),
    ),
    (re.compile(r"^Import (?P<file>.+)$"), gettext_lazy("Import de %(file)s")),
    (
        re.compile(r"^Mot-clé « (?P<tag>.+) » fusionné dans « (?P<target>.+) »$"),
        gettext_lazy("Mot-clé « %(tag)s » fusionné dans « %(target)s »"),
    ),
    (
        re.compile(r"^Mot-clé « (?P<tag>.+) » promu \(synonyme de « (?P<theme>.+) »\)$"),
        gettext_lazy("Mot-clé « %(tag)s » promu (synonyme de « %(theme)s »)"),
    ),
    (
        re.compile(r"^Mot-clé « (?P<tag>.+) » promu \(thème « (?P<theme>.+) »\)$"),
        gettext_lazy("Mot-clé « %(tag)s » promu (thème « %(theme)s »)"),
    ),
)


def reason_label(stored: str) -> str:
    """A stored change reason in the reader's language ("Publiée" → "Published")."""
    if stored in STORED_REASONS:
        return str(STORED_REASONS[stored])
    for pattern, label in STORED_REASON_PATTERNS:
        if match := pattern.match(stored):
            return str(label) % match.groupdict()
    return stored


@dataclass
class FieldChange:
    name: str
    label: str
    old: str
    new: str
    # For long texts: [(op, text)] with op in {"=", "-", "+"}, for an inline diff.
    segments: list[tuple[str, str]] | None = None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def is_list(self) -> bool:
        return bool(self.added or self.removed)

    @property
    def is_fiche_text(self) -> bool:
        """A text written in the fiche's own language (its title, summary, long texts)."""
        return self.name in FICHE_TEXT_FIELDS


@dataclass
class ItemChange:
    kind: str  # verbose name of the child model
    action: str  # "+", "~" or "-"
    label: str
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class HistoryEntry:
    record: Any
    date: datetime.datetime
    user: Any
    reason: str
    history_type: str
    changes: list[FieldChange] = field(default_factory=list)
    items: list[ItemChange] = field(default_factory=list)

    @property
    def history_id(self) -> int:
        return self.record.history_id if self.record is not None else 0


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level difference of two texts, for <del>/<ins> rendering."""
    a, b = old.split(" "), new.split(" ")
    segments: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(("=", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            segments.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            segments.append(("+", " ".join(b[j1:j2])))
    return segments


class _Labels:
    """Resolves foreign keys and choices to readable labels with one query per model."""

    def __init__(self):
        self.wanted: dict[type[Model], set[int]] = defaultdict(set)
        self.resolved: dict[type[Model], dict[int, str]] = {}

    def want(self, model: type[Model], pk: int | None) -> None:
        if pk is not None:
            self.wanted[model].add(pk)

    def resolve(self) -> None:
        for model, pks in self.wanted.items():
            queryset = model._default_manager.filter(pk__in=pks)
            if model is Territory:
                queryset = queryset.only("id", "name", "kind", "country", "code")
            self.resolved[model] = {obj.pk: str(obj) for obj in queryset}

    def get(self, model: type[Model], pk: int | None) -> str:
        if pk is None:
            return ""
        return self.resolved.get(model, {}).get(pk) or _("(supprimé, n° %(pk)s)") % {"pk": pk}


def _display(model: type[Model], name: str, value, labels: _Labels) -> str:
    f = model._meta.get_field(name)
    if value is None or value == "":
        return ""
    if f.is_relation:
        return labels.get(f.related_model, value)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if name in RICH_TEXT_FIELDS:
        return to_text(value)  # text, not markup: a diff shows what a reader sees
    if isinstance(value, datetime.datetime):
        return format_datetime(value)
    if isinstance(value, datetime.date):
        return format_date(value)
    if isinstance(value, Decimal):
        return format_number(value, 0 if value == value.to_integral() else 2)
    return str(value)


def _field_changes(model, names, old: dict, new: dict, labels: _Labels) -> list[FieldChange]:
    changes = []
    for name in names:
        attname = model._meta.get_field(name).attname
        before, after = old.get(attname), new.get(attname)
        if before == after or (before in (None, "") and after in (None, "")):
            continue
        old_text, new_text = _display(model, name, before, labels), _display(model, name, after, labels)
        if old_text == new_text:  # e.g. plain text stored again as HTML: nothing a reader would see
            continue
        segments = word_diff(old_text, new_text) if (len(old_text) > 80 or len(new_text) > 80) else None
        label = str(model._meta.get_field(name).verbose_name)
        changes.append(FieldChange(name, label[:1].upper() + label[1:], old_text, new_text, segments))
    return changes


def _row_values(record, model, names) -> dict:
    return {model._meta.get_field(n).attname: getattr(record, model._meta.get_field(n).attname) for n in names}


def history_entries(experience: Experience, *, limit: int = 100) -> list[HistoryEntry]:
    """The versions of a fiche, newest first, each with what changed since the one before.

    A fixed number of queries whatever the number of versions: the records,
    one per many-to-many table, one per child table, one per label model.
    """
    records = list(
        HistoricalExperience.objects.filter(id=experience.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit + 1]
    )
    records.reverse()  # oldest first; the extra oldest one only serves as the base of the first diff
    labels = _Labels()
    m2m: dict[str, dict[int, set[int]]] = {}
    history_ids = [r.history_id for r in records]
    for name in M2M_FIELDS:
        model, attname = M2M_TARGETS[name]
        per_record: dict[int, set[int]] = defaultdict(set)
        for history_id, target_id in (
            m2m_history_model(name).objects.filter(history_id__in=history_ids).values_list("history_id", attname)
        ):
            per_record[history_id].add(target_id)
            labels.want(model, target_id)
        m2m[name] = per_record

    model_fields = CONTENT_FIELDS + WORKFLOW_FIELDS
    for record in records:
        for name in model_fields:
            f = Experience._meta.get_field(name)
            if f.is_relation:
                labels.want(f.related_model, getattr(record, f.attname))

    child_events: list[tuple[datetime.datetime, ItemChange, Any]] = []
    child_rows: list[tuple[str, Any]] = []
    for key, (model, names) in CHILD_MODELS.items():
        for record in (
            model.history.filter(experience_id=experience.pk)
            .select_related("history_user")
            .order_by("history_date", "history_id")
        ):
            child_rows.append((key, record))
            for n in names:
                f = model._meta.get_field(n)
                if f.is_relation:
                    labels.want(f.related_model, getattr(record, f.attname))
    labels.resolve()

    last_child_values: dict[tuple[str, int], dict] = {}
    for key, record in child_rows:
        model, names = CHILD_MODELS[key]
        values = _row_values(record, model, names)
        previous = last_child_values.get((key, record.id), {})
        last_child_values[(key, record.id)] = values
        label = _child_label(key, values, labels)
        changes = _field_changes(model, names, previous, values, labels) if record.history_type == "~" else []
        if record.history_type == "~" and not changes:
            continue
        item = ItemChange(str(model._meta.verbose_name), record.history_type, label, changes)
        child_events.append((record.history_date, item, record.history_user))

    entries: list[HistoryEntry] = []
    previous_values: dict = {}
    previous_m2m: dict[str, set[int]] = {name: set() for name in M2M_FIELDS}
    for index, record in enumerate(records):
        values = _row_values(record, Experience, model_fields)
        current_m2m = {name: m2m[name].get(record.history_id, set()) for name in M2M_FIELDS}
        if index == 0 and len(records) > limit:
            previous_values, previous_m2m = values, current_m2m
            continue
        changes = _field_changes(Experience, model_fields, previous_values, values, labels)
        for name in M2M_FIELDS:
            added, removed = current_m2m[name] - previous_m2m[name], previous_m2m[name] - current_m2m[name]
            if added or removed:
                model, _attname = M2M_TARGETS[name]
                label = str(Experience._meta.get_field(name).verbose_name)
                changes.append(
                    FieldChange(
                        name,
                        label[:1].upper() + label[1:],
                        "",
                        "",
                        added=sorted(labels.get(model, pk) for pk in added),
                        removed=sorted(labels.get(model, pk) for pk in removed),
                    )
                )
        entries.append(
            HistoryEntry(
                record=record,
                date=record.history_date,
                user=record.history_user,
                reason=reason_label(record.history_change_reason or ""),
                history_type=record.history_type,
                changes=changes,
            )
        )
        previous_values, previous_m2m = values, current_m2m

    # Services stamp a fiche version and its child rows with the same date: a
    # child change joins the version of that date. Changes made elsewhere (the
    # admin, a script) stand on their own, one entry per second and user.
    by_date = {entry.date: entry for entry in entries}
    orphans: dict[tuple, HistoryEntry] = {}
    for date, item, user in child_events:
        entry = by_date.get(date)
        if entry is None:
            key = (date.replace(microsecond=0), getattr(user, "pk", None))
            entry = orphans.get(key)
            if entry is None:
                entry = orphans[key] = HistoryEntry(record=None, date=date, user=user, reason="", history_type="~")
        entry.items.append(item)
    entries.extend(orphans.values())
    entries.sort(key=lambda entry: entry.date, reverse=True)
    return entries


def _child_label(key: str, values: dict, labels: _Labels) -> str:
    match key:
        case "funding_lines":
            who = values.get("label") or labels.get(Organisation, values.get("funder_id"))
            return label_value(who, format_money(values.get("amount")))
        case "contacts":
            return values.get("name") or ""
        case "sources":
            return values.get("title") or ""
        case "actor_links":
            role = _display(ExperienceOrganisation, "role", values.get("role"), labels)
            return f"{labels.get(Organisation, values.get('organisation_id'))} ({role})"
        case "attachments":
            return values.get("title") or ""
    return ""


# --- Restoring a version ----------------------------------------------------


@dataclass
class VersionState:
    """What a fiche looked like at one version: fields, relations and child rows."""

    fields: dict[str, Any]
    m2m: dict[str, list[int]]
    children: dict[str, list[dict[str, Any]]]


def version_state(record) -> VersionState:
    fields = {}
    for name in CONTENT_FIELDS:
        f = Experience._meta.get_field(name)
        fields[f.attname] = getattr(record, f.attname)
    m2m = {}
    for name in M2M_FIELDS:
        model, attname = M2M_TARGETS[name]
        ids = list(m2m_history_model(name).objects.filter(history=record).values_list(attname, flat=True))
        # Targets deleted since (a tag merged away) cannot come back.
        m2m[name] = list(model._default_manager.filter(pk__in=ids).values_list("pk", flat=True))
    children = {}
    for key in RESTORABLE_CHILDREN:
        model, names = CHILD_MODELS[key]
        latest: dict[int, Any] = {}
        for row in model.history.filter(experience_id=record.id, history_date__lte=record.history_date).order_by(
            "history_date", "history_id"
        ):
            latest[row.id] = row
        children[key] = [
            {
                "id": row.id,
                **{model._meta.get_field(n).attname: getattr(row, model._meta.get_field(n).attname) for n in names},
            }
            for row in latest.values()
            if row.history_type != "-"
        ]
    return VersionState(fields=fields, m2m=m2m, children=children)


def experiences_with_history(ids: Iterable[int]) -> set[int]:
    return set(HistoricalExperience.objects.filter(id__in=list(ids)).values_list("id", flat=True).distinct())

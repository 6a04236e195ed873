"""Read use cases for studies, comparisons and reports.

Every read starts from `visible_to(viewer)`: studies through
`Study.objects.visible_to`, experiences through `Experience.objects.visible_to`
(a report never shows a fiche its requester may not read).

The report *snapshot* is a JSON-serialisable dict holding every value a report
shows. The PDF is rendered from it and it is stored with the version, so a
report sent to a client can be found again exactly and compared with later data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Max, Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role, role_of
from core.richtext import to_text
from experiences.models import Contact, Experience, ExperienceOrganisation, FundingLine, Source
from territories.countries import country_name
from territories.models import Territory

from .models import Criterion, CriterionValue, ReportJob, ReportVersion, Study, StudyExperience

SNAPSHOT_SCHEMA = 1
COMPARE_MIN, COMPARE_MAX = 2, 6

# --- Studies -----------------------------------------------------------------


def study_list(*, viewer):
    return (
        Study.objects.visible_to(viewer)
        .select_related("client_organisation", "client_territory", "lead")
        .order_by("-created_at")
    )


def study_detail(*, viewer, slug: str) -> Study:
    """One study the viewer may see (404 otherwise), with its header relations."""
    qs = Study.objects.visible_to(viewer).select_related("client_organisation", "client_territory", "lead")
    return get_object_or_404(qs.prefetch_related("team"), slug=slug)


def study_can_edit(*, study: Study, user) -> bool:
    """Staff edit every study; consultants edit the studies they lead or work on."""
    role = role_of(user)
    if role == Role.STAFF:
        return True
    if role != Role.CONSULTANT:
        return False
    return study.lead_id == user.pk or study.team.filter(pk=user.pk).exists()


def study_workspace(*, study: Study, viewer) -> dict:
    """Items, criteria and the criteria × experiences grid of a study's workspace.

    Only the experiences the viewer may read are listed (a team member may not
    read a fiche confidential to another client); the others are counted.
    """
    visible = Experience.objects.visible_to(viewer).values("pk")
    items = list(
        study.items.filter(experience__in=visible)
        .select_related("experience__lead_territory")
        .prefetch_related("experience__themes", Prefetch("criterion_values", queryset=CriterionValue.objects.all()))
    )
    criteria = list(study.criteria.all())
    for item in items:
        by_criterion = {v.criterion_id: v.value for v in item.criterion_values.all()}
        item.grid_cells = [(criterion, by_criterion.get(criterion.pk, "")) for criterion in criteria]
    hidden = study.items.count() - len(items)
    return {"items": items, "criteria": criteria, "hidden_items": hidden}


def visible_experience_ids(*, viewer, ids) -> set[int]:
    return set(Experience.objects.visible_to(viewer).filter(pk__in=list(ids)).values_list("pk", flat=True))


def snapshot_items_for(*, snapshot: dict, viewer) -> tuple[list[dict], int]:
    """The items of a stored snapshot whose experience the viewer may read, and how many are left out."""
    items = snapshot.get("items", [])
    ids = visible_experience_ids(viewer=viewer, ids=[i["experience"]["id"] for i in items])
    shown = [i for i in items if i["experience"]["id"] in ids]
    return shown, len(items) - len(shown)


def study_item(*, study: Study, item_id: int, viewer) -> StudyExperience:
    visible = Experience.objects.visible_to(viewer).values("pk")
    return get_object_or_404(study.items.filter(experience__in=visible).select_related("experience"), pk=item_id)


def study_criterion(*, study: Study, criterion_id: int) -> Criterion:
    return get_object_or_404(study.criteria, pk=criterion_id)


def experience_candidates(*, study: Study, viewer, query: str, limit: int = 10):
    """Visible experiences matching `query` that the study does not hold yet."""
    from experiences.selectors import experience_list

    qs = experience_list(viewer=viewer, params={"q": query} if query else {}).qs
    return qs.exclude(pk__in=study.items.values("experience_id"))[:limit]


def editable_studies(*, viewer):
    """Studies the viewer may add experiences to (for "add to a study" menus)."""
    role = role_of(viewer)
    qs = Study.objects.visible_to(viewer).exclude(status__in=[Study.Status.DELIVERED, Study.Status.ARCHIVED])
    if role == Role.STAFF:
        return qs.order_by("title")
    if role != Role.CONSULTANT:
        return qs.none()
    return qs.order_by("title")


# --- Reports -----------------------------------------------------------------


def report_jobs(*, viewer):
    return ReportJob.objects.visible_to(viewer)


def report_job(*, viewer, study: Study, job_id: int) -> ReportJob:
    qs = ReportJob.objects.visible_to(viewer).filter(study=study).select_related("version")
    return get_object_or_404(qs, pk=job_id)


def report_versions(*, study: Study, viewer) -> tuple[list[ReportVersion], int]:
    """The versions the viewer may download (every fiche in them readable), newest first,
    and how many others there are."""
    visible = list(
        ReportVersion.objects.visible_to(viewer).filter(study=study).select_related("generated_by").order_by("-number")
    )
    return visible, study.versions.count() - len(visible)


def report_version(*, viewer, study: Study, number: int) -> ReportVersion:
    qs = ReportVersion.objects.visible_to(viewer).filter(study=study).select_related("generated_by")
    return get_object_or_404(qs, number=number)


def report_active_job(*, study: Study) -> ReportJob | None:
    return (
        study.report_jobs.filter(status__in=[ReportJob.Status.QUEUED, ReportJob.Status.RUNNING])
        .order_by("-created_at")
        .first()
    )


def report_last_job(*, study: Study) -> ReportJob | None:
    return study.report_jobs.select_related("version").order_by("-created_at").first()


def next_version_number(*, study: Study) -> int:
    return (study.versions.aggregate(n=Max("number"))["n"] or 0) + 1


# --- Snapshot ------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _territory_dict(territory: Territory | None) -> dict | None:
    if territory is None:
        return None
    return {
        "id": territory.pk,
        "name": territory.name,
        "label": territory.label,
        "kind": territory.kind,
        "kind_label": str(territory.get_kind_display()),
        "subkind_label": str(territory.get_subkind_display()) if territory.subkind else "",
        "country": territory.country,
        "country_name": country_name(territory.country),
        "code": territory.code,
        "population": territory.population,
        "population_year": territory.population_year,
        "density_class_label": str(territory.get_density_class_display()) if territory.density_class else "",
        # Codes, so a report in another language names the kind and class in it (see LABEL_KEYS).
        "subkind": territory.subkind,
        "density_class": territory.density_class,
    }


def _department_code(territory: Territory) -> str | None:
    """The French département a territory lies in (walking up its parents)."""
    node, depth = territory, 0
    while node is not None and depth < 4:
        if node.kind == Territory.Kind.DEPARTMENT and node.country == "FR":
            return node.code
        node, depth = node.parent, depth + 1
    return None


def _map_units(territory: Territory) -> list[list[str]]:
    """The Belgian province (or the Brussels-Capital Region) a territory lies in, as the map's
    [country, code] (walking up its parents); French ones are placed by `departments`."""
    from core import maps

    _view_box, shapes, _insets = maps.territory_map()
    keys = {(s.country, s.code) for s in shapes if s.country != "FR"}
    node, depth = territory, 0
    while node is not None and depth < 4:
        if (node.country, node.code) in keys:
            return [[node.country, node.code]]
        node, depth = node.parent, depth + 1
    return []


def experience_snapshot(experience: Experience, *, include_contacts: bool, region_departments=None) -> dict:
    """Everything a fiche shows about one experience, as plain JSON values.

    Expects the relations of `experience_report_queryset()` to be loaded.
    """
    territory = experience.lead_territory
    if territory.kind == Territory.Kind.REGION and territory.country == "FR":
        departments = sorted((region_departments or {}).get(territory.pk, []))
    else:
        code = _department_code(territory) if territory.country == "FR" else None
        departments = [code] if code else []
    data = {
        "id": experience.pk,
        "slug": experience.slug,
        "title": experience.title,
        "summary": experience.summary,
        "context": experience.context,
        "actions": experience.actions,
        "results": experience.results,
        "vigilance_points": experience.vigilance_points,
        "period_start": _iso(experience.period_start),
        "period_end": _iso(experience.period_end),
        "project_status": experience.project_status,
        "project_status_label": str(experience.get_project_status_display()),
        "budget_amount": str(experience.budget_amount) if experience.budget_amount is not None else None,
        "currency": experience.currency,
        "language": experience.language,
        "territory": _territory_dict(territory),
        "departments": departments,
        "other_territories": [t.label for t in experience.territories.all()],
        "themes": [theme.name for theme in experience.themes.all()],
        "tags": [tag.name for tag in experience.tags.all()],
        "actors": [
            {"name": link.organisation.name, "role": link.role, "role_label": str(link.get_role_display())}
            for link in experience.actor_links.all()
        ],
        "funding": [
            {
                "label": line.label,
                "funder": line.funder.name if line.funder else "",
                "amount": str(line.amount),
                "year": line.year,
            }
            for line in experience.funding_lines.all()
        ],
        "sources": [
            {
                "title": source.title,
                "url": source.url,
                "publisher": source.publisher,
                "published_on": _iso(source.published_on),
            }
            for source in experience.sources.all()
        ],
        "contacts": [
            {
                "name": contact.name,
                "role": contact.role,
                "email": contact.email,
                "phone": contact.phone,
                "organisation": contact.organisation.name if contact.organisation else "",
            }
            for contact in experience.contacts.all()
        ]
        if include_contacts
        else [],
    }
    # The English texts, only when there are some (the fiche's fingerprint stays as it was otherwise).
    english = {
        "title_en": experience.title_en,
        "summary_en": experience.summary_en,
        "themes_en": [theme.name_en for theme in experience.themes.all()],
    }
    data |= {key: value for key, value in english.items() if any(value)}
    if territory.country != "FR" and (units := _map_units(territory)):
        data["map_units"] = units  # where the report's map places a Belgian fiche
    data["fingerprint"] = fingerprint(data)
    return data


# Keys that only restate another (codes of labels already there): not part of a fiche's fingerprint.
LABEL_KEYS = {"subkind", "density_class", "map_units"}


def fingerprint(data: dict) -> str:
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in LABEL_KEYS}
        return value

    payload = json.dumps(
        {k: strip(v) for k, v in data.items() if k != "fingerprint" and k not in LABEL_KEYS},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def experience_report_queryset(*, viewer, include_contacts: bool):
    """Visible experiences with every relation a fiche needs, in a fixed number of queries."""
    prefetches = [
        "themes",
        "tags",
        "territories",
        Prefetch("actor_links", queryset=ExperienceOrganisation.objects.select_related("organisation")),
        Prefetch("funding_lines", queryset=FundingLine.objects.select_related("funder")),
        Prefetch("sources", queryset=Source.objects.all()),
    ]
    if include_contacts:
        prefetches.append(Prefetch("contacts", queryset=Contact.objects.select_related("organisation")))
    return (
        Experience.objects.visible_to(viewer)
        .select_related("lead_territory__parent__parent")
        .prefetch_related(*prefetches)
    )


def _region_departments(experiences: Iterable[Experience]) -> dict[int, list[str]]:
    region_ids = [
        e.lead_territory_id
        for e in experiences
        if e.lead_territory.kind == Territory.Kind.REGION and e.lead_territory.country == "FR"
    ]
    if not region_ids:
        return {}
    result: dict[int, list[str]] = {}
    for parent_id, code in Territory.objects.filter(
        parent_id__in=region_ids, kind=Territory.Kind.DEPARTMENT
    ).values_list("parent_id", "code"):
        result.setdefault(parent_id, []).append(code)
    return result


def experience_fiche_snapshot(*, experience_id: int, viewer, include_contacts: bool) -> dict:
    experience = get_object_or_404(
        experience_report_queryset(viewer=viewer, include_contacts=include_contacts), pk=experience_id
    )
    return experience_snapshot(
        experience, include_contacts=include_contacts, region_departments=_region_departments([experience])
    )


def report_snapshot(*, study_id: int, viewer) -> dict:
    """The data a study report is made from, read as `viewer` (the requester).

    Experiences the viewer may no longer read are left out and counted.
    About ten queries whatever the number of experiences.
    """
    study = (
        Study.objects.select_related("client_organisation", "client_territory__parent", "lead")
        .prefetch_related("team")
        .get(pk=study_id)
    )
    include_contacts = study.include_contacts
    items = list(study.items.prefetch_related("criterion_values").order_by("position", "id"))
    experiences = {
        e.pk: e
        for e in experience_report_queryset(viewer=viewer, include_contacts=include_contacts).filter(
            pk__in=[i.experience_id for i in items]
        )
    }
    regions = _region_departments(experiences.values())
    criteria = list(study.criteria.all())
    snapshot_items = []
    for item in items:
        experience = experiences.get(item.experience_id)
        if experience is None:
            continue
        values = {str(v.criterion_id): v.value for v in item.criterion_values.all()}
        snapshot_items.append(
            {
                "number": len(snapshot_items) + 1,
                "item_id": item.pk,
                "analysis_note": item.analysis_note,
                "transferability": item.transferability,
                "client_vigilance": item.client_vigilance,
                "values": values,
                "experience": experience_snapshot(
                    experience, include_contacts=include_contacts, region_departments=regions
                ),
            }
        )
    return {
        "schema": SNAPSHOT_SCHEMA,
        "taken_at": timezone.now().isoformat(),
        "study": {
            "id": study.pk,
            "slug": study.slug,
            "title": study.title,
            "question": study.question,
            "scope": study.scope,
            "method": study.method,
            "conclusions": study.conclusions,
            "recommendations": study.recommendations,
            "status": study.status,
            "deadline": _iso(study.deadline),
            "client": study.client_organisation.name,
            "client_territory": _territory_dict(study.client_territory),
            "lead": str(study.lead) if study.lead else "",
            "team": sorted(str(u) for u in study.team.all()),
            "include_contacts": include_contacts,
        },
        "criteria": [{"id": c.pk, "name": c.name, "description": c.description} for c in criteria],
        "items": snapshot_items,
        "excluded": len(items) - len(snapshot_items),
    }


# --- Changes between versions -------------------------------------------------------

FIELD_LABELS = {
    "title": gettext_lazy("titre"),
    "summary": gettext_lazy("résumé"),
    "context": gettext_lazy("contexte"),
    "actions": gettext_lazy("actions"),
    "results": gettext_lazy("résultats"),
    "vigilance_points": gettext_lazy("points de vigilance"),
    "period_start": gettext_lazy("période"),
    "period_end": gettext_lazy("période"),
    "project_status": gettext_lazy("état du projet"),
    "budget_amount": gettext_lazy("budget"),
    "territory": gettext_lazy("territoire"),
    "other_territories": gettext_lazy("territoires"),
    "themes": gettext_lazy("thèmes"),
    "tags": gettext_lazy("mots-clés"),
    "actors": gettext_lazy("acteurs"),
    "funding": gettext_lazy("financements"),
    "sources": gettext_lazy("sources"),
    "contacts": gettext_lazy("contacts"),
}


@dataclass
class ExperienceChange:
    title: str
    slug: str
    kind: str  # added, removed, modified
    fields: list[str] = field(default_factory=list)


@dataclass
class SnapshotChanges:
    experiences: list[ExperienceChange]
    study_fields: list[str]
    criteria_changed: bool
    order_changed: bool

    @property
    def any(self) -> bool:
        return bool(self.experiences or self.study_fields or self.criteria_changed or self.order_changed)


# Long texts are compared as text: a snapshot taken before the rich-text format holds plain
# text, and the same words in canonical HTML are no change for the reader.
_LONG_TEXTS = frozenset(
    {"context", "actions", "results", "vigilance_points", "analysis_note", "transferability", "client_vigilance"}
    | {"question", "scope", "method", "conclusions", "recommendations"}
)


def _differs(key: str, old, new) -> bool:
    if key in _LONG_TEXTS and isinstance(old, str) and isinstance(new, str):
        return to_text(old) != to_text(new)
    return old != new


def snapshot_changes(old: dict, new: dict) -> SnapshotChanges:
    """What differs between two report snapshots (experiences first)."""
    old_items = {i["experience"]["id"]: i for i in old.get("items", [])}
    new_items = {i["experience"]["id"]: i for i in new.get("items", [])}
    changes: list[ExperienceChange] = []
    for exp_id, item in new_items.items():
        exp = item["experience"]
        if exp_id not in old_items:
            changes.append(ExperienceChange(exp["title"], exp["slug"], "added"))
            continue
        before = old_items[exp_id]
        labels: list[str] = []
        if before["experience"].get("fingerprint") != exp.get("fingerprint"):
            for key, label in FIELD_LABELS.items():
                if _differs(key, before["experience"].get(key), exp.get(key)) and str(label) not in labels:
                    labels.append(str(label))
        for key, label in (
            ("analysis_note", _("note d'analyse")),
            ("transferability", _("ce qui est transposable")),
            ("client_vigilance", _("vigilance pour le client")),
            ("values", _("grille")),
        ):
            if _differs(key, before.get(key), item.get(key)):
                labels.append(str(label))
        if labels:
            changes.append(ExperienceChange(exp["title"], exp["slug"], "modified", labels))
    for exp_id, item in old_items.items():
        if exp_id not in new_items:
            exp = item["experience"]
            changes.append(ExperienceChange(exp["title"], exp["slug"], "removed"))
    study_labels = {
        "title": _("titre"),
        "question": _("problématique"),
        "scope": _("périmètre"),
        "method": _("méthode"),
        "conclusions": _("conclusions"),
        "recommendations": _("recommandations"),
        "include_contacts": _("contacts"),
    }
    old_study, new_study = old.get("study", {}), new.get("study", {})
    study_fields = [
        str(label) for key, label in study_labels.items() if _differs(key, old_study.get(key), new_study.get(key))
    ]
    common = [i for i in new_items if i in old_items]
    old_order = [i for i in old_items if i in new_items]
    return SnapshotChanges(
        experiences=changes,
        study_fields=study_fields,
        criteria_changed=old.get("criteria") != new.get("criteria"),
        order_changed=common != old_order,
    )


def report_changes_since_last(*, study: Study, viewer) -> tuple[ReportVersion | None, SnapshotChanges | None]:
    """The latest version the viewer may download and what changed in the study's data since."""
    last = ReportVersion.objects.visible_to(viewer).filter(study=study).order_by("-number").first()
    if last is None:
        return None, None
    return last, _visible_changes(
        snapshot_changes(last.snapshot, report_snapshot(study_id=study.pk, viewer=viewer)), viewer
    )


def version_changes(*, version: ReportVersion, viewer) -> tuple[ReportVersion | None, SnapshotChanges | None]:
    """What changed between a version and the one before it (experiences the viewer may read)."""
    previous = version.study.versions.filter(number__lt=version.number).order_by("-number").first()
    if previous is None:
        return None, None
    return previous, _visible_changes(snapshot_changes(previous.snapshot, version.snapshot), viewer)


def _visible_changes(changes: SnapshotChanges, viewer) -> SnapshotChanges:
    slugs = {c.slug for c in changes.experiences}
    readable = set(Experience.objects.visible_to(viewer).filter(slug__in=slugs).values_list("slug", flat=True))
    changes.experiences = [c for c in changes.experiences if c.slug in readable]
    return changes


# --- Side-by-side comparison ---------------------------------------------------------


def parse_ids(values: Iterable[str]) -> list[int]:
    """`?ids=3,5&ids=8` → [3, 5, 8] (order kept, duplicates and junk dropped)."""
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part.isdigit() and int(part) not in ids:
                ids.append(int(part))
    return ids


def comparison_experiences(*, viewer, ids: list[int]) -> list[dict]:
    """Snapshots of the visible experiences among `ids`, in the requested order (at most six)."""
    qs = experience_report_queryset(viewer=viewer, include_contacts=False).filter(pk__in=ids[:COMPARE_MAX])
    found = {e.pk: e for e in qs}
    regions = _region_departments(found.values())
    ordered = [found[i] for i in ids if i in found]
    return [experience_snapshot(e, include_contacts=False, region_departments=regions) for e in ordered]


def study_for_comparison(*, viewer, slug: str | None) -> Study | None:
    if not slug:
        return None
    return Study.objects.visible_to(viewer).filter(slug=slug).first()


def study_items_values(*, study: Study, experience_ids: list[int]) -> tuple[list[dict], dict[int, dict]]:
    """A study's criteria and, per experience id, its values (for the comparison grid)."""
    criteria = [{"id": c.pk, "name": c.name, "description": c.description} for c in study.criteria.all()]
    values: dict[int, dict] = {}
    for item in study.items.filter(experience_id__in=experience_ids).prefetch_related("criterion_values"):
        values[item.experience_id] = {str(v.criterion_id): v.value for v in item.criterion_values.all()}
    return criteria, values

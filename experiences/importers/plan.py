"""Planning: each row becomes what it would write (fields, relations), checked, and compared
with the fiche it updates; nothing is written here."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from territories.models import normalize_name

from ..columns import FIELD_OF
from ..content import CONTENT_ATTNAMES
from ..models import Experience, Source
from .parse import KINDS, CellError, parse_field, split_list, text
from .report import ImportReport
from .resolve import Context, other_territory_parts

BATCH = 1_000
_SEPARATELY = ("reference", "client")  # columns planned by their own step


@dataclass
class RowPlan:
    number: int
    reference: str
    slug: str = ""  # from the `url` column of an export: designates the fiche when `reference` is empty
    fields: dict[str, Any] = field(default_factory=dict)  # attname → value, only for columns present
    themes: set[int] | None = None
    tags: list[str] | None = None
    territories: set[int] | None = None
    source: tuple[str, str] | None = None
    existing: Experience | None = None
    experience: Experience | None = None
    changed: bool = True
    valid: bool = True


class _Row:
    """One row being planned: its values, the columns present, and where its errors go."""

    def __init__(self, number: int, values: dict[str, Any], present: set[str], report: ImportReport):
        self.number, self.values, self.present, self.report = number, values, present, report

    def error(self, column: str, message: str) -> None:
        self.report.add_error(self.number, column, message)

    def text(self, column: str) -> str:
        return text(self.values.get(column))


def plan_row(number: int, values: dict[str, Any], present: set[str], ctx: Context, report: ImportReport):
    """The plan of one row, or None when the row has an error (reported)."""
    errors_before = report.error_count
    row = _Row(number, values, present, report)
    plan = _plan_reference(row)
    if plan is None:
        return None
    _plan_fields(row, plan)
    for step in (_plan_client, _plan_lead_territory, _plan_other_territories, _plan_themes, _plan_tags, _plan_source):
        step(row, plan, ctx)
    _check_period(row, plan)
    return plan if report.error_count == errors_before else None


def _plan_reference(row: _Row) -> RowPlan | None:
    try:
        reference = row.text("reference")
        address = row.text("url")
    except CellError as exc:
        row.error("reference", str(exc))
        return None
    slug = unquote(urlsplit(address).path.rstrip("/").rsplit("/", 1)[-1]) if address else ""
    plan = RowPlan(number=row.number, reference=reference, slug=slug)
    if len(reference) > 100:
        row.error("reference", _("référence trop longue (100 caractères au plus)"))
    elif reference:
        plan.fields["external_ref"] = reference
    elif not slug:
        row.error("reference", _("référence manquante : chaque ligne a besoin d'un identifiant stable"))
    return plan


def _plan_fields(row: _Row, plan: RowPlan) -> None:
    for column, name in FIELD_OF.items():
        if column not in row.present or column in _SEPARATELY:
            continue
        try:
            value = parse_field(column, row.values.get(column))
            if column in ("titre", "resume") and not value:
                raise CellError(_("valeur obligatoire manquante"))
            plan.fields[Experience._meta.get_field(name).attname] = value
        except CellError as exc:
            row.error(column, str(exc))


def _plan_client(row: _Row, plan: RowPlan, ctx: Context) -> None:
    if "client" not in row.present:
        return
    name = row.text("client")
    try:
        plan.fields["client_organisation_id"] = ctx.client_or_error(name) if name else None
    except CellError as exc:
        row.error("client", str(exc))


def _plan_lead_territory(row: _Row, plan: RowPlan, ctx: Context) -> None:
    if not row.present & {"territoire_code", "territoire_nom"}:
        return
    try:
        kind_text = row.text("territoire_type")
        kind = KINDS.get(normalize_name(kind_text).replace(" ", "")) if kind_text else None
        if kind_text and kind is None:
            row.error("territoire_type", _("type de territoire inconnu « %(v)s »") % {"v": kind_text})
        country = row.text("territoire_pays").upper() or None
        code, name = row.text("territoire_code"), row.text("territoire_nom")
        if code:
            plan.fields["lead_territory_id"] = ctx.territories.by_code_or_error(code, kind, country).pk
        elif name:
            try:
                plan.fields["lead_territory_id"] = ctx.territories.by_name_or_error(name, kind, country).pk
            except CellError as exc:
                row.error("territoire_nom", str(exc))
        else:
            row.error(
                "territoire_code", _("territoire porteur manquant : renseignez territoire_code ou territoire_nom")
            )
    except CellError as exc:
        row.error("territoire_code", str(exc))


def _plan_other_territories(row: _Row, plan: RowPlan, ctx: Context) -> None:
    if "autres_territoires" not in row.present:
        return
    plan.territories = set()
    try:
        default_country = row.text("territoire_pays").upper() or None
        items = split_list(row.values.get("autres_territoires"))
    except CellError as exc:
        row.error("autres_territoires", str(exc))
        return
    for item in items:
        country, kind, code = other_territory_parts(item, default_country)
        try:
            plan.territories.add(ctx.territories.by_code_or_error(code, kind, country).pk)
        except CellError as exc:
            row.error("autres_territoires", str(exc))


def _plan_themes(row: _Row, plan: RowPlan, ctx: Context) -> None:
    if "themes" not in row.present:
        return
    plan.themes = set()
    try:
        labels = split_list(row.values.get("themes"))
    except CellError as exc:
        row.error("themes", str(exc))
        return
    for label in labels:
        try:
            plan.themes.add(ctx.themes.resolve(label))
        except CellError as exc:
            row.error("themes", str(exc))


def _plan_tags(row: _Row, plan: RowPlan, _ctx: Context) -> None:
    if "mots_cles" not in row.present:
        return
    seen: dict[str, str] = {}
    try:
        names = split_list(row.values.get("mots_cles"))
    except CellError as exc:
        row.error("mots_cles", str(exc))
        return
    for name in names:
        if len(name) > 80:
            row.error("mots_cles", _("mot-clé trop long (80 caractères au plus) : « %(v)s… »") % {"v": name[:30]})
            continue
        seen.setdefault(name.lower(), name)
    plan.tags = list(seen.values())


def _plan_source(row: _Row, plan: RowPlan, _ctx: Context) -> None:
    if not row.present & {"source_titre", "source_url"}:
        return
    try:
        title, url = row.text("source_titre"), row.text("source_url")
    except CellError as exc:
        row.error("source_titre", str(exc))
        return
    if url:
        try:
            # The model's own rule: what the fiche form accepts, the import accepts.
            Source._meta.get_field("url").run_validators(url)
            if len(url) > 500:
                raise ValidationError("")
        except ValidationError:
            row.error(
                "source_url", _("adresse invalide « %(v)s » : elle doit commencer par https://") % {"v": url[:80]}
            )
    if len(title) > 300:
        row.error("source_titre", _("titre de source trop long (300 caractères au plus)"))
    if title or url:
        plan.source = (title or url, url)


def _check_period(row: _Row, plan: RowPlan) -> None:
    start, end = plan.fields.get("period_start"), plan.fields.get("period_end")
    if start and end and end < start:
        row.error(
            "fin",
            _("la fin (%(end)s) précède le début (%(start)s)") % {"end": end.isoformat(), "start": start.isoformat()},
        )


# --- Comparing with what is stored ---------------------------------------------------------------


def model_check(plan: RowPlan, experience: Experience, report: ImportReport) -> bool:
    """The model's own field validation (lengths, choices), mapped back to columns.

    Uniqueness and check constraints are verified for the whole batch at once
    (one query per thousand rows) instead of the several queries per row that
    `full_clean()` would run; foreign keys were resolved against the database.
    """
    errors_before = report.error_count
    column_of = {Experience._meta.get_field(name).name: column for column, name in FIELD_OF.items()}
    column_of["lead_territory"] = "territoire_code"
    try:
        experience.clean_fields(exclude=["slug", "lead_territory", "client_organisation", "author", "external_ref"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            for message in messages:
                report.add_error(plan.number, column_of.get(name, name), message)
    if experience.visibility == Experience.Visibility.CONFIDENTIAL and experience.client_organisation_id is None:
        report.add_error(plan.number, "client", _("une fiche confidentielle doit avoir un client"))
    if experience.lead_territory_id is None:
        report.add_error(
            plan.number,
            "territoire_code",
            _("territoire porteur manquant : renseignez territoire_code ou territoire_nom"),
        )
    return report.error_count == errors_before


@dataclass
class Current:
    """What the fiches a file updates hold today: relations and sources, a few queries for all."""

    themes: dict[int, set[int]]
    territories: dict[int, set[int]]
    tags: dict[int, set[str]]
    sources: dict[int, list[tuple[str, str]]]

    @classmethod
    def load(cls, experiences) -> Current:
        ids = [e.pk for e in experiences]
        return cls(
            themes=_m2m(ids, "themes", "theme_id"),
            territories=_m2m(ids, "territories", "territory_id"),
            tags=_pairs(Experience.tags.through.objects, ids, "tag__name", lower=True),
            sources=_sources(ids),
        )

    def changed(self, plan: RowPlan, before: dict[str, Any], experience: Experience) -> bool:
        pk = experience.pk
        return (
            before != {name: getattr(experience, name) for name in CONTENT_ATTNAMES}
            or (plan.themes is not None and plan.themes != self.themes.get(pk, set()))
            or (plan.territories is not None and plan.territories != self.territories.get(pk, set()))
            or (plan.tags is not None and {t.lower() for t in plan.tags} != self.tags.get(pk, set()))
            or (plan.source is not None and not has_source(self.sources.get(pk, []), plan.source))
        )


def _m2m(ids: list[int], name: str, attname: str) -> dict[int, set[int]]:
    return _pairs(getattr(Experience, name).through.objects, ids, attname)


def _pairs(manager, ids: list[int], attname: str, *, lower: bool = False) -> dict:
    result: dict[int, set] = defaultdict(set)
    if ids:
        for exp_id, target in manager.filter(experience_id__in=ids).values_list("experience_id", attname):
            result[exp_id].add(target.lower() if lower else target)
    return result


def _sources(ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    result: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if ids:
        for exp_id, title, url in Source.objects.filter(experience_id__in=ids).values_list(
            "experience_id", "title", "url"
        ):
            result[exp_id].append((title, url))
    return result


def has_source(sources: list[tuple[str, str]], source: tuple[str, str]) -> bool:
    title, url = source
    return any((url and u == url) or (not url and t == title) for t, u in sources)


def find_existing(plans: list[RowPlan], by, report: ImportReport, *, lock: bool) -> dict[int, Experience]:
    """The fiche each row updates (by reference, else by the address an export wrote), keyed by row number.

    A row whose reference is unknown but whose address designates a fiche without a
    reference updates that fiche (and gives it the reference). Fiches `by` may not
    edit are errors.
    """
    queryset = Experience.objects.select_for_update() if lock else Experience.objects.all()
    by_ref = _in_batches(queryset, "external_ref", [p.reference for p in plans if p.reference])
    by_slug = _in_batches(queryset, "slug", [p.slug for p in plans if p.slug and p.reference not in by_ref])
    found: dict[int, Experience] = {}
    for plan in plans:
        experience = by_ref.get(plan.reference) if plan.reference else None
        candidate = by_slug.get(plan.slug) if experience is None else None
        if candidate is not None and candidate.external_ref in (None, "", plan.reference):
            experience = candidate
        if experience is not None:
            found[plan.number] = experience
        elif not plan.reference:
            report.add_error(
                plan.number, "url", _("aucune fiche à cette adresse : indiquez une référence pour la créer")
            )
    return _editable_only(found, by, report)


def _in_batches(queryset, field: str, values: list[str]) -> dict[str, Experience]:
    found: dict[str, Experience] = {}
    for start in range(0, len(values), BATCH * 5):
        chunk = values[start : start + BATCH * 5]
        found.update({getattr(e, field): e for e in queryset.filter(**{f"{field}__in": chunk})})
    return found


def _editable_only(found: dict[int, Experience], by, report: ImportReport) -> dict[int, Experience]:
    if not found or by is None:
        return found
    editable = set(
        Experience.objects.visible_to(by).filter(pk__in=[e.pk for e in found.values()]).values_list("pk", flat=True)
    )
    for number, experience in list(found.items()):
        if experience.pk not in editable:
            report.add_error(
                number,
                "reference",
                _("la référence « %(ref)s » appartient à une fiche que vous ne pouvez pas modifier")
                % {"ref": experience.external_ref or experience.slug},
            )
            del found[number]
    return found

"""Loads the French demo content shipped in benchmark_portal/demo/*.json.

Idempotent: every record has a stable reference (experience external_ref,
study/partnership/organisation slug); what already exists is skipped.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from accounts.roles import ROLE_GROUPS, Role
from core.fields import clean_rich_text
from experiences.models import (
    Contact,
    Experience,
    ExperienceOrganisation,
    FundingLine,
    Organisation,
    Source,
    Tag,
    Theme,
)
from partnerships.models import Deliverable, Milestone, Partnership, PartnershipFunding, PartnershipParty
from studies.models import Criterion, CriterionValue, Study, StudyExperience
from territories.models import Territory

DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_PASSWORD = "periscope-demo"  # noqa: S105 - documented demo credential, local use only

DEMO_ACCOUNTS = [
    # username, role, first name, last name, organisation slug, reference territory (country, kind, code)
    ("visiteur", Role.VISITOR, "Victor", "Visiteur", None, None),
    ("membre", Role.MEMBER, "Maëlle", "Membre", "commune-de-bourganeuf", ("FR", "commune", "23030")),
    ("consultant", Role.CONSULTANT, "Camille", "Consultante", "consortium-consultants", None),
    ("equipe", Role.STAFF, "Élise", "Équipe", "consortium-consultants", None),
]


class DemoDataError(Exception):
    """The demo files reference something that does not exist."""


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, created: bool) -> None:
        bucket = self.created if created else self.skipped
        bucket[kind] = bucket.get(kind, 0) + 1


def _read(name: str):
    return json.loads((DEMO_DIR / f"{name}.json").read_text(encoding="utf-8"))


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


class DemoLoader:
    def __init__(self) -> None:
        self.report = LoadReport()
        self._territories: dict[tuple[str, str, str], Territory] = {}
        self._orgs: dict[str, Organisation] = {}

    # --- references ---------------------------------------------------
    def territory(self, ref: dict | None) -> Territory | None:
        if not ref:
            return None
        key = (ref["country"], ref["kind"], ref["code"])
        if key in self._territories:
            return self._territories[key]
        territory = Territory.objects.filter(country=key[0], kind=key[1], code=key[2]).first()
        if territory is None:
            if ref["kind"] != "other" and ref["country"] in ("FR", "BE"):
                raise DemoDataError(f"Unknown territory {key}: run `manage.py import_territories` first.")
            country = self._country(ref["country"])
            territory = Territory(
                kind=ref["kind"],
                country=ref["country"],
                code=ref["code"],
                name=ref.get("name") or ref["code"],
                slug=slugify(f"{ref.get('name') or ref['code']}-{ref['code']}"),
                parent=country,
                population=ref.get("population"),
                latitude=ref.get("latitude"),
                longitude=ref.get("longitude"),
            )
            territory.full_clean()
            territory.save()
            self.report.add("territories", True)
        self._territories[key] = territory
        return territory

    def _country(self, code: str) -> Territory:
        names = {
            "BF": "Burkina Faso",
            "IT": "Italie",
            "GR": "Grèce",
            "ML": "Mali",
            "SN": "Sénégal",
            "ES": "Espagne",
            "DE": "Allemagne",
            "PT": "Portugal",
            "MA": "Maroc",
            "TN": "Tunisie",
            "CA": "Canada",
        }
        country, created = Territory.objects.get_or_create(
            country=code,
            kind="country",
            code=code,
            defaults={"name": names.get(code, code), "slug": slugify(f"pays-{names.get(code, code)}")},
        )
        self.report.add("territories", created)
        return country

    def org(self, slug: str | None) -> Organisation | None:
        if not slug:
            return None
        if slug not in self._orgs:
            try:
                self._orgs[slug] = Organisation.objects.get(slug=slug)
            except Organisation.DoesNotExist as exc:
                raise DemoDataError(f"Unknown organisation slug {slug!r} in demo data") from exc
        return self._orgs[slug]

    # --- sections -----------------------------------------------------
    def load_themes(self) -> None:
        def walk(nodes, parent, depth=0):
            for position, node in enumerate(nodes):
                theme, created = Theme.objects.get_or_create(
                    slug=node["slug"],
                    defaults={
                        "name": node["name"],
                        "name_en": node.get("name_en", ""),
                        "synonyms": node.get("synonyms", []),
                        "parent": parent,
                        "position": position,
                    },
                )
                self.report.add("themes", created)
                walk(node.get("children", []), theme, depth + 1)

        walk(_read("themes"), None)

    def load_organisations(self) -> None:
        for row in _read("organisations"):
            if Organisation.objects.filter(slug=row["slug"]).exists():
                self.report.add("organisations", False)
                continue
            org = Organisation(
                slug=row["slug"],
                name=row["name"],
                kind=row["kind"],
                country=row.get("country", "FR"),
                territory=self.territory(row.get("territory")),
                website=row.get("website", ""),
                description=row.get("description", ""),
            )
            clean_rich_text(org)
            org.full_clean()
            org.save()
            self.report.add("organisations", True)

    def load_accounts(self) -> None:
        for username, role, first, last, org_slug, territory_ref in DEMO_ACCOUNTS:
            user = User.objects.filter(username=username).first()
            if user:
                self.report.add("accounts", False)
                continue
            user = User(
                username=username,
                email=f"{username}@demo.periscope.fr",
                first_name=first,
                last_name=last,
                organisation=self.org(org_slug),
                reference_territory=self.territory(dict(zip(("country", "kind", "code"), territory_ref, strict=True)))
                if territory_ref
                else None,
                is_staff=role == Role.STAFF,
                is_superuser=role == Role.STAFF,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            if role != Role.VISITOR:
                group, _ = Group.objects.get_or_create(name=ROLE_GROUPS[role])
                user.groups.add(group)
            self.report.add("accounts", True)

    def load_experiences(self) -> None:
        author = User.objects.filter(username="consultant").first()
        themes = {t.slug: t for t in Theme.objects.all()}
        for row in _read("experiences"):
            if Experience.objects.filter(external_ref=row["ref"]).exists():
                self.report.add("experiences", False)
                continue
            status = row.get("status", "published")
            published_at = None
            if status in ("published", "archived"):
                start = _date(row.get("period_start")) or datetime.date(2020, 1, 1)
                published_at = timezone.make_aware(
                    datetime.datetime.combine(
                        min(start + datetime.timedelta(days=400), datetime.date(2026, 11, 1)), datetime.time(9)
                    )
                )
            exp = Experience(
                external_ref=row["ref"],
                slug=slugify(row["title"])[:240] + "-" + row["ref"].split("-")[-1],
                title=row["title"],
                title_en=row.get("title_en", ""),
                summary=row["summary"],
                summary_en=row.get("summary_en", ""),
                context=row.get("context", ""),
                actions=row.get("actions", ""),
                results=row.get("results", ""),
                vigilance_points=row.get("vigilance_points", ""),
                period_start=_date(row.get("period_start")),
                period_end=_date(row.get("period_end")),
                project_status=row.get("project_status", "ongoing"),
                budget_amount=Decimal(str(row["budget_amount"])) if row.get("budget_amount") is not None else None,
                currency=row.get("currency", "EUR"),
                lead_territory=self.territory(row["lead_territory"]),
                status=status,
                visibility=row.get("visibility", "public"),
                client_organisation=self.org(row.get("client_organisation")),
                author=author,
                published_at=published_at,
                language="fr",
            )
            clean_rich_text(exp)  # the demo texts are plain text: the one format, like every write
            exp.full_clean()
            exp.save()
            exp.territories.set([self.territory(t) for t in row.get("other_territories", [])])
            missing = [s for s in row.get("themes", []) if s not in themes]
            if missing:
                raise DemoDataError(f"{row['ref']}: unknown themes {missing}")
            exp.themes.set([themes[s] for s in row.get("themes", [])])
            tags = []
            for name in row.get("tags", []):
                tag, _ = Tag.objects.get_or_create(slug=slugify(name), defaults={"name": name})
                tags.append(tag)
            exp.tags.set(tags)
            for link in row.get("organisations", []):
                ExperienceOrganisation.objects.get_or_create(
                    experience=exp, organisation=self.org(link["organisation"]), role=link.get("role", "partner")
                )
            for line in row.get("funding", []):
                FundingLine.objects.create(
                    experience=exp,
                    funder=self.org(line.get("funder")),
                    label=line.get("label", ""),
                    amount=Decimal(str(line["amount"])),
                    year=line.get("year"),
                )
            for contact in row.get("contacts", []):
                Contact.objects.create(
                    experience=exp,
                    name=contact["name"],
                    role=contact.get("role", ""),
                    email=contact.get("email", ""),
                    phone=contact.get("phone", ""),
                    organisation=self.org(contact.get("organisation")),
                )
            for source in row.get("sources", []):
                Source.objects.create(
                    experience=exp,
                    title=source["title"],
                    url=source.get("url", ""),
                    publisher=source.get("publisher", ""),
                )
            self.report.add("experiences", True)

    def _experience(self, ref: str) -> Experience:
        try:
            return Experience.objects.get(external_ref=ref)
        except Experience.DoesNotExist as exc:
            raise DemoDataError(f"Unknown experience ref {ref!r}") from exc

    def load_studies(self) -> None:
        lead = User.objects.filter(username="equipe").first()
        team = list(User.objects.filter(username__in=["equipe", "consultant"]))
        for row in _read("studies"):
            slug = slugify(row["title"])[:250]
            if Study.objects.filter(slug=slug).exists():
                self.report.add("studies", False)
                continue
            study = Study(
                slug=slug,
                title=row["title"],
                client_organisation=self.org(row["client_organisation"]),
                client_territory=self.territory(row.get("client_territory")),
                question=row["question"],
                scope=row.get("scope", ""),
                method=row.get("method", ""),
                status=row.get("status", "in_progress"),
                deadline=_date(row.get("deadline")),
                conclusions=row.get("conclusions", ""),
                recommendations=row.get("recommendations", ""),
                lead=lead,
            )
            clean_rich_text(study)
            study.full_clean()
            study.save()
            study.team.set(team)
            items = {}
            for position, item in enumerate(row.get("experiences", []), start=1):
                items[item["ref"]] = study_item = StudyExperience(
                    study=study,
                    experience=self._experience(item["ref"]),
                    position=position,
                    analysis_note=item.get("analysis_note", ""),
                )
                clean_rich_text(study_item)
                study_item.save()
            for position, crit in enumerate(row.get("criteria", []), start=1):
                criterion = Criterion.objects.create(
                    study=study, name=crit["name"], description=crit.get("description", ""), position=position
                )
                for ref, value in crit.get("values", {}).items():
                    if ref in items:
                        CriterionValue.objects.create(criterion=criterion, item=items[ref], value=value)
            self.report.add("studies", True)

    def load_partnerships(self) -> None:
        studies = {}
        for row in _read("studies"):
            studies[row["ref"]] = slugify(row["title"])[:250]
        for row in _read("partnerships"):
            slug = slugify(row["title"])[:250]
            if Partnership.objects.filter(slug=slug).exists():
                self.report.add("partnerships", False)
                continue
            partnership = Partnership(
                slug=slug,
                title=row["title"],
                kind=row["kind"],
                description=row.get("description", ""),
                start_date=_date(row["start_date"]),
                end_date=_date(row.get("end_date")),
                visibility=row.get("visibility", "public"),
                currency=row.get("currency", "EUR"),
                notes=row.get("notes", ""),
            )
            clean_rich_text(partnership)
            partnership.full_clean()
            partnership.save()
            partnership.territories.set([self.territory(t) for t in row.get("territories", [])])
            for party in row.get("parties", []):
                PartnershipParty.objects.get_or_create(
                    partnership=partnership,
                    organisation=self.org(party["organisation"]),
                    role=party.get("role", "partner"),
                )
            for line in row.get("funding", []):
                PartnershipFunding.objects.create(
                    partnership=partnership,
                    funder=self.org(line["funder"]),
                    year=line["year"],
                    amount=Decimal(str(line["amount"])),
                    currency=row.get("currency", "EUR"),
                )
            for item in row.get("deliverables", []):
                status = item.get("status", "planned")
                due = _date(item["due_date"])
                Deliverable.objects.create(
                    partnership=partnership,
                    title=item["title"],
                    due_date=due,
                    status=status,
                    delivered_on=due if status == "delivered" else None,
                )
            for milestone in row.get("milestones", []):
                Milestone.objects.create(
                    partnership=partnership, date=_date(milestone["date"]), title=milestone["title"]
                )
            partnership.studies.set(
                Study.objects.filter(slug__in=[studies[r] for r in row.get("studies", []) if r in studies])
            )
            partnership.experiences.set(Experience.objects.filter(external_ref__in=row.get("experiences", [])))
            self.report.add("partnerships", True)

    @transaction.atomic
    def run(self) -> LoadReport:
        self.load_themes()
        self.load_organisations()
        self.load_accounts()
        self.load_experiences()
        self.load_studies()
        self.load_partnerships()
        _refresh_search(Experience.objects.values_list("pk", flat=True))
        return self.report


def _refresh_search(ids) -> None:
    """Completeness and search columns of the fiches written here, in one pass."""
    from experiences.services import refresh_derived_fields

    refresh_derived_fields(list(ids))


def load_demo() -> LoadReport:
    return DemoLoader().run()

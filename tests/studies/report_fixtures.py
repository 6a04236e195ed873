"""30-fiche studies for the report layout tests: from the demo fiches, and from fiches
written through the editor (its HTML: paragraphs, lists, bold, links)."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from itertools import cycle, islice

from accounts.roles import Role
from benchmark_portal.demo_loader import DEMO_DIR
from core.richtext import sanitize
from experiences.models import FundingLine, Source
from tests.factories import CriterionFactory, ExperienceFactory, StudyFactory, TerritoryFactory, UserFactory

LONG_TEXTS = ("context", "actions", "results", "vigilance_points")


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def _territory(ref: dict, names: dict):
    key = (ref["country"], ref["kind"], ref["code"])
    if key not in names:
        kind = ref["kind"] if ref["kind"] in ("commune", "epci", "department", "region", "province") else "commune"
        names[key] = TerritoryFactory(
            country=ref["country"],
            kind=kind,
            code=f"{ref['code']}"[:10],
            name=ref.get("name") or f"Territoire {ref['code']}",
            slug=f"t-{ref['country']}-{kind}-{ref['code']}".lower(),
            population=ref.get("population") or 4200,
        )
    return names[key]


def _study(staff, title: str, criteria=("Budget", "Portage", "Public visé")):
    study = StudyFactory(
        title=title,
        question="<p>Comment ouvrir un tiers-lieu rural <strong>qui dure</strong> ?</p>",
        conclusions="<p>Trois conditions reviennent dans les fiches.</p><ul><li>Un portage local</li>"
        "<li>Un modèle économique mixte</li><li>Une programmation ouverte</li></ul>",
        recommendations="<ol><li>Commencer petit.</li><li>Associer les usagers.</li></ol>",
        lead=staff,
    )
    study.team.set([staff])
    return study, [CriterionFactory(study=study, name=name) for name in criteria]


def demo_study(n: int = 30):
    """A study of `n` fiches made from the shipped demo fiches (cycled), with their
    English titles and summaries, funding lines, sources and other territories."""
    staff = UserFactory(role=Role.STAFF, first_name="Claire", last_name="Dumas")
    study, criteria = _study(staff, "Tiers-lieux ruraux : trente expériences")
    rows = json.loads((DEMO_DIR / "experiences.json").read_text(encoding="utf-8"))
    names: dict = {}
    for position, row in enumerate(islice(cycle(rows), n), start=1):
        experience = ExperienceFactory(
            title=row["title"],
            title_en=row.get("title_en", ""),
            summary=row["summary"],
            summary_en=row.get("summary_en", ""),
            lead_territory=_territory(row["lead_territory"], names),
            period_start=_date(row["period_start"]),
            period_end=_date(row["period_end"]),
            project_status=row["project_status"],
            budget_amount=Decimal(str(row["budget_amount"])) if row["budget_amount"] else None,
            **{field: sanitize(row[field] or "") for field in LONG_TEXTS},
        )
        experience.territories.set([_territory(ref, names) for ref in row["other_territories"]])
        for line in row["funding"]:
            FundingLine.objects.create(
                experience=experience,
                label=line.get("label", ""),
                amount=Decimal(str(line["amount"])),
                year=line.get("year"),
            )
        for source in row["sources"]:
            Source.objects.create(
                experience=experience,
                title=source["title"],
                url=source.get("url", ""),
                publisher=source.get("publisher", ""),
                published_on=_date(source.get("published_on")),
            )
        item = study.items.create(
            experience=experience, position=position, analysis_note="<p>Cas proche du client.</p>"
        )
        for criterion in criteria:
            criterion.values.create(item=item, value=f"{criterion.name} {position}")
    return study, staff


EDITOR_TEXT = (
    "<p>Le bâtiment de l'ancienne <strong>gare</strong> était vide depuis dix ans ; la commune l'a racheté "
    'avec l\'aide de la <a href="https://www.banquedesterritoires.fr/">Banque des Territoires</a>.</p>'
    "<ul><li>Diagnostic des usages avec les habitants</li><li>Comité de préfiguration <em>ouvert</em></li>"
    "<li>Ouverture test de six mois</li></ul>"
    "<p>Une vingtaine d'usagers réguliers la première année, puis <strong>quarante</strong>.</p>"
)


def editor_study(n: int = 30):
    """A study of `n` fiches whose long texts are the editor's HTML, of growing length
    (some fiches run over two pages), in French and Belgian territories."""
    staff = UserFactory(role=Role.STAFF, first_name="Claire", last_name="Dumas")
    study, criteria = _study(staff, "Gares et tiers-lieux : fiches de l'éditeur")
    for position in range(1, n + 1):
        territory = TerritoryFactory(
            country="BE" if position % 3 == 0 else "FR",
            name=f"Commune éditée {position}",
            slug=f"commune-editee-{position}",
        )
        experience = ExperienceFactory(
            title=f"Gare {position} : un tiers-lieu écrit dans l'éditeur",
            title_en=f"Station {position}: a third place written in the editor" if position % 2 else "",
            summary="Une gare rachetée par la commune et ouverte aux habitants.",
            lead_territory=territory,
            budget_amount=Decimal(25000 * position),
            project_status="ongoing" if position % 2 else "abandoned",
            context=sanitize(EDITOR_TEXT * (1 + position % 4)),
            actions=sanitize("<ol><li>Racheter le bâtiment</li><li>Réunir les <strong>usagers</strong></li></ol>"),
            results=sanitize(EDITOR_TEXT * (position % 3)),
            vigilance_points=sanitize("<p>Le modèle économique reste <em>fragile</em>.</p>"),
        )
        experience.territories.set([TerritoryFactory(name=f"CC voisine {position}", slug=f"cc-voisine-{position}")])
        FundingLine.objects.create(experience=experience, label="DETR", amount=Decimal(10000 * position), year=2023)
        Source.objects.create(experience=experience, title=f"Délibération du conseil municipal n° {position}")
        item = study.items.create(experience=experience, position=position, transferability="<p>Oui.</p>")
        for criterion in criteria:
            criterion.values.create(item=item, value=f"=SUM(A{position})" if criterion.name == "Budget" else "oui")
    return study, staff

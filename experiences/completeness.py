"""How complete a fiche is: one list of criteria, used both to store the score
(`Experience.completeness`, which filters can use) and to tell what is missing.

Each criterion is a SQL condition, so that the score of thousands of fiches is
refreshed by one UPDATE after a bulk import, and the "what is missing" panel
of one fiche is one SELECT.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import BooleanField, Case, Exists, ExpressionWrapper, IntegerField, OuterRef, Q, Value, When
from django.db.models.functions import Round
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Contact, Experience, ExperienceOrganisation, FundingLine, Source


@dataclass(frozen=True)
class Criterion:
    key: str
    missing_label: Promise  # what the panel says when the criterion is not met
    weight: int


def _exists(model) -> Exists:
    return Exists(model.objects.filter(experience_id=OuterRef("pk")))


# The four named in the product brief (results, vigilance, source, budget) weigh
# twice as much as the others: without them a fiche teaches nothing.
CRITERIA: tuple[Criterion, ...] = (
    Criterion("results", _("pas encore de résultats"), 2),
    Criterion("vigilance_points", _("pas de points de vigilance"), 2),
    Criterion("sources", _("aucune source"), 2),
    Criterion("budget", _("pas de budget"), 2),
    Criterion("context", _("pas de contexte"), 1),
    Criterion("actions", _("pas d'actions décrites"), 1),
    Criterion("themes", _("aucun thème du thésaurus"), 1),
    Criterion("period", _("pas de date de début"), 1),
    Criterion("actors", _("aucun acteur"), 1),
    Criterion("contacts", _("aucun contact"), 1),
    # Said for public French fiches, but weighing nothing: a fiche is complete in French, and
    # the stored scores (and the filters on them) stay what they were.
    Criterion("english", _("pas de titre et de résumé en anglais"), 0),
)
TOTAL_WEIGHT = sum(c.weight for c in CRITERIA)


def _condition(key: str):
    """The SQL condition that is true when the criterion is met."""
    match key:
        case "results" | "vigilance_points" | "context" | "actions":
            return ~Q(**{key: ""})
        case "sources":
            return _exists(Source)
        case "budget":
            return Q(budget_amount__isnull=False) | _exists(FundingLine)
        case "themes":
            return Exists(Experience.themes.through.objects.filter(experience_id=OuterRef("pk")))
        case "period":
            return Q(period_start__isnull=False)
        case "actors":
            return _exists(ExperienceOrganisation)
        case "contacts":
            return _exists(Contact)
        case "english":
            return (
                ~Q(visibility=Experience.Visibility.PUBLIC) | ~Q(language="fr") | (~Q(title_en="") & ~Q(summary_en=""))
            )
    raise ValueError(key)


def score_expression():
    """Score 0–100 as one SQL expression over an Experience row."""
    total = sum(
        (
            Case(When(_condition(c.key), then=Value(c.weight)), default=Value(0), output_field=IntegerField())
            for c in CRITERIA
        ),
        start=Value(0),
    )
    return Round(total * 100.0 / TOTAL_WEIGHT, output_field=IntegerField())


def refresh_completeness(experience_ids: Iterable[int]) -> int:
    """Recompute and store the score of these fiches (one UPDATE). Returns rows updated."""
    ids = list(experience_ids)
    if not ids:
        return 0
    return Experience.objects.filter(pk__in=ids).update(completeness=score_expression())


@dataclass(frozen=True)
class CompletenessReport:
    score: int
    missing: list[str]

    @property
    def level(self) -> str:
        """A word for styling: 'low' under 50, 'medium' under 80, else 'high'."""
        return "low" if self.score < 50 else "medium" if self.score < 80 else "high"


def with_completeness_flags(queryset):
    """Annotate each fiche with one boolean per criterion (for lists: no query per row)."""
    return queryset.annotate(
        **{f"ok_{c.key}": ExpressionWrapper(_condition(c.key), output_field=BooleanField()) for c in CRITERIA}
    )


def missing_from_flags(experience: Experience) -> list[str]:
    """What is missing, read from the flags that `with_completeness_flags` added."""
    return [str(c.missing_label) for c in CRITERIA if not getattr(experience, f"ok_{c.key}", True)]


def completeness_report(experience: Experience) -> CompletenessReport:
    """Score and the list of what is missing, for one fiche (one query)."""
    flags = (
        Experience.objects.filter(pk=experience.pk)
        .values(**{f"ok_{c.key}": ExpressionWrapper(_condition(c.key), output_field=BooleanField()) for c in CRITERIA})
        .get()
    )
    met = sum(c.weight for c in CRITERIA if flags[f"ok_{c.key}"])
    return CompletenessReport(
        score=round(met * 100 / TOTAL_WEIGHT),
        missing=[str(c.missing_label) for c in CRITERIA if not flags[f"ok_{c.key}"]],
    )

"""A study with fiches and a criterion, ready for a report (worker and layout tests)."""

from accounts.roles import Role
from tests.factories import CriterionFactory, ExperienceFactory, StudyFactory, UserFactory


def make_study(*, titles: list[str], study_title: str = "Étude de test", team=(), growth: int = 0):
    """A staff member and a study of one fiche per title; `growth` makes each fiche
    longer than the one before (some then run over two pages)."""
    staff = UserFactory(role=Role.STAFF)
    study = StudyFactory(title=study_title, question="Comment ouvrir un tiers-lieu rural ?")
    study.team.set(team)
    for position, title in enumerate(titles, start=1):
        experience = ExperienceFactory(
            title=title,
            context="Le bâtiment était vide depuis dix ans. " * (12 + growth * position),
            actions="- Diagnostic des usages\n- Comité de préfiguration\n- Ouverture test",
            results="Une vingtaine d'usagers réguliers. " * (8 + growth * position),
            vigilance_points="Le modèle économique reste fragile. " * 4,
            budget_amount=250000,
        )
        study.items.create(experience=experience, position=position, analysis_note="Cas proche du client.")
    criterion = CriterionFactory(study=study, name="Budget")
    for item in study.items.all():
        criterion.values.create(item=item, value="250 000 €")
    return study, staff

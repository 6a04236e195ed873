from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from experiences.models import Experience
from experiences.semantic import availability, jobs, schema


class Command(BaseCommand):
    @property
    def help(self) -> str:  # a property: argparse cannot format lazy strings
        return _(
            "Calcule les vecteurs de recherche sémantique des fiches. Sans option : les fiches sans vecteur "
            "ou modifiées depuis. Idempotent : une fiche dont le texte n'a pas changé n'est pas recalculée."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            help=_("Vérifier toutes les fiches (seules celles qui ont changé sont recalculées)."),
        )
        parser.add_argument("--force", action="store_true", help=_("Recalculer même les vecteurs à jour."))
        parser.add_argument(
            "--batch", type=int, default=jobs.EMBED_BATCH, help=_("Fiches par appel du modèle (défaut : %(default)s).")
        )

    def handle(self, *_args, all: bool, force: bool, batch: int, **_options):
        if not availability.enabled():
            self.stdout.write(_("Recherche sémantique désactivée (SEMANTIC_SEARCH=off) : rien à faire."))
            return
        if batch < 1:
            raise CommandError(_("--batch doit être au moins 1."))
        if not schema.ensure_schema():
            raise CommandError(
                _(
                    "Cette base PostgreSQL n'a pas l'extension pgvector : la recherche reste lexicale (voir manage.py check)."
                )
            )
        ids = list(Experience.objects.values_list("pk", flat=True)) if all or force else jobs.stale_ids()
        if not ids:
            self.stdout.write(_("Tous les vecteurs sont à jour."))
            return
        with tqdm(total=len(ids), unit=_(" fiches"), disable=None) as bar:
            report = jobs.embed_experiences(ids, force=force, batch_size=batch, progress=bar.update)
        self.stdout.write(
            _("%(embedded)s vecteur(s) calculé(s), %(unchanged)s inchangé(s).")
            % {"embedded": report.embedded, "unchanged": report.unchanged}
        )

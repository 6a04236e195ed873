from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from benchmark_portal.demo_loader import DEMO_PASSWORD, DemoDataError, load_demo


class Command(BaseCommand):
    help = "Load the French demo content (idempotent), or N synthetic experiences for scale tests."

    def add_arguments(self, parser):
        parser.add_argument("--synthetic", type=int, default=0, metavar="N", help="Add N synthetic experiences.")
        parser.add_argument("--seed", type=int, default=0, help="Random seed for synthetic rows.")

    def handle(self, *args, synthetic: int = 0, seed: int = 0, **options):
        if synthetic:
            from experiences.synthetic import generate_synthetic_experiences

            created = generate_synthetic_experiences(synthetic, seed=seed, progress=options["verbosity"] > 0)
            self.stdout.write(self.style.SUCCESS(_("%(n)d expériences synthétiques ajoutées.") % {"n": created}))
            return
        try:
            report = load_demo()
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        for kind in sorted(set(report.created) | set(report.skipped)):
            self.stdout.write(
                _("%(kind)s : %(created)d créé(s), %(skipped)d déjà présent(s)")
                % {"kind": kind, "created": report.created.get(kind, 0), "skipped": report.skipped.get(kind, 0)}
            )
        if not report.created:
            self.stdout.write(self.style.SUCCESS(_("Contenu de démonstration déjà chargé : rien à faire.")))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Comptes de démonstration : visiteur, membre, consultant, equipe — mot de passe « %s ».")
                    % DEMO_PASSWORD
                )
            )

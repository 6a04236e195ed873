from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from experiences.importers import MAX_FILE_BYTES, import_experiences


class Command(BaseCommand):
    @property
    def help(self) -> str:  # a property: argparse cannot format lazy strings
        return _(
            "Importe des fiches expériences depuis un fichier CSV, XLSX ou JSON (voir le modèle téléchargeable). "
            "Tout ou rien : la moindre erreur annule l'import."
        )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help=_("Fichier .csv, .xlsx ou .json"))
        parser.add_argument("--dry-run", action="store_true", help=_("Vérifier seulement : rien n'est écrit."))
        parser.add_argument(
            "--user",
            help=_("Identifiant (ou courriel) de la personne qui importe : auteur des fiches et de l'historique."),
        )

    @staticmethod
    def _user(user: str | None):
        if not user:
            return None
        User = get_user_model()
        by = User.objects.filter(username=user).first() or User.objects.filter(email__iexact=user).first()
        if by is None:
            raise CommandError(_("Utilisateur inconnu : %(user)s") % {"user": user})
        return by

    def handle(self, *_args, file: Path, dry_run: bool, user: str | None, **_options):
        by = self._user(user)
        try:
            if file.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(
                    _("Le fichier pèse plus de %(max)s Mo : découpez-le.") % {"max": MAX_FILE_BYTES // 1_048_576}
                )
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(str(exc)) from exc

        report = import_experiences(content=content, filename=file.name, by=by, commit=not dry_run)
        if report.file_error:
            raise CommandError(report.file_error)
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(warning))
        for error in report.errors:
            self.stderr.write(_("ligne %(row)s, colonne %(column)s : %(message)s") % vars(error))
        if report.error_count > len(report.errors):
            self.stderr.write(_("… et %(n)s autres erreurs.") % {"n": report.error_count - len(report.errors)})
        checked = _(
            "%(rows)s lignes : %(created)s à créer, %(updated)s à mettre à jour, %(unchanged)s inchangées (%(seconds)s s)."
        ) % vars(report)
        if report.error_count:
            self.stdout.write(checked)
            raise CommandError(
                _("%(n)s erreur(s) : rien n'a été importé. Corrigez le fichier et relancez.")
                % {"n": report.error_count}
            )
        if dry_run:
            self.stdout.write(checked)
            self.stdout.write(self.style.SUCCESS(_("Vérification terminée : rien n'a été écrit (--dry-run).")))
            return
        done = _(
            "%(rows)s lignes : %(created)s fiches créées, %(updated)s mises à jour, %(unchanged)s inchangées (%(seconds)s s)."
        ) % vars(report)
        self.stdout.write(self.style.SUCCESS(done))

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from territories.models import Territory
from territories.services import TerritoryFileError, territories_import


def _n(value: int) -> str:
    return number_format(value, force_grouping=True)


class Command(BaseCommand):
    @property
    def help(self) -> str:  # a property: argparse cannot format lazy strings
        return _("Crée ou met à jour les territoires depuis territories/data/territories.csv.gz (ou --path).")

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, help=_("Fichier CSV (éventuellement gzip) à importer."))
        parser.add_argument("--no-progress", action="store_true", help=_("Ne pas afficher la barre de progression."))

    def handle(self, *_args, path: Path | None, no_progress: bool, **_options):
        try:
            result = territories_import(path=path, progress=not no_progress)
        except (OSError, TerritoryFileError) as exc:
            raise CommandError(str(exc)) from exc

        if result.changes:
            # Merge the trigram index's pending list and refresh statistics now:
            # without it autocomplete falls back to sequential scans (80-160 ms).
            # Inside a transaction (tests) VACUUM cannot run, but ANALYZE can: it
            # counts the transaction's own new rows, so later plans see 36,000
            # territories rather than the empty table's statistics.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            with connection.cursor() as cursor:
                cursor.execute(f"{command} {Territory._meta.db_table}")

        if not result.changes:
            self.stdout.write(
                ngettext(
                    "Aucun changement : %(count)s territoire déjà à jour.",
                    "Aucun changement : %(count)s territoires déjà à jour.",
                    result.total,
                )
                % {"count": _n(result.total)}
            )
            return

        for kind in result.kinds:
            line = _("%(kind)s — créés : %(created)s, mis à jour : %(updated)s, inchangés : %(unchanged)s") % {
                "kind": Territory.Kind(kind).label,
                "created": _n(result.created[kind]),
                "updated": _n(result.updated[kind]),
                "unchanged": _n(result.unchanged[kind]),
            }
            if result.retired[kind]:
                line += _(", retirés : %(retired)s") % {"retired": _n(result.retired[kind])}
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                _("%(total)s territoires dans le fichier, %(changes)s changements.")
                % {"total": _n(result.total), "changes": _n(result.changes)}
            )
        )

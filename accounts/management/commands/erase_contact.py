"""Erase a person's contact details everywhere (RGPD request): fiches, history, report data."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts import services


class Command(BaseCommand):
    help = "Efface les coordonnées d'un contact de toutes les fiches, de l'historique et des données des rapports."

    def add_arguments(self, parser):
        parser.add_argument("--email", default="")
        parser.add_argument("--name", default="")
        parser.add_argument("--by", required=True, help="Identifiant du membre de l'équipe qui traite la demande.")

    def handle(self, *args, email, name, by, **options):
        user = get_user_model().objects.filter(username=by).first()
        if user is None or not user.has_perm("accounts.erase_personal_data"):
            raise CommandError(f"{by!r} n'a pas le droit d'effacer des données personnelles.")
        if not email and not name:
            raise CommandError("Indiquez --email ou --name.")
        result = services.contact_erase(by=user, email=email, name=name)
        self.stdout.write(
            f"Effacé : {result['contacts']} contact(s), {result['history']} version(s) d'historique, "
            f"{result['report_versions']} version(s) de rapport."
        )

"""What the studies app keeps about people, for the RGPD export and erasure
(registered with `accounts.personal_data` in StudiesConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from accounts.personal_data import Holder

from .models import ReportVersion, Study

ERASED = "[effacé]"


def export(user) -> dict[str, Any]:
    return {
        "studies": [
            {"title": title, "slug": slug}
            for title, slug in Study.objects.filter(Q(team=user) | Q(lead=user)).distinct().values_list("title", "slug")
        ]
    }


def _scrub(value, needles: list[str]):
    """Replace every string containing one of the needles, anywhere in a JSON value."""
    if isinstance(value, str):
        lowered = value.lower()
        return ERASED if any(n in lowered for n in needles) else value
    if isinstance(value, list):
        return [_scrub(v, needles) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, needles) for k, v in value.items()}
    return value


@transaction.atomic
def erase(*, email: str, name: str, identifiers: set[str], by) -> dict[str, int]:  # noqa: ARG001 - Holder signature
    """Replace the person in the data frozen with each report version and withdraw the
    PDF of every version that held them.

    A PDF cannot be edited: its file is deleted after commit, and the version row stays
    (number, checksum, author, scrubbed snapshot) with the date and reason of the
    withdrawal, so the record of what was sent remains and staff generate a new version
    from today's data, which no longer holds the person."""
    needles = [i for i in identifiers if len(i) >= 3]
    withdrawn = 0
    reason = gettext("Retirée : données personnelles effacées à la demande de la personne concernée.")
    for version in ReportVersion.objects.select_for_update().only("pk", "snapshot", "file", "withdrawn_at").iterator():
        scrubbed = _scrub(version.snapshot, needles)
        if scrubbed == version.snapshot:
            continue
        fields = {"snapshot": scrubbed}
        if version.withdrawn_at is None:
            fields |= {"withdrawn_at": timezone.now(), "withdrawn_reason": reason[:300]}
        if version.file:
            storage, file_name = version.file.storage, version.file.name
            transaction.on_commit(lambda storage=storage, file_name=file_name: storage.delete(file_name))
        ReportVersion.objects.filter(pk=version.pk).update(**fields)
        withdrawn += 1
    return {"report_versions": withdrawn}


HOLDER = Holder(name="studies", export=export, erase=erase)

"""Every write on studies, their grid and their reports.

Services take keyword-only typed arguments, run in a transaction, call
`full_clean()` before saving and check that `by` may edit the study (staff,
or a consultant on the study's team): views, API and commands all call them.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Func, IntegerField, Max, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.roles import Role, role_of
from core.fields import clean_rich_text
from experiences.models import Experience

from . import reports, selectors
from .models import Criterion, CriterionValue, ReportJob, ReportVersion, Study, StudyExperience

logger = logging.getLogger(__name__)

# A job whose worker died this many times is given up (a poison document
# must not loop forever between workers).
MAX_ATTEMPTS = 5
PROGRESS_INTERVAL = 0.25  # seconds between two progress writes
# The progress bar follows time, not steps (bench/report.py): building the
# sections' HTML takes a few percent of a render, WeasyPrint's layout about
# three quarters (followed page by page), writing the PDF the rest.
PROGRESS_TOTAL, SECTIONS_SHARE, LAYOUT_SHARE = 100, 5, 70


def _ensure_can_edit(study: Study, by) -> None:
    if not selectors.study_can_edit(study=study, user=by):
        raise PermissionDenied(_("Vous ne pouvez pas modifier cette étude."))


def _unique_slug(title: str) -> str:
    base = slugify(title)[:240] or "etude"
    slug, n = base, 2
    while Study.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# --- Study -------------------------------------------------------------------------------

STUDY_FIELDS = (
    "title",
    "client_organisation",
    "client_territory",
    "question",
    "scope",
    "method",
    "lead",
    "deadline",
    "status",
    "include_contacts",
)


@transaction.atomic
def study_create(*, by, title: str, client_organisation, question: str, team: Iterable = (), **fields) -> Study:
    """Create a study. Only staff open studies."""
    if role_of(by) != Role.STAFF:
        raise PermissionDenied(_("Seule l'équipe peut créer une étude."))
    unknown = set(fields) - set(STUDY_FIELDS)
    if unknown:
        raise TypeError(f"Unknown study fields: {sorted(unknown)}")
    study = Study(title=title, client_organisation=client_organisation, question=question, **fields)
    study.slug = _unique_slug(title)
    if study.lead_id is None:
        study.lead = by
    clean_rich_text(study)
    study.full_clean()
    study.save()
    study.team.set(list(team))
    return study


@transaction.atomic
def study_update(*, study: Study, by, team: Iterable | None = None, **fields) -> Study:
    """Update a study's header fields; `include_contacts` is a staff decision."""
    _ensure_can_edit(study, by)
    unknown = set(fields) - set(STUDY_FIELDS)
    if unknown:
        raise TypeError(f"Unknown study fields: {sorted(unknown)}")
    contacts_changed = "include_contacts" in fields and fields["include_contacts"] != study.include_contacts
    if contacts_changed and role_of(by) != Role.STAFF:
        raise PermissionDenied(_("Seule l'équipe peut inclure les contacts dans les rapports."))
    for name, value in fields.items():
        setattr(study, name, value)
    clean_rich_text(study)
    study.full_clean()
    study.save()
    if team is not None:
        study.team.set(list(team))
    return study


@transaction.atomic
def study_texts_update(
    *, study: Study, by, conclusions: str | None = None, recommendations: str | None = None
) -> Study:
    """Autosave of the conclusions and recommendations."""
    _ensure_can_edit(study, by)
    changed = []
    if conclusions is not None:
        study.conclusions, changed = conclusions, [*changed, "conclusions"]
    if recommendations is not None:
        study.recommendations, changed = recommendations, [*changed, "recommendations"]
    if changed:
        clean_rich_text(study)
        study.full_clean()
        study.save(update_fields=[*changed, "updated_at"])
    return study


# --- Retained experiences -------------------------------------------------------------


@transaction.atomic
def study_add_experiences(*, study: Study, experience_ids: Iterable[int], by) -> list[StudyExperience]:
    """Add experiences (from search results, a selection or a comparison) at the end of the study.

    Only experiences `by` may read are added; those already there are skipped.
    """
    _ensure_can_edit(study, by)
    Study.objects.select_for_update().filter(pk=study.pk).first()  # serialise positions
    wanted = list(dict.fromkeys(int(i) for i in experience_ids))
    visible = set(Experience.objects.visible_to(by).filter(pk__in=wanted).values_list("pk", flat=True))
    present = set(study.items.values_list("experience_id", flat=True))
    position = study.items.aggregate(m=Max("position"))["m"] or 0
    added = []
    for experience_id in wanted:
        if experience_id not in visible or experience_id in present:
            continue
        position += 1
        item = StudyExperience(study=study, experience_id=experience_id, position=position)
        item.full_clean(validate_unique=False)
        item.save()
        added.append(item)
    return added


@transaction.atomic
def study_remove_item(*, item: StudyExperience, by) -> None:
    _ensure_can_edit(item.study, by)
    item.delete()


@transaction.atomic
def study_reorder(*, study: Study, item_ids: list[int], by) -> None:
    """Put the study's experiences in the given order (ids not listed keep their rank, after)."""
    _ensure_can_edit(study, by)
    items = list(study.items.select_for_update().order_by("position", "id"))
    rank = {item_id: i for i, item_id in enumerate(item_ids)}
    items.sort(key=lambda it: (rank.get(it.pk, len(rank)), it.position, it.pk))
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])


def study_move_item(*, item: StudyExperience, direction: int, by) -> None:
    """Move an experience one place up (-1) or down (+1)."""
    ids = list(item.study.items.order_by("position", "id").values_list("pk", flat=True))
    index = ids.index(item.pk)
    target = index + (1 if direction > 0 else -1)
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
    study_reorder(study=item.study, item_ids=ids, by=by)


@transaction.atomic
def study_item_notes_update(
    *,
    item: StudyExperience,
    by,
    analysis_note: str | None = None,
    transferability: str | None = None,
    client_vigilance: str | None = None,
) -> StudyExperience:
    """Autosave of an experience's analysis note, transferable points and client pitfalls."""
    _ensure_can_edit(item.study, by)
    changed = []
    for name, value in (
        ("analysis_note", analysis_note),
        ("transferability", transferability),
        ("client_vigilance", client_vigilance),
    ):
        if value is not None:
            setattr(item, name, value)
            changed.append(name)
    if changed:
        clean_rich_text(item)
        item.full_clean(validate_unique=False)
        item.save(update_fields=changed)
    return item


# --- Criteria and grid ---------------------------------------------------------------------


@transaction.atomic
def criterion_create(*, study: Study, name: str, description: str = "", by) -> Criterion:
    _ensure_can_edit(study, by)
    position = (study.criteria.aggregate(m=Max("position"))["m"] or 0) + 1
    criterion = Criterion(study=study, name=name.strip(), description=description.strip(), position=position)
    criterion.full_clean()
    criterion.save()
    return criterion


@transaction.atomic
def criterion_update(*, criterion: Criterion, name: str, description: str = "", by) -> Criterion:
    _ensure_can_edit(criterion.study, by)
    criterion.name, criterion.description = name.strip(), description.strip()
    criterion.full_clean()
    criterion.save()
    return criterion


@transaction.atomic
def criterion_delete(*, criterion: Criterion, by) -> None:
    _ensure_can_edit(criterion.study, by)
    criterion.delete()


@transaction.atomic
def criterion_value_set(*, criterion: Criterion, item: StudyExperience, value: str, by) -> CriterionValue:
    """Fill one cell of the criteria × experiences grid."""
    if criterion.study_id != item.study_id:
        raise ValidationError(_("Ce critère et cette expérience n'appartiennent pas à la même étude."))
    _ensure_can_edit(criterion.study, by)
    cell, _created = CriterionValue.objects.get_or_create(criterion=criterion, item=item)
    cell.value = value
    cell.full_clean()
    cell.save(update_fields=["value"])
    return cell


# --- Reports -------------------------------------------------------------------------------


def _enqueue_report(job_id: int, queue: str | None = None) -> None:
    from .tasks import render_study_report

    try:
        result = render_study_report.apply_async(args=[job_id], **({"queue": queue} if queue else {}))
    except Exception:  # the broker is down, or an eager run failed: the job row must say so
        logger.exception("Could not run report job %s", job_id)
        report_job_fail(job_id=job_id, reason=_("La génération n'a pas pu être lancée (file d'attente indisponible)."))
        return
    ReportJob.objects.filter(pk=job_id, task_id="").update(task_id=result.id or "")


@transaction.atomic
def report_job_request(*, study: Study, by, language: str = settings.LANGUAGE_CODE) -> ReportJob:
    """Ask for a new report version in `language`; the task is enqueued after commit.

    A second click while a job is queued or running returns that job.
    """
    _ensure_can_edit(study, by)
    report_jobs_abandon(study=study)  # a job nobody renders any more does not block a new one
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Langue de rapport inconnue : %(code)s") % {"code": language[:10]}})
    Study.objects.select_for_update().filter(pk=study.pk).first()
    active = selectors.report_active_job(study=study)
    if active is not None:
        return active
    job = ReportJob(
        study=study,
        requested_by=by,
        status=ReportJob.Status.QUEUED,
        total=PROGRESS_TOTAL,
        message=_("En file d'attente"),
        language=language,
    )
    job.full_clean()
    job.save()
    transaction.on_commit(lambda: _enqueue_report(job.pk))
    return job


def report_job_fail(*, job_id: int, reason: str) -> bool:
    """Mark a job failed with a readable reason (never a job that is already done)."""
    updated = ReportJob.objects.filter(
        pk=job_id, status__in=[ReportJob.Status.QUEUED, ReportJob.Status.RUNNING]
    ).update(
        status=ReportJob.Status.FAILED,
        error=reason[:2000],
        message=_("Échec"),
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    return bool(updated)


class _Progress:
    """Writes "n / N" to the job row, at most every PROGRESS_INTERVAL seconds, never backwards.

    WeasyPrint lays pages out a second time when page references change (the
    table of contents): the bar keeps the furthest point reached.
    """

    def __init__(self, job_id: int, *, resumed: bool = False):
        self.job_id = job_id
        self.last = 0.0
        self.value = 0
        self.resumed = resumed

    def set(self, progress: int, total: int, message: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if progress < self.value or (not force and now - self.last < PROGRESS_INTERVAL):
            return
        self.last, self.value = now, progress
        if self.resumed:  # the bar says why it started again
            message = _("Reprise après interruption — %(step)s") % {"step": message}
        moment = timezone.now()
        ReportJob.objects.filter(pk=self.job_id).update(
            progress=min(progress, total), total=total, message=message[:200], updated_at=moment, heartbeat_at=moment
        )


def _holder_alive(job: ReportJob, *, me: str, now) -> bool:
    """Whether the worker that holds `job` still renders it, as far as worker `me` can tell:
    its heartbeat is recent, and it is not an earlier life of a worker of the same name."""
    if not job.holder or job.heartbeat_at is None:
        return False
    if job.holder != me and job.holder.partition("#")[0] == me.partition("#")[0]:
        return False  # a worker name runs once: this one restarted
    return job.heartbeat_at >= now - timedelta(seconds=settings.REPORT_HOLDER_STALE_AFTER)


def _claim(job_id: int, task_id: str, holder: str) -> ReportJob | None:
    """Mark the job running for this delivery, or return None when there is nothing to do."""
    now = timezone.now()
    with transaction.atomic():
        job = (
            ReportJob.objects.select_for_update(of=("self",))
            .filter(pk=job_id)
            .select_related("study", "requested_by")
            .first()
        )
        if job is None or job.status in (ReportJob.Status.DONE, ReportJob.Status.FAILED):
            return None
        if job.attempts >= MAX_ATTEMPTS:
            job.status = ReportJob.Status.FAILED
            job.error = _("Le rendu a été interrompu %(n)s fois ; abandon.") % {"n": job.attempts}
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "error", "finished_at", "updated_at"])
            return None
        if (
            job.status == ReportJob.Status.RUNNING
            and task_id
            and job.task_id not in ("", task_id)
            and _holder_alive(job, me=holder, now=now)
        ):
            return None  # another delivery of this job is being rendered by a live worker
        job.status = ReportJob.Status.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or timezone.now()
        job.task_id = task_id or job.task_id
        job.holder, job.heartbeat_at = holder, now
        job.progress = 0
        job.message = _("Chargement des données")
        if job.attempts > 1:
            job.message = _("Reprise après interruption — %(step)s") % {"step": job.message}
        job.save(
            update_fields=[
                "status",
                "attempts",
                "started_at",
                "task_id",
                "holder",
                "heartbeat_at",
                "progress",
                "message",
                "updated_at",
            ]
        )
        return job


def _expected_pages(study: Study, snapshot: dict) -> int:
    """How many pages the report will have, for the progress bar: the last version's
    count when it had as many experiences, else about two pages per experience."""
    items = len(snapshot["items"])
    last = (
        study.versions.order_by("-number")
        .annotate(items=Func(F("snapshot__items"), function="jsonb_array_length", output_field=IntegerField()))
        .values("pages", "items")
        .first()
    )
    if last and last["items"] == items and last["pages"]:
        return last["pages"]
    return 2 * items + 8


def report_job_run(*, job_id: int, task_id: str = "", holder: str = "") -> int | None:
    """Render a report job into a new immutable version; returns the version id.

    Idempotent: a job delivered twice (or redelivered after its worker died)
    yields one version. The PDF is rendered outside any transaction; the
    version number is taken under a lock on the study when saving.
    """
    job = _claim(job_id, task_id, holder or _in_process_holder())
    if job is None:
        existing = ReportVersion.objects.filter(job_id=job_id).values_list("pk", flat=True).first()
        return existing
    study = job.study
    progress = _Progress(job.pk, resumed=job.attempts > 1)
    author = str(job.requested_by) if job.requested_by else ""
    snapshot = selectors.report_snapshot(study_id=study.pk, viewer=job.requested_by)
    expected_pages = _expected_pages(study, snapshot)
    for _attempt in range(3):
        number = selectors.next_version_number(study=study)
        generated_at = timezone.now()

        def on_section(n: int, count: int) -> None:
            message = _("Rendu des sections : %(n)s / %(count)s") % {"n": n, "count": count}
            progress.set(SECTIONS_SHARE * n // max(count, 1), PROGRESS_TOTAL, message)

        def on_step(step: str) -> None:
            if step == "layout":
                progress.set(SECTIONS_SHARE, PROGRESS_TOTAL, _("Mise en page"), force=True)
            else:
                progress.set(SECTIONS_SHARE + LAYOUT_SHARE, PROGRESS_TOTAL, _("Écriture du PDF"), force=True)

        def on_page(page: int) -> None:
            done = min(LAYOUT_SHARE - 1, LAYOUT_SHARE * page // expected_pages)  # never full before the layout ends
            progress.set(SECTIONS_SHARE + done, PROGRESS_TOTAL, _("Mise en page : page %(n)s") % {"n": page})

        document = reports.build_report_document(
            snapshot,
            version=number,
            generated_at=generated_at,
            generated_by=author,
            on_section=on_section,
            language=job.language,
        )
        pdf = reports.render_report(document, on_step=on_step, on_page=on_page)
        version_id = _save_version(
            job_id=job.pk, study_id=study.pk, number=number, pdf=pdf, snapshot=snapshot, language=job.language
        )
        if version_id is not None:
            return version_id
        if (
            ReportVersion.objects.filter(job_id=job.pk).exists()
            or not ReportJob.objects.filter(pk=job.pk, status=ReportJob.Status.RUNNING).exists()
        ):
            return ReportVersion.objects.filter(job_id=job.pk).values_list("pk", flat=True).first()
        # Another job took this number meanwhile: render again with the next one.
    raise RuntimeError("Could not reserve a version number")


def _in_process_holder() -> str:
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}#in-process"


# --- Recovery of jobs whose worker is gone (called by studies.worker, and on reads) ---------


def report_jobs_heartbeat(*, holder: str, job_ids: Iterable[int]) -> int:
    """Worker `holder` is alive and renders `job_ids`: say so on their rows."""
    ids = list(job_ids)
    if not ids:
        return 0
    return ReportJob.objects.filter(pk__in=ids, holder=holder, status=ReportJob.Status.RUNNING).update(
        heartbeat_at=timezone.now()
    )


def report_jobs_take_back(*, me: str, active_ids: Iterable[int] = (), queue: str | None = None) -> list[int]:
    """Put back in the queue the running jobs whose holder is gone, as seen from worker `me`:
    an earlier life of a worker of the same name (it restarted), a holder silent for
    REPORT_HOLDER_STALE_AFTER seconds, or `me` itself for a job its pool no longer renders."""
    now = timezone.now()
    node = me.partition("#")[0]
    stale = now - timedelta(seconds=settings.REPORT_HOLDER_STALE_AFTER)
    idle = now - timedelta(seconds=2 * settings.REPORT_HEARTBEAT_INTERVAL)
    gone = (
        (Q(holder__startswith=f"{node}#") & ~Q(holder=me))
        | (Q(heartbeat_at__lt=stale) & ~Q(holder=me))
        | (Q(holder=me, heartbeat_at__lt=idle) & ~Q(pk__in=list(active_ids)))
    )
    candidates = ReportJob.objects.filter(gone, status=ReportJob.Status.RUNNING).values_list("pk", "holder")
    return [job_id for job_id, holder in candidates if _take_back(job_id, holder=holder, queue=queue)]


@transaction.atomic
def _take_back(job_id: int, *, holder: str, queue: str | None) -> bool:
    updated = ReportJob.objects.filter(pk=job_id, holder=holder, status=ReportJob.Status.RUNNING).update(
        status=ReportJob.Status.QUEUED,
        holder="",
        task_id="",
        progress=0,
        heartbeat_at=timezone.now(),
        message=_("Reprise après interruption"),
        updated_at=timezone.now(),
    )
    if updated:
        logger.warning("Report job %s taken back from %s", job_id, holder or "(unknown worker)")
        transaction.on_commit(lambda: _enqueue_report(job_id, queue=queue))
    return bool(updated)


def _duration(seconds: int) -> str:
    if seconds < 120:
        return _("%(n)s secondes") % {"n": seconds}
    return _("%(n)s minutes") % {"n": round(seconds / 60)}


def report_jobs_abandon(*, study: Study | None = None) -> int:
    """Fail the jobs with no sign of life for REPORT_JOB_ABANDON_AFTER seconds: their
    worker never came back and no other took them; the study page offers to relaunch."""
    bound = settings.REPORT_JOB_ABANDON_AFTER
    limit = timezone.now() - timedelta(seconds=bound)
    silent = Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True, updated_at__lt=limit)
    jobs = ReportJob.objects.filter(silent, status__in=[ReportJob.Status.QUEUED, ReportJob.Status.RUNNING])
    if study is not None:
        jobs = jobs.filter(study=study)
    failed = 0
    for job_id, status in jobs.values_list("pk", "status"):
        if status == ReportJob.Status.RUNNING:
            reason = _(
                "Le serveur de rendu s'est arrêté pendant la génération et aucun autre ne l'a reprise "
                "en %(duration)s. Relancez la génération."
            )
        else:
            reason = _("Aucun serveur de rendu n'a pris la génération en charge en %(duration)s. Relancez-la.")
        failed += report_job_fail(job_id=job_id, reason=reason % {"duration": _duration(bound)})
    return failed


@transaction.atomic
def _save_version(*, job_id: int, study_id: int, number: int, pdf, snapshot: dict, language: str) -> int | None:
    job = ReportJob.objects.select_for_update().get(pk=job_id)
    if job.status != ReportJob.Status.RUNNING or ReportVersion.objects.filter(job_id=job_id).exists():
        return None  # a duplicate delivery already saved it (or the job was given up)
    study = Study.objects.select_for_update().get(pk=study_id)
    if selectors.next_version_number(study=study) != number:
        return None
    version = ReportVersion(
        study=study,
        job=job,
        number=number,
        checksum=hashlib.sha256(pdf.content).hexdigest(),
        pages=pdf.pages,
        size=len(pdf.content),
        generated_by=job.requested_by,
        snapshot=snapshot,
        language=language,
        experience_ids=sorted({item["experience"]["id"] for item in snapshot["items"]}),
    )
    suffix = "" if language == settings.LANGUAGE_CODE else f"-{language}"
    filename = f"{slugify(study.title)[:80] or 'rapport'}-v{number}{suffix}.pdf"
    version.file.save(filename, ContentFile(pdf.content), save=False)
    try:
        version.full_clean()
        version.save()
    except Exception:
        version.file.delete(save=False)
        raise
    job.status = ReportJob.Status.DONE
    job.progress = job.total = max(job.total, 1)
    job.message = _("Terminé")
    job.error = ""
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "progress", "total", "message", "error", "finished_at", "updated_at"])
    return version.pk

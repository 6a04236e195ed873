"""HTML views of studies, reports, the side-by-side comparison and the fiche PDF.

Thin: they read through selectors (which start from `visible_to`) and write
through services. A study the user may not see answers 404 on every URL
(workspace, job status, downloads); a study they see but may not edit, 403.
Autosave requests (header `X-Autosave: 1`, sent by static/js/study.js) get
JSON; plain form posts (no JavaScript) get a redirect back to the workspace.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import Role, role_of
from accounts.visibility import can_see_personal_data
from core.storage import private_file_response
from core.throttling import throttle
from experiences import selection as experience_selection
from experiences import selectors as experience_selectors

from . import grid_export as grids
from . import reports, selectors, services
from .forms import CellForm, CriterionForm, ItemNotesForm, StudyForm, TextsForm
from .models import ReportVersion


def _job_version(job, viewer):
    """The job's version if the viewer may download it (every fiche in it readable)."""
    version = getattr(job, "version", None) if job is not None else None
    if version is not None and not ReportVersion.objects.visible_to(viewer).filter(pk=version.pk).exists():
        return None
    return version


def _versions_context(study, viewer) -> dict:
    versions, hidden = selectors.report_versions(study=study, viewer=viewer)
    return {"versions": versions, "hidden_versions": hidden}


def _autosave(request) -> bool:
    return request.headers.get("X-Autosave") == "1"


def _saved(request, study, anchor: str = ""):
    if _autosave(request):
        return JsonResponse({"ok": True, "saved_at": time_format(timezone.localtime(), "H:i:s")})
    messages.success(request, _("Modifications enregistrées."))
    return redirect(study.get_absolute_url() + (f"#{anchor}" if anchor else ""))


def _invalid(request, study, form, anchor: str = ""):
    errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    if _autosave(request):
        return JsonResponse({"ok": False, "errors": errors}, status=400)
    messages.error(
        request, _("Non enregistré : %(errors)s") % {"errors": "; ".join(e for errs in errors.values() for e in errs)}
    )
    return redirect(study.get_absolute_url() + (f"#{anchor}" if anchor else ""))


def _editable(request, slug: str):
    """The study if the user may edit it: 404 when they may not see it, 403 when they only see it."""
    study = selectors.study_detail(viewer=request.user, slug=slug)
    if not selectors.study_can_edit(study=study, user=request.user):
        raise PermissionDenied
    return study


# --- Study pages --------------------------------------------------------------------------


@login_required
def study_list(request):
    return render(
        request,
        "studies/list.html",
        {"studies": selectors.study_list(viewer=request.user), "can_create": role_of(request.user) == Role.STAFF},
    )


@login_required
def study_create(request):
    if role_of(request.user) != Role.STAFF:
        raise PermissionDenied
    form = StudyForm(request.POST or None, viewer=request.user, can_include_contacts=True)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        team = data.pop("team")
        study = services.study_create(by=request.user, team=team, **data)
        messages.success(request, _("Étude créée."))
        return redirect(study.get_absolute_url())
    return render(request, "studies/form.html", {"form": form, "study": None})


def study_edit(request, slug):
    study = _editable(request, slug)
    form = StudyForm(
        request.POST or None,
        instance=study,
        viewer=request.user,
        can_include_contacts=role_of(request.user) == Role.STAFF,
    )
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        team = data.pop("team", None)
        try:
            services.study_update(study=study, by=request.user, team=team, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _saved(request, study)
    return render(request, "studies/form.html", {"form": form, "study": study})


def study_detail(request, slug):
    study = selectors.study_detail(viewer=request.user, slug=slug)
    can_edit = selectors.study_can_edit(study=study, user=request.user)
    workspace = selectors.study_workspace(study=study, viewer=request.user)
    for item in workspace["items"]:
        item.notes_form = ItemNotesForm(instance=item, prefix=f"item{item.pk}")
    query = request.GET.get("q", "").strip()
    candidates = (
        selectors.experience_candidates(study=study, viewer=request.user, query=query) if can_edit and query else []
    )
    last_version, changes = selectors.report_changes_since_last(study=study, viewer=request.user)
    # The reader's saved selection (experiences app), offered as a one-click addition.
    present = {item.experience_id for item in workspace["items"]}
    selection = [i for i in experience_selection.selection_ids(request) if i not in present] if can_edit else []
    job = selectors.report_last_job(study=study)
    context = {
        "study": study,
        "job": job,
        "job_version": _job_version(job, request.user),
        "can_edit": can_edit,
        **workspace,
        "query": query,
        "candidates": candidates,
        "criterion_form": CriterionForm(study=study),
        "texts_form": TextsForm(initial={"conclusions": study.conclusions, "recommendations": study.recommendations}),
        **_versions_context(study, request.user),
        "last_version": last_version,
        "changes": changes,
        "compare_ids": ",".join(str(i.experience_id) for i in workspace["items"][:6]),
        "selection_ids": ",".join(str(i) for i in selection),
        "selection_count": len(selection),
    }
    return render(request, "studies/detail.html", context)


@require_GET
def study_candidates(request, slug):
    """htmx: experiences matching the search box, to add to the study."""
    study = _editable(request, slug)
    query = request.GET.get("q", "").strip()
    candidates = selectors.experience_candidates(study=study, viewer=request.user, query=query) if query else []
    return render(
        request, "studies/partials/candidates.html", {"study": study, "candidates": candidates, "query": query}
    )


# --- Retained experiences --------------------------------------------------------------------


@require_POST
def item_add(request, slug):
    study = _editable(request, slug)
    ids = selectors.parse_ids(request.POST.getlist("ids"))
    added = services.study_add_experiences(study=study, experience_ids=ids, by=request.user)
    if added:
        messages.success(request, _("%(n)s expérience(s) ajoutée(s) à l'étude.") % {"n": len(added)})
    else:
        messages.info(request, _("Aucune expérience ajoutée (déjà présentes ou inaccessibles)."))
    return redirect(study.get_absolute_url() + "#experiences")


@require_POST
def item_remove(request, slug, item_id):
    study = _editable(request, slug)
    services.study_remove_item(
        item=selectors.study_item(study=study, item_id=item_id, viewer=request.user), by=request.user
    )
    messages.success(request, _("Expérience retirée de l'étude."))
    return redirect(study.get_absolute_url() + "#experiences")


@require_POST
def item_move(request, slug, item_id):
    study = _editable(request, slug)
    direction = -1 if request.POST.get("direction") == "up" else 1
    services.study_move_item(
        item=selectors.study_item(study=study, item_id=item_id, viewer=request.user),
        direction=direction,
        by=request.user,
    )
    return redirect(study.get_absolute_url() + f"#item-{item_id}")


@require_POST
def item_notes(request, slug, item_id):
    study = _editable(request, slug)
    item = selectors.study_item(study=study, item_id=item_id, viewer=request.user)
    form = ItemNotesForm(request.POST, instance=item, prefix=f"item{item.pk}")
    if not form.is_valid():
        return _invalid(request, study, form, f"item-{item_id}")
    # Only the fields present in the request: an autosave of one textarea leaves the others alone.
    fields = {name: form.cleaned_data[name] for name in form.fields if form.add_prefix(name) in request.POST}
    services.study_item_notes_update(item=item, by=request.user, **fields)
    return _saved(request, study, f"item-{item_id}")


# --- Criteria and grid --------------------------------------------------------------------------


@require_POST
def criterion_add(request, slug):
    study = _editable(request, slug)
    form = CriterionForm(request.POST, study=study)
    if not form.is_valid():
        return _invalid(request, study, form, "grille")
    services.criterion_create(study=study, by=request.user, **form.cleaned_data)
    return redirect(study.get_absolute_url() + "#grille")


@require_POST
def criterion_edit(request, slug, criterion_id):
    study = _editable(request, slug)
    criterion = selectors.study_criterion(study=study, criterion_id=criterion_id)
    form = CriterionForm(request.POST, instance=criterion, study=study)
    if not form.is_valid():
        return _invalid(request, study, form, "grille")
    services.criterion_update(criterion=criterion, by=request.user, **form.cleaned_data)
    return _saved(request, study, "grille")


@require_POST
def criterion_delete(request, slug, criterion_id):
    study = _editable(request, slug)
    services.criterion_delete(
        criterion=selectors.study_criterion(study=study, criterion_id=criterion_id), by=request.user
    )
    messages.success(request, _("Critère supprimé."))
    return redirect(study.get_absolute_url() + "#grille")


@require_POST
def cell_save(request, slug, criterion_id, item_id):
    study = _editable(request, slug)
    form = CellForm(request.POST)
    if not form.is_valid():
        return _invalid(request, study, form, "grille")
    services.criterion_value_set(
        criterion=selectors.study_criterion(study=study, criterion_id=criterion_id),
        item=selectors.study_item(study=study, item_id=item_id, viewer=request.user),
        value=form.cleaned_data["value"],
        by=request.user,
    )
    return _saved(request, study, "grille")


@require_POST
def texts_save(request, slug):
    study = _editable(request, slug)
    form = TextsForm(request.POST)
    if not form.is_valid():
        return _invalid(request, study, form, "conclusions")
    fields = {name: form.cleaned_data[name] for name in form.fields if name in request.POST}
    services.study_texts_update(study=study, by=request.user, **fields)
    return _saved(request, study, "conclusions")


# --- Reports -------------------------------------------------------------------------------


@require_POST
@throttle("reports")
def report_generate(request, slug):
    study = _editable(request, slug)
    language = request.POST.get("language") or settings.LANGUAGE_CODE
    try:
        job = services.report_job_request(study=study, by=request.user, language=language)
    except ValidationError as exc:  # the service checks the language
        return HttpResponseBadRequest(" ".join(exc.messages))
    if request.headers.get("HX-Request"):
        return render(request, "studies/partials/report_job.html", {"study": study, "job": job})
    return redirect(study.get_absolute_url() + "#rapports")


def report_job_status(request, slug, job_id):
    """The job's progress: an htmx partial (polled while running) or JSON."""
    study = selectors.study_detail(viewer=request.user, slug=slug)
    services.report_jobs_abandon(study=study)  # with no worker left, the poll ends the job
    job = selectors.report_job(viewer=request.user, study=study, job_id=job_id)
    version = _job_version(job, request.user)  # None when the report holds a fiche the viewer may not read
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(
            {
                "id": job.pk,
                "status": job.status,
                "progress": job.progress,
                "total": job.total,
                "message": job.message,
                "error": job.error,
                "version": version.number if version else None,
                "download": reverse("studies:report_download", args=[study.slug, version.number]) if version else None,
            }
        )
    context = {"study": study, "job": job, "job_version": version}
    if job.status in ("done", "failed"):
        # The poll that sees the end also refreshes the list of versions below (out of band).
        context |= {**_versions_context(study, request.user), "refresh_versions": True}
    return render(request, "studies/partials/report_job.html", context)


def report_download(request, slug, number):
    study = selectors.study_detail(viewer=request.user, slug=slug)
    version = selectors.report_version(viewer=request.user, study=study, number=number)
    if version.withdrawn_at is not None:
        return render(request, "studies/version_withdrawn.html", {"study": study, "version": version}, status=410)
    suffix = "" if version.language == settings.LANGUAGE_CODE else f"-{version.language}"
    filename = f"{slugify(study.title)[:80] or 'rapport'}-v{version.number}{suffix}.pdf"
    return private_file_response(version.file, filename=filename, content_type="application/pdf")


def report_version_detail(request, slug, number):
    """A version's record (who, when, checksum, data) and what changed since the previous one."""
    study = selectors.study_detail(viewer=request.user, slug=slug)
    version = selectors.report_version(viewer=request.user, study=study, number=number)
    previous, changes = selectors.version_changes(version=version, viewer=request.user)
    items, hidden = selectors.snapshot_items_for(snapshot=version.snapshot, viewer=request.user)
    return render(
        request,
        "studies/version.html",
        {
            "study": study,
            "version": version,
            "previous": previous,
            "changes": changes,
            "items": items,
            "hidden": hidden,
        },
    )


# --- Comparison and fiche PDF -----------------------------------------------------------------------


def compare(request):
    """2 to 6 experiences side by side (`?ids=3,5,8`), with a study's criteria when `?etude=` is given."""
    ids = selectors.parse_ids(request.GET.getlist("ids"))
    experiences = selectors.comparison_experiences(viewer=request.user, ids=ids)
    study = selectors.study_for_comparison(viewer=request.user, slug=request.GET.get("etude"))
    criteria, values = ([], {})
    if study is not None:
        criteria, values = selectors.study_items_values(study=study, experience_ids=[e["id"] for e in experiences])
    context = {
        "experiences": experiences,
        "too_few": len(experiences) < selectors.COMPARE_MIN,
        "too_many": len(ids) > selectors.COMPARE_MAX,
        "study": study,
        "criteria": criteria,
        "criteria_rows": [(c, [values.get(e["id"], {}).get(str(c["id"]), "") for e in experiences]) for c in criteria],
        "editable_studies": selectors.editable_studies(viewer=request.user) if request.user.is_authenticated else [],
        "ids": ",".join(str(e["id"]) for e in experiences),
    }
    status = 200 if not context["too_few"] else 400 if ids else 200
    return render(request, "studies/compare.html", context, status=status)


def _grid_response(grid, fmt: str, filename: str) -> HttpResponse:
    if fmt == "xlsx":
        response = HttpResponse(grids.grid_xlsx(grid), content_type=grids.XLSX_TYPE)
    elif fmt == "pdf":
        response = HttpResponse(grids.grid_pdf(grid), content_type="application/pdf")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response


@throttle("pdf")
def compare_export(request, fmt):
    """The comparison page's grid (same parameters) as XLSX or a landscape PDF."""
    ids = selectors.parse_ids(request.GET.getlist("ids"))
    experiences = selectors.comparison_experiences(viewer=request.user, ids=ids)
    if len(experiences) < selectors.COMPARE_MIN:
        raise Http404
    study = selectors.study_for_comparison(viewer=request.user, slug=request.GET.get("etude"))
    criteria_rows = []
    if study is not None:
        criteria, values = selectors.study_items_values(study=study, experience_ids=[e["id"] for e in experiences])
        criteria_rows = [(c, [values.get(e["id"], {}).get(str(c["id"]), "") for e in experiences]) for c in criteria]
    grid = grids.comparison_grid(experiences, criteria_rows, title=_("Comparaison côte à côte"))
    return _grid_response(grid, fmt, "comparaison")


@throttle("pdf")
def grid_export(request, slug, fmt):
    """A study's comparison grid (the report's) as XLSX or a landscape PDF."""
    study = selectors.study_detail(viewer=request.user, slug=slug)
    grid = grids.study_grid(selectors.report_snapshot(study_id=study.pk, viewer=request.user))
    return _grid_response(grid, fmt, f"grille-{study.slug[:80]}")


@require_POST
def compare_add(request):
    """ "Add these experiences to a study" from the comparison page (or a saved selection)."""
    study = _editable(request, request.POST.get("study", ""))
    return item_add(request, study.slug)


@throttle("pdf")
def experience_fiche_pdf(request, slug):
    """One experience as a PDF fiche; contacts only for signed-in members (as on the page).

    Rendered in the request, unlike study reports: a fiche is one or two pages
    (about 0.2 s), has a fixed, small input, and needs no job to follow.
    """
    experience = experience_selectors.experience_detail(viewer=request.user, slug=slug)
    show_contacts = can_see_personal_data(request.user)
    data = selectors.experience_fiche_snapshot(
        experience_id=experience.pk, viewer=request.user, include_contacts=show_contacts
    )
    pdf = reports.render_fiche_pdf(data, show_contacts=show_contacts)
    response = HttpResponse(pdf.content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="fiche-{experience.slug[:80]}.pdf"'
    response["Cache-Control"] = "private, no-store" if show_contacts else "public, max-age=300"
    return response

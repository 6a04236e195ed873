"""The consultant workspace: fiche form, workflow, history, tags, import and export.

Thin views: forms read the request, `services` write, `selectors_workspace`
read; permissions are the rules in `experiences.rules`, enforced again by
the services.
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import Role, has_role
from core.storage import private_file_response
from core.throttling import throttle

from . import exports, importers, rules, services
from . import selectors_workspace as selectors
from .forms import (
    ExperienceEditor,
    ExportForm,
    ImportUploadForm,
    TagMergeForm,
    TagPromoteForm,
    TagRenameForm,
)
from .history import history_entries
from .models import Experience, ExportJob, ImportRun, Tag, Theme


def consultant_required(view):
    """Sign-in page for visitors, 403 for members: the workspace is for consultants and staff."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not has_role(request.user, Role.CONSULTANT):
            raise PermissionDenied(_("L'espace de travail est réservé aux consultants et à l'équipe."))
        return view(request, *args, **kwargs)

    return wrapper


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- My work --------------------------------------------------------------------------


@consultant_required
def my_work(request):
    work = selectors.my_work(viewer=request.user)
    return render(
        request,
        "experiences/workspace/my_work.html",
        {
            **work,
            "can_publish": rules.can_publish(request.user),
            "imports": selectors.recent_imports(viewer=request.user),
            "exports": selectors.recent_exports(viewer=request.user),
        },
    )


# --- The fiche form ------------------------------------------------------------------


def _editor_response(request, editor: ExperienceEditor, experience: Experience | None, status: int = 200):
    return render(
        request,
        "experiences/workspace/form.html",
        {"editor": editor, "form": editor.form, "formsets": editor.formsets, "experience": experience},
        status=status,
    )


def _save(request, editor: ExperienceEditor, experience: Experience | None):
    if not editor.is_valid():
        return _editor_response(request, editor, experience, status=422)
    submit = request.POST.get("then") == "submit"
    try:
        # One transaction: a refused submission does not leave a half-saved fiche.
        with transaction.atomic():
            if experience is None:
                saved = services.experience_create(author=request.user, **editor.service_kwargs())
                message = _("Fiche créée (brouillon).")
            else:
                saved = services.experience_update(experience=experience, by=request.user, **editor.service_kwargs())
                message = _("Modifications enregistrées.")
            if submit and saved.status == Experience.Status.DRAFT:
                saved = services.experience_submit(experience=saved, by=request.user)
                message = _("Fiche enregistrée et soumise à relecture.")
    except ValidationError as exc:
        editor.add_service_error(exc)
        return _editor_response(request, editor, experience, status=422)
    messages.success(request, message)
    return redirect(saved.get_absolute_url())


@consultant_required
def experience_create(request):
    if request.method == "POST":
        return _save(request, ExperienceEditor(request.POST, request.FILES), None)
    return _editor_response(request, ExperienceEditor(), None)


@consultant_required
def experience_edit(request, slug):
    experience = selectors.editable_experience(viewer=request.user, slug=slug)
    if not rules.can_edit(request.user, experience):
        raise PermissionDenied
    if request.method == "POST":
        return _save(request, ExperienceEditor(request.POST, request.FILES, experience=experience), experience)
    return _editor_response(request, ExperienceEditor(experience=experience), experience)


@require_POST
@consultant_required
def experience_transition(request, slug, action):
    experience = get_object_or_404(Experience.objects.visible_to(request.user), slug=slug)
    if action not in rules.TRANSITIONS:
        raise Http404
    try:
        services.experience_transition(experience=experience, action=action, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            {
                "submit": _("Fiche soumise à relecture."),
                "withdraw": _("Fiche repassée en brouillon."),
                "publish": _("Fiche publiée."),
                "archive": _("Fiche archivée."),
            }[action],
        )
    return redirect(_safe_next(request, experience.get_absolute_url()))


# --- History -----------------------------------------------------------------------------


@consultant_required
def experience_history(request, slug):
    experience = get_object_or_404(
        Experience.objects.visible_to(request.user).select_related("lead_territory"), slug=slug
    )
    return render(
        request,
        "experiences/workspace/history.html",
        {
            "experience": experience,
            "entries": history_entries(experience),
            "can_restore": rules.can_restore(request.user),
        },
    )


@require_POST
@consultant_required
def experience_restore(request, slug, history_id):
    experience = get_object_or_404(Experience.objects.visible_to(request.user), slug=slug)
    if not rules.can_restore(request.user):
        raise PermissionDenied
    try:
        services.experience_restore_version(experience=experience, history_id=history_id, by=request.user)
    except Experience.history.model.DoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, _("Cette version ne peut pas être restaurée : %(e)s") % {"e": " ".join(exc.messages)})
        return redirect("experiences:history", slug=slug)
    messages.success(request, _("Version restaurée ; la restauration figure elle-même dans l'historique."))
    return redirect(experience.get_absolute_url())


# --- Attachments -----------------------------------------------------------------------


@require_GET
def attachment_download(request, slug, pk):
    """Attachments are served through the fiche's visibility rule, never as public media."""
    attachment = selectors.visible_attachment(viewer=request.user, slug=slug, pk=pk)
    extension = attachment.file.name.rsplit(".", 1)[-1] if "." in attachment.file.name else ""
    filename = f"{attachment.title[:80]}.{extension}" if extension else attachment.title[:80]
    return private_file_response(attachment.file, filename=filename, content_type=attachment.content_type)


# --- Autocomplete and suggestions --------------------------------------------------------


@require_GET
@consultant_required
def tag_autocomplete(request):
    return JsonResponse(
        {"results": selectors.tag_autocomplete(viewer=request.user, query=request.GET.get("q", "")[:80])}
    )


@require_GET
@consultant_required
def tag_suggestions(request):
    theme_ids = [int(v) for v in request.GET.getlist("themes") if v.isdigit()][:30]
    data = selectors.tag_suggestions(
        viewer=request.user,
        text=request.GET.get("q", "")[:80],
        theme_ids=theme_ids,
        exclude=request.GET.getlist("tags")[:50],
    )
    return JsonResponse(data)


@require_GET
@consultant_required
def organisation_autocomplete(request):
    return JsonResponse(
        {"results": selectors.organisation_autocomplete(viewer=request.user, query=request.GET.get("q", "")[:100])}
    )


# --- Tags -------------------------------------------------------------------------------------


@consultant_required
def tag_list(request):
    query = request.GET.get("q", "").strip()[:80]
    return render(
        request,
        "experiences/workspace/tags.html",
        {"tags": selectors.tag_list(viewer=request.user, query=query), "query": query},
    )


@consultant_required
def tag_detail(request, pk):
    tag = get_object_or_404(Tag.objects.visible_to(request.user), pk=pk)
    rename = TagRenameForm(request.POST if request.POST.get("action") == "rename" else None, initial={"name": tag.name})
    merge = TagMergeForm(request.POST if request.POST.get("action") == "merge" else None)
    promote = TagPromoteForm(request.POST if request.POST.get("action") == "promote" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "rename" and rename.is_valid():
                services.tag_rename(tag=tag, name=rename.cleaned_data["name"], by=request.user)
                messages.success(request, _("Mot-clé renommé."))
                return redirect("experiences:tag_detail", pk=tag.pk)
            if action == "merge" and merge.is_valid():
                target = merge.cleaned_data["target"]
                moved = services.tag_merge(source=tag, target=target, by=request.user)
                messages.success(
                    request,
                    _("« %(s)s » fusionné dans « %(t)s » (%(n)s fiches).")
                    % {"s": tag.name, "t": target.name, "n": moved},
                )
                return redirect("experiences:tag_detail", pk=target.pk)
            if action == "promote" and promote.is_valid():
                data = promote.cleaned_data
                synonym = data["synonym_of"] if data["mode"] == TagPromoteForm.MODE_SYNONYM else None
                theme = services.tag_promote(tag=tag, by=request.user, parent=data["parent"], synonym_of=synonym)
                messages.success(
                    request, _("« %(s)s » rejoint le thésaurus (%(t)s).") % {"s": tag.name, "t": theme.name}
                )
                return redirect("experiences:tag_list")
        except ValidationError as exc:
            form = {"rename": rename, "merge": merge, "promote": promote}.get(action)
            if form is not None:
                for message in exc.messages:
                    form.add_error(None, message)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
    experiences = (
        Experience.objects.visible_to(request.user)
        .filter(tags=tag)
        .select_related("lead_territory")
        .order_by("title")[:50]
    )
    return render(
        request,
        "experiences/workspace/tag_detail.html",
        {
            "tag": tag,
            "rename": rename,
            "merge": merge,
            "promote": promote,
            "experiences": experiences,
            "can_promote": rules.can_promote_tags(request.user),
            "themes": Theme.objects.order_by("name"),
        },
        status=422 if request.method == "POST" else 200,
    )


# --- Import --------------------------------------------------------------------------------------


@consultant_required
@throttle("imports", methods=["POST"])
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = services.import_run_create(user=request.user, filename=upload.name, content=upload.read())
        return redirect("experiences:import_detail", pk=run.pk)
    return render(
        request,
        "experiences/workspace/import.html",
        {"form": form, "columns": importers.COLUMNS, "max_rows": importers.MAX_ROWS},
        status=422 if form.is_bound else 200,
    )


@consultant_required
def import_detail(request, pk):
    run = selectors.import_run_for(viewer=request.user, pk=pk)
    return render(
        request,
        "experiences/workspace/import_report.html",
        {"run": run, "report": run.report, "labels": importers.LABELS},
    )


@require_POST
@consultant_required
@throttle("imports")
def import_commit(request, pk):
    run = get_object_or_404(ImportRun, pk=pk, user=request.user)
    try:
        run = services.import_run_commit(run=run, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("experiences:import_detail", pk=run.pk)
    if run.state == ImportRun.State.COMMITTED:
        report = run.report
        messages.success(
            request,
            _("Import terminé : %(c)s fiches créées, %(u)s mises à jour, %(n)s inchangées.")
            % {"c": report["created"], "u": report["updated"], "n": report["unchanged"]},
        )
    else:
        messages.error(request, _("L'import a été annulé : le fichier contient des erreurs, rien n'a été écrit."))
    return redirect("experiences:import_detail", pk=run.pk)


@require_GET
@consultant_required
def import_template(request, fmt):  # noqa: ARG001 - a view
    if fmt == "xlsx":
        content, content_type = importers.template_xlsx(), exports.CONTENT_TYPES["xlsx"]
    elif fmt == "csv":
        content, content_type = importers.template_csv(), exports.CONTENT_TYPES["csv"]
    else:
        raise Http404
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="periscope-modele-import.{fmt}"'
    return response


# --- Export -------------------------------------------------------------------------------------


def _export_params(request) -> dict[str, list[str]]:
    return {key: request.GET.getlist(key) for key in request.GET if key not in ("page", "format")}


@throttle("exports", methods=["POST"])
def export_start(request):
    """Export the fiches of a search (its query string) or a selection (`ids`), visible to the reader."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    params = _export_params(request)
    queryset = exports.export_queryset(viewer=request.user, params=params)
    count = queryset.count()
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fmt = form.cleaned_data["format"]
        if count <= exports.SYNC_MAX_ROWS:
            content, filename = exports.build_export(queryset=queryset, viewer=request.user, format=fmt)
            response = HttpResponse(content, content_type=exports.CONTENT_TYPES[fmt])
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        job = services.export_job_create(user=request.user, format=fmt, params=params)
        return redirect("experiences:export_job", pk=job.pk)
    return render(
        request,
        "experiences/workspace/export.html",
        {
            "form": form,
            "count": count,
            "capped": count > exports.MAX_ROWS,
            "max_rows": exports.MAX_ROWS,
            "sync_max": exports.SYNC_MAX_ROWS,
            "columns": exports.columns_for(request.user),
            "query": request.GET.urlencode(),
        },
    )


@login_required
def export_job(request, pk):
    job = selectors.export_job_for(viewer=request.user, pk=pk)
    template = (
        "experiences/workspace/_export_progress.html"
        if request.headers.get("HX-Request")
        else "experiences/workspace/export_job.html"
    )
    return render(request, template, {"job": job})


@login_required
def export_download(request, pk):
    job = get_object_or_404(ExportJob, pk=pk, user=request.user, state=ExportJob.State.DONE)
    response = HttpResponse(bytes(job.content), content_type=exports.CONTENT_TYPES[job.format])
    response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    return response

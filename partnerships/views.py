"""HTML side of partnerships. Thin: reads through selectors, writes through services."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.roles import Role, role_of
from core.storage import private_file_response
from core.throttling import throttle
from experiences.models import Experience

from . import charts, exports, selectors, services
from .forms import PartnershipForm, formsets
from .geo import country_name
from .models import Deliverable, Milestone, Partnership, PartnershipDocument, PartnershipFunding, PartnershipParty

PAGE_SIZE = 20


def staff_required(view):
    """Anonymous visitors go to the login page; signed-in non-staff get 403."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if role_of(request.user) != Role.STAFF:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# --- Reading ---------------------------------------------------------------------------


@require_GET
def partnership_list(request):
    filterset = selectors.partnership_list(viewer=request.user, params=request.GET)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page": page,
        "facets": selectors.partnership_facets(viewer=request.user, params=request.GET),
        "query_string": _query_without_page(request),
        "is_staff_view": role_of(request.user) == Role.STAFF,
        "country_label": country_name(request.GET.get("country", "")) if request.GET.get("country") else "",
    }
    template = "partnerships/includes/search.html" if request.headers.get("HX-Request") else "partnerships/list.html"
    return render(request, template, context)


def _query_without_page(request) -> str:
    """The active filters (empty ones dropped), to carry into export links and pagination."""
    params = request.GET.copy()
    params.pop("page", None)
    for key in [k for k, values in params.lists() if not any(values)]:
        params.pop(key)
    return params.urlencode()


@require_GET
def partnership_detail(request, slug):
    detail = selectors.partnership_detail(viewer=request.user, slug=slug)
    return render(
        request,
        "partnerships/detail.html",
        {"d": detail, "partnership": detail.partnership, "legend": charts.timeline_legend()},
    )


@require_GET
def deliverable_file(request, slug, pk):
    partnership = selectors.visible_partnership(viewer=request.user, slug=slug)
    deliverable = get_object_or_404(Deliverable, pk=pk, partnership=partnership)
    return _file_response(deliverable.file)


@require_GET
def document_file(request, slug, pk):
    partnership = selectors.visible_partnership(viewer=request.user, slug=slug)
    document = get_object_or_404(PartnershipDocument, pk=pk, partnership=partnership)
    return _file_response(document.file)


def _file_response(field_file):
    """Files are served here, after the visibility check (they live in private storage)."""
    return private_file_response(field_file)


@require_GET
def cooperation_map(request):
    frame, entries = selectors.cooperation_map(viewer=request.user)
    return render(request, "partnerships/map.html", {"map": frame, "entries": entries, "country_name": country_name})


@require_GET
@throttle("exports")
def export(request, fmt):
    filterset = selectors.partnership_list(viewer=request.user, params=request.GET)
    queryset = exports.export_queryset(filterset.qs)
    base_url = request.build_absolute_uri("/").rstrip("/")
    data = exports.rows(queryset, base_url=base_url)
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        response = HttpResponse(
            exports.to_xlsx(data), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        response = HttpResponse(exports.to_csv(data), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="partenariats-{stamp}.{fmt}"'
    return response


# --- Staff -------------------------------------------------------------------------------


@staff_required
@require_GET
def dashboard(request):
    return render(request, "partnerships/dashboard.html", {"d": selectors.dashboard(viewer=request.user)})


@staff_required
@require_http_methods(["GET", "POST"])
def partnership_create(request):
    return _edit(request, Partnership())


@staff_required
@require_http_methods(["GET", "POST"])
def partnership_edit(request, slug):
    return _edit(request, selectors.visible_partnership(viewer=request.user, slug=slug))


def _edit(request, partnership: Partnership):
    creating = partnership.pk is None
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = PartnershipForm(data, files, instance=partnership, viewer=request.user)
    children = formsets(instance=partnership, data=data, files=files)
    if request.method == "POST" and form.is_valid() and all(fs.is_valid() for fs in children.values()):
        try:
            with transaction.atomic():
                saved = _save_all(request.user, partnership, form, children)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Partenariat créé.") if creating else _("Partenariat enregistré."))
            return redirect(saved)
    return render(
        request,
        "partnerships/form.html",
        {"form": form, "formsets": children, "partnership": partnership, "creating": creating},
    )


def _save_all(user, partnership: Partnership, form: PartnershipForm, children) -> Partnership:
    relations = form.relations()
    if partnership.pk is None:
        partnership = services.partnership_create(by=user, **form.field_values(), **relations)
    else:
        fresh = Partnership.objects.get(pk=partnership.pk)
        partnership = services.partnership_update(partnership=fresh, by=user, data={**form.field_values(), **relations})
    _apply(
        children["parties"],
        partnership,
        user,
        PartnershipParty,
        add=services.party_add,
        update=lambda obj, data: services.party_update(party=obj, by=user, data=data),
        remove=lambda obj: services.party_remove(party=obj, by=user),
    )
    _apply(
        children["funding"],
        partnership,
        user,
        PartnershipFunding,
        add=services.funding_line_add,
        update=lambda obj, data: services.funding_line_update(line=obj, by=user, data=data),
        remove=lambda obj: services.funding_line_remove(line=obj, by=user),
    )
    _apply(
        children["deliverables"],
        partnership,
        user,
        Deliverable,
        add=services.deliverable_add,
        update=lambda obj, data: services.deliverable_update(deliverable=obj, by=user, data=data),
        remove=lambda obj: services.deliverable_remove(deliverable=obj, by=user),
    )
    _apply(
        children["milestones"],
        partnership,
        user,
        Milestone,
        add=services.milestone_add,
        update=lambda obj, data: services.milestone_update(milestone=obj, by=user, data=data),
        remove=lambda obj: services.milestone_remove(milestone=obj, by=user),
    )
    _apply(
        children["documents"],
        partnership,
        user,
        PartnershipDocument,
        add=services.document_add,
        update=lambda obj, data: services.document_update(document=obj, by=user, data=data),
        remove=lambda obj: services.document_remove(document=obj, by=user),
    )
    return partnership


def _apply(formset, partnership, user, model, *, add, update, remove) -> None:
    """Turn a validated inline formset into service calls (the formset itself never saves)."""
    for form in formset.forms:
        cleaned = getattr(form, "cleaned_data", None) or {}
        values = {
            name: cleaned[name]
            for name in form.fields
            if name in cleaned and name not in (formset.fk.name, "id", "DELETE")
        }
        if values.get("file") is False:  # "clear" ticked on a file input: store an empty file name
            values["file"] = ""
        if not form.instance._state.adding:
            current = model.objects.get(pk=form.instance.pk, partnership=partnership)
            if cleaned.get("DELETE"):
                remove(current)
            elif form.has_changed():
                update(current, {name: values[name] for name in form.changed_data if name in values})
        elif form.has_changed() and not cleaned.get("DELETE"):
            add(partnership=partnership, by=user, **{k: v for k, v in values.items() if v is not None})


@staff_required
@require_GET
def experience_autocomplete(request):
    """Suggestions for the edit form: visible experiences whose title matches."""
    query = request.GET.get("q", "").strip()
    results = []
    if len(query) >= 2:
        qs = Experience.objects.visible_to(request.user).filter(title__unaccent__icontains=query).order_by("title")
        results = [{"slug": e.slug, "label": e.title} for e in qs.only("slug", "title")[:10]]
    return JsonResponse({"results": results})

"""The reader's tools: selection (keep, compare, export), map of the results, saved searches.

Thin views: reads through experiences.selection / selectors_map / alerts, which
all start from `Experience.objects.visible_to(user)`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.throttling import throttle

from . import alerts, exports, selection, selectors, selectors_map
from .forms_reader import SavedSearchForm
from .models import Experience, SavedSearch
from .search import results as search_results

COMPARE_MAX = 6


def _is_htmx(request) -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- Selection ---------------------------------------------------------------------------------


def selection_page(request):
    experiences = selection.selection_experiences(request)
    ids = [e.pk for e in experiences]
    return render(
        request,
        "experiences/selection.html",
        {
            "experiences": experiences,
            "compare_ids": ids[:COMPARE_MAX],
            "compare_max": COMPARE_MAX,
            "max_items": selection.MAX_ITEMS,
            "formats": list(exports.WRITERS),
        },
    )


@require_POST
def selection_toggle(request, pk: int):
    """Add (action=add) or remove (action=remove) one experience; htmx gets the new button back."""
    action = request.POST.get("action", "add")
    if action == "remove":
        # Removing needs no visibility check: it reveals nothing and must work for a fiche since unpublished.
        selection.selection_remove(request, experience_id=pk)
        experience = Experience.objects.visible_to(request.user).filter(pk=pk).first()
        message = _("Retirée de votre sélection.")
    else:
        experience = get_object_or_404(Experience.objects.visible_to(request.user), pk=pk)
        try:
            selection.selection_add(request, experience=experience)
            message = _("Ajoutée à votre sélection.")
        except selection.SelectionFull:
            message = _("Votre sélection est pleine (%(max)s expériences) : retirez-en une d'abord.") % {
                "max": selection.MAX_ITEMS
            }
            if not _is_htmx(request):
                messages.warning(request, message)
                return redirect(_next_url(request, reverse("experiences:selection")))
    if _is_htmx(request):
        ids = selection.selection_ids(request)
        context = {
            "experience": experience,
            "experience_id": pk,
            "selected": pk in ids,
            "selection_count": len(ids),
            "status_message": message,
            "variant": request.POST.get("variant", ""),
            "next": request.POST.get("next", ""),
        }
        response = render(request, "experiences/partials/selection_toggle_response.html", context)
        patch_vary_headers(response, ["HX-Request"])
        return response
    messages.success(request, message)
    return redirect(_next_url(request, reverse("experiences:selection")))


@require_POST
def selection_clear(request):
    selection.selection_clear(request)
    messages.success(request, _("Votre sélection a été vidée."))
    return redirect("experiences:selection")


@throttle("exports")
def selection_export(request):
    """The selection as CSV, XLSX or JSON (same columns as the search export, built in the request:
    a selection holds at most MAX_ITEMS fiches)."""
    fmt = request.GET.get("format", "csv")
    if fmt not in exports.WRITERS:
        raise Http404
    ids = selection.selection_ids(request)
    queryset = exports.export_queryset(viewer=request.user, params={"ids": ids or ["0"]})
    content, filename = exports.build_export(queryset=queryset, viewer=request.user, format=fmt)
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename.replace("experiences", "selection", 1)}"'
    return response


# --- Map of the results ----------------------------------------------------------------------


def search_map(request):
    """The current search (same query string) on the map of France, and what lies abroad."""
    data = selectors_map.search_map(viewer=request.user, params=request.GET)
    query = request.GET.copy()
    query.pop("page", None)
    response = render(
        request,
        "experiences/map.html",
        {"data": data, "result": data.result, "query": query.urlencode()},
        status=200 if data.result.valid else 400,
    )
    return response


# --- Saved searches ----------------------------------------------------------------------------


def _default_name(request) -> str:
    result = selectors.experience_search(viewer=request.user, params=request.GET, with_facets=False)
    parts = [chip.value_label for chip in result.chips] if result.valid else []
    if result.valid and result.reference is not None:
        parts.append(_("comparables à %(t)s") % {"t": result.reference.territory.name})
    return (" · ".join(parts) or _("Toutes les expériences"))[:120]


@login_required
def saved_search_list(request):
    saved = list(SavedSearch.objects.filter(user=request.user).order_by("-created_at"))
    for item in saved:
        item.url = alerts.saved_search_url(item, reopened=True)
    return render(request, "experiences/saved_searches.html", {"saved_searches": saved})


@login_required
def saved_search_create(request):
    """Save the search whose query string this page received (GET shows the form, POST saves)."""
    # The state as the page ran it: the remembered reference territory made explicit.
    shown = search_results.effective_params(request.GET, request.user)
    query = alerts.clean_query(request.POST.get("query", "") if request.method == "POST" else shown)
    initial = {"name": _default_name(request), "weekly_digest": alerts.can_have_alerts(request.user)}
    form = SavedSearchForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = alerts.saved_search_create(
            user=request.user,
            name=form.cleaned_data["name"],
            query=query,
            comparable_to_mine=bool(form.cleaned_data.get("comparable_to_mine")),
            weekly_digest=form.cleaned_data.get("weekly_digest", False),
            alert_frequency=form.cleaned_data.get("alert_frequency") or SavedSearch.AlertFrequency.WEEKLY,
            language=get_language(),
        )
        if saved.weekly_digest:
            messages.success(
                request,
                _("Recherche « %(name)s » enregistrée : vous recevrez les nouvelles expériences par courriel.")
                % {"name": saved.name},
            )
        else:
            messages.success(request, _("Recherche « %(name)s » enregistrée.") % {"name": saved.name})
        return redirect("experiences:saved_searches")
    return render(
        request,
        "experiences/saved_search_form.html",
        {"form": form, "query": query, "search_url": reverse("experiences:list") + (f"?{query}" if query else "")},
    )


@login_required
@require_POST
def saved_search_update(request, pk: int):
    """Turn the weekly alert on or off (the list page's switch)."""
    saved = get_object_or_404(SavedSearch, pk=pk, user=request.user)
    digest = request.POST.get("weekly_digest") == "on"
    if digest and not alerts.can_have_alerts(request.user):
        raise PermissionDenied(_("Les alertes par courriel sont réservées aux membres."))
    alerts.saved_search_update(saved=saved, by=request.user, weekly_digest=digest, language=get_language())
    if digest:
        messages.success(request, _("Alerte hebdomadaire activée pour « %(name)s ».") % {"name": saved.name})
    else:
        messages.success(request, _("Alerte hebdomadaire arrêtée pour « %(name)s ».") % {"name": saved.name})
    return redirect("experiences:saved_searches")


@login_required
def saved_search_edit(request, pk: int):
    """Rename a saved search, turn its alert on or off, or replace its criteria by the search it was
    reopened as (`query`, sent by the form)."""
    saved = get_object_or_404(SavedSearch, pk=pk, user=request.user)
    form = SavedSearchForm(request.POST or None, user=request.user, instance=saved)
    # Reached from the search page with changed criteria ("Mettre à jour"): propose those.
    changed = request.method == "GET" and any(key != "saved" for key in request.GET)
    query = alerts.clean_query(search_results.effective_params(request.GET, request.user)) if changed else saved.query
    if request.method == "POST" and form.is_valid():
        query = request.POST.get("query")
        alerts.saved_search_update(
            saved=saved,
            by=request.user,
            name=form.cleaned_data["name"],
            query=query if query is not None else None,
            comparable_to_mine=bool(form.cleaned_data.get("comparable_to_mine")),
            weekly_digest=form.cleaned_data.get("weekly_digest", saved.weekly_digest),
            alert_frequency=form.cleaned_data.get("alert_frequency") or saved.alert_frequency,
            language=get_language(),
        )
        messages.success(request, _("Recherche « %(name)s » modifiée.") % {"name": saved.name})
        return redirect("experiences:saved_searches")
    return render(
        request,
        "experiences/saved_search_form.html",
        {
            "form": form,
            "query": query,
            "search_url": reverse("experiences:list") + f"?{query}&saved={saved.pk}",
            "saved": saved,
            "criteria_changed": changed and query != saved.query,
        },
    )


@login_required
@require_POST
def saved_search_delete(request, pk: int):
    saved = get_object_or_404(SavedSearch, pk=pk, user=request.user)
    alerts.saved_search_delete(saved=saved, by=request.user)
    messages.success(request, _("Recherche « %(name)s » supprimée.") % {"name": saved.name})
    return redirect("experiences:saved_searches")

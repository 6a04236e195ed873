from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.services import profile_update
from territories.models import Territory

from . import selectors
from .filtersets import SORT_CHOICES
from .models import SavedSearch
from .semantic import similar as semantic_similar


def experience_list(request):
    """The faceted search page. htmx requests get only the #search-page region (same URL, same state)."""
    result = selectors.experience_search(viewer=request.user, params=request.GET)
    partial = request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    template = "experiences/partials/search_page.html" if partial else "experiences/list.html"
    context = {"result": result, "sort_choices": SORT_CHOICES, "saved_search": _reopened_saved_search(request)}
    response = render(request, template, context)
    if not result.valid:
        response.status_code = 400
    patch_vary_headers(response, ["HX-Request"])
    return response


def _reopened_saved_search(request):
    """The reader's saved search this page was reopened from (`saved=<id>`), to update its criteria."""
    pk = request.GET.get("saved", "")
    if not pk.isdigit() or not request.user.is_authenticated:
        return None
    return SavedSearch.objects.filter(pk=int(pk), user=request.user).first()


@require_POST
@login_required
def reference_remember(request):
    """Remember the reference territory ("ma collectivité") of the signed-in user, then go back."""
    territory = get_object_or_404(Territory.objects.visible_to(request.user), slug=request.POST.get("ref", ""))
    user = request.user
    profile_update(
        user=user,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        reference_territory=territory,
    )
    messages.success(
        request, _("%(territory)s est désormais votre collectivité de référence.") % {"territory": territory}
    )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("experiences:list")
    return redirect(target)


def experience_detail(request, slug):
    experience = selectors.experience_detail(viewer=request.user, slug=slug)
    # Meaning, territory, themes and tags (experiences/semantic/similar.py); today's list without vectors.
    similar = semantic_similar.similar_experiences(experience=experience, viewer=request.user)
    return render(request, "experiences/detail.html", {"experience": experience, "similar": similar})


def organisation_detail(request, slug):
    organisation, experiences = selectors.organisation_detail(viewer=request.user, slug=slug)
    return render(
        request, "experiences/organisation_detail.html", {"organisation": organisation, "experiences": experiences[:50]}
    )

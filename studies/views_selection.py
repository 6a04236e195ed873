"""A study created from the reader's selection (experiences/selection.py).

Kept apart from studies/views.py: it is the one page of this app that reads the
selection, and it only chains the studies services (create, then add the
selected experiences the author may read).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.roles import Role, role_of
from experiences import selection

from . import selectors, services
from .forms import StudyForm


@login_required
def study_from_selection(request):
    """Staff: open a study holding the experiences of their selection (or add them to an open study)."""
    if role_of(request.user) != Role.STAFF:
        raise PermissionDenied
    experiences = selection.selection_experiences(request)
    form = StudyForm(request.POST or None, viewer=request.user, can_include_contacts=True)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        team = data.pop("team")
        with transaction.atomic():
            study = services.study_create(by=request.user, team=team, **data)
            added = services.study_add_experiences(
                study=study, experience_ids=[e.pk for e in experiences], by=request.user
            )
        messages.success(
            request,
            _("Étude créée avec %(n)s expérience(s) de votre sélection.") % {"n": len(added)},
        )
        return redirect(study.get_absolute_url())
    return render(
        request,
        "studies/from_selection.html",
        {
            "form": form,
            "experiences": experiences,
            "ids": ",".join(str(e.pk) for e in experiences),
            "open_studies": selectors.editable_studies(viewer=request.user),
        },
    )

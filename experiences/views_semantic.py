"""The fiche form's semantic hints (htmx): possible duplicates and suggested themes.

Asked by the form once the title and summary are written, without blocking anything:
the consultant keeps typing, the block fills in when the answer comes.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views.decorators.http import require_POST

from .forms import TerritoryField
from .semantic.duplicates import duplicate_candidates
from .semantic.themes import theme_suggestions
from .views_workspace import consultant_required


def _territory(request):
    slug = request.POST.get("lead_territory", "")[:200]
    label = request.POST.get("lead_territory_label", "")[:200]
    try:
        return TerritoryField().to_python((slug, label))
    except ValidationError:  # an ambiguous name: no territory yet
        return None


@consultant_required
@require_POST
def form_hints(request):
    title = request.POST.get("title", "").strip()[:300]
    summary = request.POST.get("summary", "").strip()[:5000]
    raw_id = request.POST.get("experience_id", "")
    exclude_id = int(raw_id) if raw_id.isdigit() else None
    theme_ids = [int(v) for v in request.POST.getlist("themes") if v.isdigit()][:50]
    duplicates, suggestions = [], []
    if title and summary:
        duplicates = duplicate_candidates(
            title=title, summary=summary, territory=_territory(request), viewer=request.user, exclude_id=exclude_id
        )
        suggestions = theme_suggestions(
            title=title, summary=summary, viewer=request.user, exclude_theme_ids=theme_ids, exclude_id=exclude_id
        )
    return render(
        request,
        "experiences/workspace/_semantic_hints.html",
        {"duplicates": duplicates, "suggestions": suggestions},
    )

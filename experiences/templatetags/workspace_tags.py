"""Template helpers of the consultant workspace: the fiche's editorial panel."""

from django import template

from experiences import rules
from experiences.completeness import completeness_report

register = template.Library()


@register.inclusion_tag("experiences/workspace/_detail_panel.html", takes_context=True)
def workspace_panel(context, experience):
    """Completeness, editorial actions and history link for consultants and staff; nothing for others."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not rules.can_view_history(user):
        return {"show": False}
    can_edit = rules.can_edit(user, experience)
    return {
        "show": True,
        "experience": experience,
        "report": completeness_report(experience),
        "can_edit": can_edit,
        "transitions": rules.allowed_transitions(user, experience) if can_edit else [],
        "can_publish": rules.can_publish(user),
        "csrf_token": context.get("csrf_token"),
        "csp_nonce": context.get("csp_nonce", ""),
        "request": request,
    }


@register.filter
def completeness_level(score: int) -> str:
    return "low" if score < 50 else "medium" if score < 80 else "high"

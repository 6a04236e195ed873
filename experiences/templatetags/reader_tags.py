"""Template tags of the reader's tools: the "add to my selection" button and the selection count."""

from django import template

from experiences import selection

register = template.Library()


def _ids(context) -> list[int]:
    request = context.get("request")
    if request is None or not hasattr(request, "session"):
        return []
    return selection.selection_ids(request)


@register.simple_tag(takes_context=True)
def selection_count(context) -> int:
    return len(_ids(context))


@register.inclusion_tag("experiences/partials/selection_button.html", takes_context=True)
def selection_button(context, experience, variant: str = ""):
    request = context.get("request")
    return {
        "experience": experience,
        "experience_id": experience.pk,
        "selected": experience.pk in _ids(context),
        "variant": variant,
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }

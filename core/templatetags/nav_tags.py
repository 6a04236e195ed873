"""Marks the navigation link of the section the reader is in (aria-current + style)."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def current_section(context, url_name: str, exclude: str = "") -> str:
    """' aria-current="page"' when the request path is in the section of `url_name`.

    `exclude`: comma-separated URL names of sub-sections that are not part of this one
    (e.g. "Mon espace" and "Ma sélection" under /experiences/).
    """
    request = context.get("request")
    if request is None:
        return ""
    try:
        root = reverse(url_name)
        others = [reverse(name) for name in exclude.split(",") if name]
    except NoReverseMatch:
        return ""
    path = request.path
    if path.startswith(root) and not any(path.startswith(other) for other in others):
        return mark_safe(' aria-current="page"')
    return ""

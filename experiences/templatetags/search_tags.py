"""Template tags of the search page."""

from html import escape

from django import template
from django.utils.formats import get_format, number_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext

register = template.Library()

VISIBLE_VALUES = 8  # values shown before "n autres"

_VALUE = (
    '<div class="form-check facet-value{}">'
    '<input class="form-check-input" type="checkbox" name="{}" value="{}" id="f-{}-{}"{}>'
    '<label class="form-check-label d-flex justify-content-between gap-2" for="f-{}-{}">'
    '<span>{}</span><span class="facet-count">{}</span></label></div>'
)


def _count_formatter():
    """number_format(n, use_l10n=True, force_grouping=True) for the active language,
    with the language's format looked up once per facet instead of once per value."""
    separator, grouping = get_format("THOUSAND_SEPARATOR"), get_format("NUMBER_GROUPING")
    if grouping != 3:  # not the common case: let Django do it
        return lambda n: number_format(n, use_l10n=True, force_grouping=True)
    return lambda n: f"{n:,}".replace(",", separator)


@register.simple_tag
def facet_values(facet):
    """The checkboxes of one facet, the values after the eighth folded under "n autres".

    Built in Python with the standard library's escape: a facet panel holds a
    few hundred values; as template nodes, then with format_html(), the markup
    took longer to build than the search itself.
    """
    count_text = _count_formatter()
    name = escape(facet.name)

    def rows(values, start):
        return "".join(
            _VALUE.format(
                f" ms-{v.depth + 2}" if v.depth else "",
                name,
                escape(str(v.value)),
                name,
                index,
                " checked" if v.selected else "",
                name,
                index,
                escape(str(v.label)),
                count_text(v.count),
            )
            for index, v in enumerate(values, start=start)
        )

    values = facet.values
    shown = mark_safe(rows(values[:VISIBLE_VALUES], 1))
    if len(values) <= VISIBLE_VALUES:
        return shown
    more = len(values) - VISIBLE_VALUES
    folded = mark_safe(rows(values[VISIBLE_VALUES:], VISIBLE_VALUES + 1))
    summary = ngettext("%(counter)s autre", "%(counter)s autres", more) % {"counter": more}
    # A selected value among the folded ones keeps the fold open: a choice is never hidden.
    is_open = mark_safe(" open") if any(v.selected for v in values[VISIBLE_VALUES:]) else ""
    return format_html(
        '{}<details class="facet-more"{}><summary class="small">{}</summary>{}</details>',
        shown,
        is_open,
        summary,
        folded,
    )

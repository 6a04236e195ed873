"""Template tags of the search page."""

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
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


@register.simple_tag
def facet_values(facet):
    """The checkboxes of one facet, the values after the eighth folded under "n autres".

    Built in Python: a facet panel holds a few hundred values, and the same
    markup as template nodes took longer to render than the search itself.
    """

    def row(index, v):
        depth = f" ms-{v.depth + 2}" if v.depth else ""
        checked = mark_safe(" checked") if v.selected else ""
        count = number_format(v.count, use_l10n=True, force_grouping=True)
        return (depth, facet.name, v.value, facet.name, index, checked, facet.name, index, v.label, count)

    values = facet.values
    shown = format_html_join("", _VALUE, (row(i, v) for i, v in enumerate(values[:VISIBLE_VALUES], start=1)))
    if len(values) <= VISIBLE_VALUES:
        return shown
    more = len(values) - VISIBLE_VALUES
    folded = format_html_join(
        "", _VALUE, (row(i, v) for i, v in enumerate(values[VISIBLE_VALUES:], start=VISIBLE_VALUES + 1))
    )
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

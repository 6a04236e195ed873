"""A fiche's words in the reader's language, and honest about it when they are not.

One rule, for every page that shows a fiche's title or summary (search results and
their snippets, cards, the fiche page, comparison, selection, studies):

* the reader reads the fiche's own language → its text, as written;
* the reader reads English and the fiche has an English title (summary) → that;
* otherwise → the text in its own language, inside ``lang="fr"`` (so screen readers
  pronounce it as French and the page's checks know it is content, not interface),
  followed by a discreet, translatable "in French" badge.

Usage::

    {% load fiche_lang %}
    {% fiche_text experience "title" %}
    {% fiche_text experience "summary" words=40 %}
    {% fiche_text experience "title" chars=60 badge=False %}   {# inside a link label #}
    {% fiche_text experience "title" plain=True %}             {# text e-mails: "Titre (in French)" #}
    <div{% fiche_lang_attr experience %}>{{ experience.context }}</div>

The search highlights (``title_html`` / ``snippet``, set on result pages) mark the fiche's
own text: they are shown when that text is the one shown.
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import truncatechars, truncatewords
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from experiences.content import in_reader_language, written_in

register = template.Library()

# "in French", "in English": the badge after a text shown in a language other than the page's.
IN_LANGUAGE = {"fr": _("en français"), "en": _("en anglais")}
HIGHLIGHTED = {"title": "title_html", "summary": "snippet"}


def reader_language() -> str:
    return (get_language() or "fr")[:2]


@register.simple_tag
def fiche_text(
    experience, field: str = "title", words: int = 0, chars: int = 0, badge: bool = True, plain: bool = False
) -> SafeString | str:
    text, language = in_reader_language(experience, field)
    if plain:  # a text e-mail: no markup, the language said in words
        return text if language == reader_language() else f"{text} ({IN_LANGUAGE.get(language, language)})"
    highlighted = None if isinstance(experience, dict) else getattr(experience, HIGHLIGHTED[field], None)
    if highlighted and language == written_in(experience):
        shown = conditional_escape(highlighted)
    else:
        if words:
            text = truncatewords(text, words)
        if chars:
            text = truncatechars(text, chars)
        shown = conditional_escape(text)
    if language == reader_language():
        return shown
    marked = format_html('<span lang="{}">{}</span>', language, shown)
    if not badge or language not in IN_LANGUAGE:
        return marked
    return format_html(
        '{} <span class="badge badge-lang" lang="{}">{}</span>', marked, reader_language(), IN_LANGUAGE[language]
    )


@register.simple_tag
def fiche_lang_attr(experience) -> SafeString:
    """` lang="fr"` on an element holding the fiche's long texts, when they are not in the page's language."""
    language = written_in(experience)
    return format_html(' lang="{}"', language) if language != reader_language() else mark_safe("")

"""What is embedded for a fiche: one passage of plain text.

Title and English title, summary and English summary, the direct themes (French and
English labels), then the first words of context, actions and results — the long
fields are sanitised HTML, reduced to their words with `core.richtext.to_excerpt`. Points de
vigilance, tags, places and actors are left out: pitfalls describe another
experience's problems as much as this one's, and places and names are the lexical
side's job.

Under the model's 512-token window: each long field gives at most LONG_FIELD_WORDS
words, and the passage is measured with the model's own tokenizer; while it is over
MAX_TOKENS the long fields give fewer words (40, 20, none), then the text is cut
word by word. Median passage of the demo fiches: ~280 tokens.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from core.richtext import to_excerpt

from . import encoder

LONG_FIELD_WORDS = 60
LONG_FIELD_STEPS = (LONG_FIELD_WORDS, 40, 20, 0)
# 512 minus room for the "passage: " prefix's variations and a safety margin.
MAX_TOKENS = 500
LONG_FIELDS = ("context", "actions", "results")


@dataclass(frozen=True)
class Passage:
    text: str
    tokens: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(f"{encoder.model_id()}\n{self.text}".encode()).hexdigest()


def _plain(value: str | None) -> str:
    if not value:
        return ""
    return " ".join(to_excerpt(value).split())


def _first_words(text: str, n: int) -> str:
    if n <= 0:
        return ""
    words = text.split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")


def compose(
    *,
    title: str,
    summary: str = "",
    title_en: str = "",
    summary_en: str = "",
    themes: Iterable[str] = (),
    long_texts: Iterable[str] = (),
    long_words: int = LONG_FIELD_WORDS,
) -> str:
    head = [_plain(title), _plain(title_en) if title_en and title_en != title else ""]
    head += [_plain(summary), _plain(summary_en)]
    theme_list = [t for t in themes if t]
    if theme_list:
        head.append("Thèmes : " + ", ".join(theme_list) + ".")
    body = [_first_words(_plain(text), long_words) for text in long_texts]
    return "\n".join(part for part in (*head, *body) if part)


def build(**fields) -> Passage:
    """The passage of a fiche (or of a fiche being written), under MAX_TOKENS tokens."""
    for words in LONG_FIELD_STEPS:
        text = compose(**fields, long_words=words)
        tokens = encoder.token_count(text)
        if tokens <= MAX_TOKENS:
            return Passage(text, tokens)
    # A very long title or summary: keep the words that fit (binary search on the count).
    words = text.split()
    low, high = 1, len(words)
    while low < high:
        middle = (low + high + 1) // 2
        if encoder.token_count(" ".join(words[:middle])) <= MAX_TOKENS:
            low = middle
        else:
            high = middle - 1
    text = " ".join(words[:low])
    return Passage(text, encoder.token_count(text))


def draft_passage(*, title: str, summary: str) -> Passage:
    """The passage of a fiche being written (form, import row): title and summary."""
    return build(title=title or "", summary=summary or "")


def experience_passages(ids: Iterable[int]) -> dict[int, tuple[Passage, object]]:
    """{id: (passage, updated_at)} for these fiches, in two queries."""
    from ..models import Experience

    ids = list(ids)
    rows = Experience.objects.filter(pk__in=ids).values_list(
        "pk", "title", "title_en", "summary", "summary_en", *LONG_FIELDS, "updated_at"
    )
    themes: dict[int, list[str]] = {}
    through = Experience.themes.through
    for experience_id, name, name_en in (
        through.objects.filter(experience_id__in=ids)
        .order_by("theme__position", "theme__name")
        .values_list("experience_id", "theme__name", "theme__name_en")
    ):
        themes.setdefault(experience_id, []).append(f"{name} ({name_en})" if name_en and name_en != name else name)
    result = {}
    for pk, title, title_en, summary, summary_en, *long_texts, updated_at in rows:
        passage = build(
            title=title,
            title_en=title_en,
            summary=summary,
            summary_en=summary_en,
            themes=themes.get(pk, []),
            long_texts=long_texts,
        )
        result[pk] = (passage, updated_at)
    return result

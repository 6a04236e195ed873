"""Highlighted titles and snippets for search results, built in Python.

PostgreSQL's `ts_headline` re-parses every document of the page through the
French configuration (unaccent + Snowball) at each request: about 4 ms for a
page of 20 fiches, more than the search itself for a rare word. Here each word
of the page is looked up in a per-process cache of {word: lexemes}, filled by
one statement for the words it has not seen yet (`to_tsvector` on the same
configuration, so a word is marked exactly when the index would match it).
A warm process asks the database nothing.

The snippet follows `ts_headline`'s fragment mode: up to `MAX_FRAGMENTS`
windows of at most `MAX_WORDS` words around the matches, the windows with the
most matches first, shown in document order and joined by " … ". When the
match is only in a tag, a theme or a place (no word of the text matches), the
first `MIN_WORDS` words are shown. Everything is escaped; `<mark>` is the only
markup in the output.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from html import escape  # what django.utils.html.escape runs, without its lazy-string wrapper

from django.db import connection
from django.utils.safestring import SafeString, mark_safe

from .models import SEARCH_CONFIG

MAX_WORDS, MIN_WORDS, MAX_FRAGMENTS = 35, 18, 2
CACHE_LIMIT = 200_000  # words; about 30 MB at most
WORD = re.compile(r"\w+")
# One lexeme of a tsquery's text form: 'word', optionally :* (prefix) and/or weights; ! before it negates it.
QUERY_LEXEME = re.compile(r"(!?)\s*'((?:[^']|'')*)'(:\*?[A-D]*)?")

_LEXEMES: dict[str, tuple[str, ...]] = {}
_WORDS_OF: dict[str, set[str]] = {}  # the same cache the other way round: lexeme -> words


class Terms:
    """The positive lexemes of a tsquery (exact ones, and prefixes for `:*`)."""

    def __init__(self, tsquery: str):
        self.exact: set[str] = set()
        prefixes = []
        for negated, lexeme, suffix in QUERY_LEXEME.findall(tsquery or ""):
            if negated:
                continue
            lexeme = lexeme.replace("''", "'")
            if suffix and "*" in suffix:
                prefixes.append(lexeme)
            else:
                self.exact.add(lexeme)
        self.prefixes = tuple(prefixes)

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes)

    def matches(self, lexemes: tuple[str, ...]) -> bool:
        if not lexemes:
            return False
        if not self.exact.isdisjoint(lexemes):
            return True
        return bool(self.prefixes) and any(lx.startswith(self.prefixes) for lx in lexemes)


def _learn(words: set[str]) -> None:
    """Look up the lower-case words this process has not seen yet (one statement)."""
    missing = [w for w in words if w not in _LEXEMES]
    if not missing:
        return
    if len(_LEXEMES) + len(missing) > CACHE_LIMIT:
        _LEXEMES.clear()
        _WORDS_OF.clear()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w, ARRAY(SELECT lexeme FROM unnest(to_tsvector(%s::regconfig, w))) FROM unnest(%s::text[]) w",
            [SEARCH_CONFIG, missing],
        )
        for word, found in cursor.fetchall():
            _LEXEMES[word] = tuple(found)
            for lexeme in found:
                _WORDS_OF.setdefault(lexeme, set()).add(word)


def _words(text: str) -> set[str]:
    """set(WORD.findall(text)), three times faster: most whitespace-separated tokens are words already."""
    words: set[str] = set()
    for token in set(text.split()):
        if token.isalnum():  # what \w+ would match whole (\w is alphanumeric or "_")
            words.add(token)
        else:
            words.update(WORD.findall(token))
    return words


class Marker:
    """Finds, in the texts of one result page, the words the query matches."""

    def __init__(self, tsquery: str, texts: Iterable[str]):
        terms = Terms(tsquery)
        # Words are looked up in lower case: one pass over the page's text.
        words = _words("\n".join(t for t in texts if t).lower()) if terms else set()
        matching: set[str] | list[str] = []
        if terms:
            _learn(words)
            if terms.prefixes:
                matching = [w for w in words if terms.matches(_LEXEMES.get(w, ()))]
            else:  # the known words of each query lexeme that are on this page
                matching = set()
                for lexeme in terms.exact:
                    matching |= _WORDS_OF.get(lexeme, set()) & words
        self.words = tuple(sorted(matching))  # lower case, each made of word characters only
        # Longest first, whole words only, any case ("Gare" and "gare" are the same word here).
        alternatives = "|".join(re.escape(w) for w in sorted(matching, key=lambda w: (-len(w), w)))
        self.pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if matching else None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where `self.pattern` matches in `text`, in order: found with str.find in the lower-case
        text, several times faster than the case-insensitive regex, which cannot skip ahead."""
        if not self.words:
            return []
        lowered = text.lower()
        if len(lowered) != len(text):  # a character whose lower case is longer: positions would shift
            return [m.span() for m in self.pattern.finditer(text)]
        found, end = [], len(lowered)
        for word in self.words:
            i = lowered.find(word)
            while i >= 0:
                j = i + len(word)
                # Whole words only: \w is what str.isalnum() accepts, plus "_".
                if (i == 0 or not _is_word_char(lowered[i - 1])) and (j == end or not _is_word_char(lowered[j])):
                    found.append((i, j))
                i = lowered.find(word, j)
        found.sort()  # words are made of word characters: two whole-word matches never overlap
        return found

    def mark_all(self, text: str) -> SafeString:
        """Every matching word of `text` in <mark> (titles)."""
        text = text or ""
        if self.pattern is None:
            return mark_safe(escape(text))
        return mark_safe(_marked(text, 0, len(text), self.spans(text)))

    def snippet(self, fields: str | Iterable[str]) -> SafeString:
        """Up to two fragments of the fields around their matches, matches in <mark>.

        A fragment stays inside one field (fields are never run together),
        starts at a word — at a sentence start when one is near — and ends on a
        word; "…" marks where text was cut.
        """
        texts = [" ".join(f.split()) for f in ([fields] if isinstance(fields, str) else fields) if f and f.strip()]
        if not texts:
            return mark_safe("")
        # One string, fields separated by "\n" (whitespace is normalised above, so "\n" is only that).
        text = "\n".join(texts)
        spans = self.spans(text)
        if not spans:
            first = texts[0]
            lead = LEAD.match(first)
            end = _clean_end(first, lead.end() if lead else len(first))
            return mark_safe(escape(first[:end]) + (" …" if end < len(first) else ""))
        # A window starts a few words before a match and runs about MAX_WORDS words;
        # the best windows are those holding the most matches.
        # Spans are sorted and never overlap: their starts and ends are both ascending,
        # so the spans inside [start, stop] are one slice, found by bisection.
        starts, ends = [a for a, _b in spans], [b for _a, b in spans]
        windows = []
        for first in starts[:MAX_WINDOWS]:
            field_start = text.rfind("\n", 0, first) + 1
            field_end = text.find("\n", first)
            field_end = len(text) if field_end < 0 else field_end
            start = _fragment_start(text, first, field_start)
            stop = _word_end(text, min(field_end, max(start + WINDOW_CHARS, first)), spans, starts)
            # Whitespace is normalised above: spaces + 1 bounds the word count from above.
            if text.count(" ", start, stop) >= MAX_WORDS:
                more = WORDS_AND_ONE_MORE.match(text, start, stop)
                if more:  # short words: the word count decides
                    stop = _word_end(text, more.end(1), spans, starts)
            stop = max(_clean_end(text, stop, start), min(ends[bisect_left(starts, first)], field_end))
            inside = max(0, bisect_right(ends, stop) - bisect_left(starts, start))
            windows.append((inside, -start, start, stop, field_start, field_end))
        chosen: list[tuple[int, int, int, int]] = []
        for _count, _neg, start, stop, field_start, field_end in sorted(windows, reverse=True):
            if all(stop <= a or start >= b for a, b, _fs, _fe in chosen):
                chosen.append((start, stop, field_start, field_end))
            if len(chosen) == MAX_FRAGMENTS:
                break
        pieces = []
        for start, stop, field_start, field_end in sorted(chosen):
            piece = _marked(text, start, stop, spans[bisect_left(starts, start) : bisect_right(ends, stop)])
            if start > field_start and not _sentence_start(text, start, field_start):
                piece = "… " + piece
            if stop < field_end and text[stop - 1] not in ".!?…":
                piece += " …"
            pieces.append(piece)
        # Fragments (of one field or of two) are always set apart by an ellipsis, as ts_headline's delimiter.
        return mark_safe(ELLIPSES.sub("…", " … ".join(pieces)))


LEAD = re.compile(rf"(?:\W*\w+){{1,{MIN_WORDS}}}")
# MAX_WORDS words (group 1) followed by at least one more; possessive, so that no word is split in two.
WORDS_AND_ONE_MORE = re.compile(rf"((?:\W*+\w++){{{MAX_WORDS}}})\W*+\w")
BEFORE_CHARS = 40  # about 6 words of context before the first match of a fragment
WINDOW_CHARS = 230  # about MAX_WORDS words
MAX_WINDOWS = 8  # candidate windows: around the first matches of the text only


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


ELLIPSES = re.compile(r"…(?:\s*…)+")
SENTENCE_REACH = 120  # a sentence start this far before a match is where its fragment starts
SENTENCE_END = re.compile(r"[.!?…]\s")
TRAILING = re.compile(r"[\s,;:(«\"'’–—-]+$")


def _sentence_start(text: str, i: int, field_start: int) -> bool:
    return i == field_start or (i >= 2 and text[i - 1] == " " and text[i - 2] in ".!?…")


def _fragment_start(text: str, first: int, field_start: int) -> int:
    """Where a fragment around the match at `first` starts: the field's start or a sentence's
    start when one is within SENTENCE_REACH, else the start of a whitespace-separated word
    about BEFORE_CHARS before (never inside "Pont-de-Vaux" or "l'ancienne")."""
    reach = max(field_start, first - SENTENCE_REACH)
    if reach == field_start:
        return field_start
    found = None
    for match in SENTENCE_END.finditer(text, reach, first):
        found = match.end()
    if found is not None:
        return found
    i = max(field_start, first - BEFORE_CHARS)
    space = text.find(" ", i, first)
    i = first if space < 0 else space + 1
    while i < first and not text[i].isalnum():  # no leading punctuation
        i += 1
    return i


def _clean_end(text: str, stop: int, start: int = 0) -> int:
    """`stop`, moved back over trailing punctuation and spaces (a fragment ends on a word)."""
    trailing = TRAILING.search(text, start, stop)
    return trailing.start() if trailing and trailing.start() > start else stop


def _word_end(text: str, i: int, spans, starts) -> int:
    """`i`, moved back to the end of a word, never cutting a match (`starts`: the spans' starts)."""
    k = bisect_left(starts, i) - 1  # the last span starting before i: the only one that can hold it
    if k >= 0 and spans[k][1] > i:
        return spans[k][1]
    # Back to the end of a whitespace-separated word ("Pont-de-Vaux" is not cut after "Pont").
    while 0 < i < len(text) and not text[i].isspace() and not text[i - 1].isspace():
        i -= 1
    return i


def _marked(text: str, start: int, stop: int, spans) -> str:
    out, last = [], start
    for a, b in spans:
        if a >= start and b <= stop:
            out += [escape(text[last:a]), "<mark>", escape(text[a:b]), "</mark>"]
            last = b
    out.append(escape(text[last:stop]))
    return "".join(out).strip()

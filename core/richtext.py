"""The one format of Périscope's long texts: sanitised HTML with one allow-list.

Every long text (a fiche's context, actions, results and points de vigilance, a
study's question, notes, conclusions and recommendations, a partnership's
description and notes…) is stored as *canonical* HTML: paragraphs, line breaks,
bold, italic, bulleted and numbered lists, links with a safe scheme. Nothing else.

Three functions convert, and the round trip between the last two is exact:

- `sanitize(value)`: anything (editor HTML, pasted Word HTML, plain text) → canonical HTML.
- `to_text(html)`: canonical HTML → readable plain text, for exports, e-mails, diffs
  and snippets: paragraphs separated by a blank line, "- " bullets, "1. " numbers,
  `**bold**`, `*italic*`, links as `[text] <url>` (just `<url>` when the text is the
  address). A character the text would otherwise read as markup gets a backslash.
- `from_text(text)`: that plain text → canonical HTML. `from_text(to_text(h)) == h`
  for every canonical `h`, which is what makes an exported spreadsheet come back
  unchanged. Plain text a person typed reads naturally too: blank lines make
  paragraphs, "- " or "1. " lines make lists.

The canonical form is what makes the round trip exact. Whitespace is collapsed as
a browser shows it and trimmed at line ends; a space carries bold, italic or a link
only when the characters on both sides do; formatting always nests link › bold ›
italic; two line breaks in a row start a new paragraph; nested lists are flattened;
empty paragraphs, items and lists disappear; control characters go.

Pure functions, no database: `core` imports no portal app, every app uses this.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import nh3
from django.utils.translation import gettext_lazy as _

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a"})
URL_SCHEMES = ("http", "https", "mailto")
LINK_REL = "noopener noreferrer nofollow"
FORMAT_HELP = _(
    "HTML nettoyé : <p>, <br>, <strong>, <em>, <ul>, <ol>, <li> et <a href> (http, https, mailto) seulement."
)

# Tags read from incoming HTML: the allow-list plus what editors and pasted
# documents use for structure (headings and divisions become paragraphs, b/i
# become strong/em). nh3 parses like a browser and drops the rest, keeping text.
_READ_TAGS = ALLOWED_TAGS | {
    "b", "i", "u", "s", "span", "div", "section", "article", "header", "footer", "aside", "blockquote", "pre",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "dl", "dt", "dd",
    "hr", "address", "figure", "figcaption", "main", "nav",
}  # fmt: skip
_BLOCK_TAGS = frozenset(
    {"p", "div", "section", "article", "header", "footer", "aside", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5"}
    | {"h6", "table", "thead", "tbody", "tfoot", "tr", "dl", "dt", "dd", "hr", "address", "figure", "figcaption"}
    | {"main", "nav"}
)
_EMPHASIS = {"strong": "bold", "b": "bold", "em": "italic", "i": "italic"}
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_HTML_HINT = re.compile(
    r"<(?:/?(?:p|br|strong|em|b|i|u|s|span|ul|ol|li|a|div|h[1-6]|blockquote|pre|table|tr|td)\b[^>]*|!--.*?--)>",
    re.IGNORECASE | re.DOTALL,
)
_BREAK_TAG = re.compile(r"<(?:br|/?(?:p|div|ul|ol|li|h[1-6]|blockquote|pre|tr|td|th|dt|dd))\b[^>]*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\n\r\f]+")  # what HTML collapses (not the no-break space)
# C0 controls but tab and newlines, and lone surrogates: no spreadsheet or database keeps them.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_SCHEME = re.compile(r"^(https?|mailto):", re.IGNORECASE)
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f<>\"`\\]")

# Plain-text grammar (from_text / to_text).
_BULLET = re.compile(r"^[-*•–][ \t]+")
_NUMBER = re.compile(r"^(\d{1,9})[.)][ \t]+")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^\s<>]*)>", re.IGNORECASE)
_LINK_TARGET = re.compile(r"[ \t]?(?:<((?:https?|mailto):[^\s<>]*)>|\(((?:https?|mailto):[^\s()]*)\))", re.IGNORECASE)
# What a backslash escapes: ASCII punctuation, and the two non-ASCII list signs.
_ESCAPABLE = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~•–")
# A star between two spaces stays literal when read back ("5 * 3"): only the others need a backslash.
_ESCAPE_STAR = re.compile(r"(?<! )\*|\*(?! )")
_SPECIAL = re.compile(r"[\\*\[<]")
_CANONICAL_TOKEN = re.compile(
    r"<(/?)(p|ul|ol|li|strong|em|br)>|<a href=\"([^\"<>]*)\" rel=\"" + re.escape(LINK_REL) + r"\">|</a>|([^<]+)"
)
_ESCAPE_LT = re.compile(r"<(?=(?:https?|mailto):)", re.IGNORECASE)

Style = tuple[bool, bool, str | None]  # bold, italic, link address
PLAIN: Style = (False, False, None)
Span = tuple[str, Style]
Line = list[Span]


@dataclass
class Block:
    """A paragraph (one item of lines) or a list ("ul"/"ol": one item per entry)."""

    kind: str
    items: list[list[Line]] = field(default_factory=list)


# --- Public functions ----------------------------------------------------------------------


def looks_like_html(value: str | None) -> bool:
    return bool(value) and bool(_HTML_HINT.search(value))


def sanitize(value: str | None) -> str:
    """Any input → canonical HTML ("" when nothing readable is left). Idempotent."""
    if not value or not value.strip():
        return ""
    return _to_html(_normalise(_read(value)))


def from_html(value: str | None) -> str:
    """HTML (an editor's output) → canonical HTML, even when it holds no tag at all."""
    if not value or not value.strip():
        return ""
    return _to_html(_normalise(_read_html(value)))


def from_text(text: str | None) -> str:
    """Readable plain text (the format `to_text` writes, or text a person typed) → canonical HTML."""
    if not text or not text.strip():
        return ""
    return _to_html(_normalise(_read_text(text)))


def to_text(value: str | None) -> str:
    """Canonical HTML → readable plain text that `from_text` turns back into the same HTML.

    Plain text stored before the format existed is read as `from_text` would read it,
    so an old version and its converted form give the same text.
    """
    if not value or not value.strip():
        return ""
    return _to_plain(_normalise(_read(value)))


def to_excerpt(value: str | None) -> str:
    """The words only, on one line (no markup, no entity, no list sign): for snippets and previews.

    Regular expressions, not the parser: search pages cut snippets from four long texts
    of twenty fiches per request, and stored values are canonical (well-formed) HTML.
    """
    if not value:
        return ""
    if looks_like_html(value):
        value = html.unescape(_ANY_TAG.sub("", _BREAK_TAG.sub(" ", value)))
    return " ".join(value.split())


def render(value: str | None, *, text=None) -> str:
    """Canonical HTML of `value`, every text run passed through `text` first (typography in
    PDF reports). The result contains only allow-listed markup and escaped text."""
    if not value or not value.strip():
        return ""
    return _to_html(_normalise(_read(value)), text=text)


def clean_plain(value: str | None) -> str:
    """A short plain-text field (title, summary): newlines normalised, controls removed, trimmed."""
    if not value:
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", value).strip()


# --- Reading -------------------------------------------------------------------------------


def _read(value: str) -> list[Block]:
    if looks_like_html(value):
        blocks = _read_canonical(value)
        return _read_html(value) if blocks is None else blocks
    return _read_text(value)


def _read_canonical(value: str) -> list[Block] | None:
    """Stored values are canonical HTML: read their few tags with one regular expression instead
    of nh3 and the HTML parser (about three times faster, and exports read four texts a row).
    None when the value holds anything else; the full path reads it then. The output is
    written by `_to_html` either way, which escapes text and checks addresses."""
    reader = _HtmlReader()
    position = 0
    for token in _CANONICAL_TOKEN.finditer(value):
        if token.start() != position:
            return None
        position = token.end()
        closing, tag, href, text = token.groups()
        if text is not None:
            reader.handle_data(html.unescape(text))
        elif href is not None:
            if reader.links:
                return None  # a link inside a link: browsers close the first, the full path does too
            reader.handle_starttag("a", [("href", html.unescape(href))])
        elif tag is None:
            reader.handle_endtag("a")
        elif closing:
            reader.handle_endtag(tag)
        else:
            reader.handle_starttag(tag, [])
    if position != len(value):
        return None
    reader.close()
    return reader.blocks


class _HtmlReader(HTMLParser):
    """Turns nh3's well-formed output into blocks of styled lines."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.paragraph: list[Line] = [[]]
        self.list: Block | None = None
        self.item: list[Line] | None = None
        self.nested = 0
        self.emphasis = {"bold": 0, "italic": 0}
        self.links: list[str | None] = []
        self.pre = 0

    # Where text goes: the open list item, else the open paragraph.
    @property
    def lines(self) -> list[Line]:
        if self.list is not None:
            if self.item is None:
                self.item = [[]]
                self.list.items.append(self.item)
            return self.item
        return self.paragraph

    def style(self) -> Style:
        href = next((h for h in reversed(self.links) if h), None) if self.links else None
        return (self.emphasis["bold"] > 0, self.emphasis["italic"] > 0, href)

    def end_paragraph(self) -> None:
        if any(line for line in self.paragraph):
            self.blocks.append(Block("p", [self.paragraph]))
        self.paragraph = [[]]

    def handle_starttag(self, tag, attrs):
        if tag in _EMPHASIS:
            self.emphasis[_EMPHASIS[tag]] += 1
        elif tag in _HEADINGS:  # a heading pasted from a document: a paragraph in bold
            self.break_block()
            self.emphasis["bold"] += 1
        elif tag == "a":
            self.links.append(_safe_href(dict(attrs).get("href")))
        elif tag == "br":
            self.lines.append([])
        elif tag in ("ul", "ol", "li"):
            self.open_list(tag)
        elif tag in ("td", "th"):
            self.lines[-1].append((" ", self.style()))
        elif tag in _BLOCK_TAGS:
            self.pre += tag == "pre"
            self.break_block()

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "hr"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in _EMPHASIS:
            self.emphasis[_EMPHASIS[tag]] = max(0, self.emphasis[_EMPHASIS[tag]] - 1)
        elif tag in _HEADINGS:
            self.emphasis["bold"] = max(0, self.emphasis["bold"] - 1)
            self.break_block()
        elif tag == "a":
            self.links = self.links[:-1]
        elif tag in ("ul", "ol", "li"):
            self.close_list(tag)
        elif tag in _BLOCK_TAGS:
            self.pre -= tag == "pre" and self.pre > 0
            self.break_block()

    def open_list(self, tag: str) -> None:
        if self.list is None:
            self.end_paragraph()
            self.list = Block("ul" if tag == "li" else tag)
        elif tag != "li":
            self.nested += 1  # a list inside a list: its items join the outer list
        self.item = None
        if tag == "li":
            _ = self.lines  # opens the item, even if it stays empty

    def close_list(self, tag: str) -> None:
        if tag == "li":
            self.item = None
        elif self.nested:
            self.nested -= 1
            self.item = None  # what follows a nested list in an item is an item of its own
        elif self.list is not None:
            self.blocks.append(self.list)
            self.list, self.item = None, None

    def break_block(self) -> None:
        if self.list is not None:
            if self.item is not None and self.item[-1]:
                self.item.append([])
        else:
            self.end_paragraph()

    def handle_data(self, data):
        if self.pre:
            first, *rest = data.replace("\r\n", "\n").split("\n")
            self.lines[-1].append((first, self.style()))
            for line in rest:
                self.lines.append([(line, self.style())])
            return
        self.lines[-1].append((data, self.style()))

    def close(self):
        super().close()
        if self.list is not None:
            self.blocks.append(self.list)
            self.list = None
        self.end_paragraph()


def _safe_href(href: str | None) -> str | None:
    href = (href or "").strip()
    if not _SCHEME.match(href):
        return None
    scheme, rest = href.split(":", 1)
    rest = _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), rest)
    return f"{scheme.lower()}:{rest}" if rest.strip("/") else None


def _read_html(value: str) -> list[Block]:
    cleaned = nh3.clean(
        value, tags=set(_READ_TAGS), attributes={"a": {"href"}}, url_schemes=set(URL_SCHEMES), link_rel=None
    )
    reader = _HtmlReader()
    reader.feed(cleaned)
    reader.close()
    return reader.blocks


def _read_text(text: str) -> list[Block]:
    """Plain text: blank lines separate blocks; inside one, "- " and "1. " lines make lists."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[Block] = []
    for chunk in re.split(r"\n[ \t\u00a0]*(?:\n[ \t\u00a0]*)+", text):
        blocks.extend(_read_chunk(chunk.split("\n")))
    return blocks


def _read_chunk(lines: list[str]) -> list[Block]:
    blocks: list[Block] = []
    for raw in lines:
        if not raw.strip():
            continue
        current = blocks[-1] if blocks else None
        in_list = current is not None and current.kind != "p"
        indented = raw[:1].isspace()
        stripped = raw.strip()
        bullet, number = _BULLET.match(stripped), _NUMBER.match(stripped)
        if (
            in_list
            and (bullet or number)
            and (indented or (bullet and current.kind == "ul") or (number and current.kind == "ol"))
        ):
            current.items.append([_read_inline(stripped[(bullet or number).end() :])])
        elif in_list and indented:
            current.items[-1].append(_read_inline(stripped))
        elif bullet:
            blocks.append(Block("ul", [[_read_inline(stripped[bullet.end() :])]]))
        elif number and int(number.group(1)) == 1:
            blocks.append(Block("ol", [[_read_inline(stripped[number.end() :])]]))
        elif current is not None and current.kind == "p":
            current.items[0].append(_read_inline(stripped))
        else:
            blocks.append(Block("p", [[_read_inline(stripped)]]))
    return blocks


def _read_inline(text: str, style: Style = PLAIN) -> Line:
    """One line of the plain-text format → styled spans.

    `**` and `*` toggle bold and italic as `to_text` writes them (italic always inside
    bold): a run of stars first closes what is open, innermost first, then opens. Runs
    between two spaces are literal ("5 * 3"); if a line ends with something still open,
    its stars are all literal.
    """
    tokens = _tokens(text)
    spans = _apply_stars(tokens, style, literal_runs=False)
    if spans is None:
        spans = _apply_stars(tokens, style, literal_runs=True)
    return spans


def _tokens(text: str) -> list:
    """Literal strings, star runs ("*", n, flanked) and links ("[", inner text or None, href)."""
    tokens: list = []
    buffer: list[str] = []
    i, n = 0, len(text)
    while i < n:
        special = _SPECIAL.search(text, i)
        if special is None:
            buffer.append(text[i:])
            break
        buffer.append(text[i : special.start()])
        i = special.start()
        token, i = _token_at(text, i)
        if isinstance(token, str):
            buffer.append(token)
            continue
        if buffer:
            tokens.append("".join(buffer))
            buffer.clear()
        tokens.append(token)
    if buffer:
        tokens.append("".join(buffer))
    return tokens


def _token_at(text: str, i: int):
    """The token starting at a special character, and where the next one starts."""
    ch, n = text[i], len(text)
    if ch == "\\":
        if i + 1 < n and text[i + 1] in _ESCAPABLE:
            return text[i + 1], i + 2
        return ch, i + 1
    if ch == "*":
        j = i
        while j < n and text[j] == "*":
            j += 1
        before = text[i - 1] if i else " "
        after = text[j] if j < n else " "
        return ("*", j - i, not (before in " \t" and after in " \t")), j
    if ch == "[" and (link := _link_at(text, i)) is not None:
        inner, href, end = link
        return ("[", inner, href), end
    if ch == "<" and (auto := _AUTOLINK.match(text, i)) and _safe_href(auto.group(1)):
        return ("[", None, auto.group(1)), auto.end()
    return ch, i + 1


def _link_at(text: str, start: int) -> tuple[str, str, int] | None:
    """`[text] <url>` (or `[text](url)`) starting at `start`: (inner text, address, end)."""
    i, n, depth = start + 1, len(text), 0
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            if depth == 0:
                break
            depth -= 1
        i += 1
    if i >= n:
        return None
    target = _LINK_TARGET.match(text, i + 1)
    if target is None:
        return None
    href = target.group(1) or target.group(2)
    if not _safe_href(href):
        return None
    return text[start + 1 : i], href, target.end()


def _apply_stars(tokens: list, style: Style, *, literal_runs: bool) -> Line | None:
    bold, italic, href = style
    spans: Line = []
    for token in tokens:
        if isinstance(token, str):
            spans.append((token, (bold, italic, href)))
        elif token[0] == "[":
            _kind, inner, address = token
            safe = _safe_href(address)
            spans.extend(
                [(address, (bold, italic, safe))] if inner is None else _read_inline(inner, (bold, italic, safe))
            )
        elif literal_runs or not token[2]:
            spans.append(("*" * token[1], (bold, italic, href)))
        else:
            bold, italic = _toggle(token[1], bold, italic)
    if (bold, italic) != style[:2] and not literal_runs:
        return None
    return spans


def _toggle(count: int, bold: bool, italic: bool) -> tuple[bool, bool]:
    """A run of `count` stars: close what is open, innermost (italic) first, then open bold, then italic."""
    while count:
        if italic:
            italic, count = False, count - 1
        elif bold and count >= 2:
            bold, count = False, count - 2
        elif bold or count == 1:
            italic, count = True, count - 1
        else:
            bold, count = True, count - 2
    return bold, italic


# --- Canonical form ------------------------------------------------------------------------


def _normalise(blocks: list[Block]) -> list[Block]:
    out: list[Block] = []
    for block in blocks:
        if block.kind == "p":
            paragraph: list[Line] = []
            for line in (_normalise_line(raw) for item in block.items for raw in item):
                if line:
                    paragraph.append(line)
                elif paragraph:  # an empty line (two <br> in a row) starts a new paragraph
                    out.append(Block("p", [paragraph]))
                    paragraph = []
            if paragraph:
                out.append(Block("p", [paragraph]))
        else:
            items = [[line for line in map(_normalise_line, item) if line] for item in block.items]
            items = [item for item in items if item]
            if items:
                out.append(Block(block.kind, items))
    return out


def _meet(a: Style, b: Style) -> Style:
    return (a[0] and b[0], a[1] and b[1], a[2] if a[2] == b[2] else None)


def _normalise_line(spans: Line) -> Line:
    """Collapse whitespace, trim the ends, give each space the style both its neighbours share."""
    pieces = _collapse(spans)
    if not pieces:
        return []
    merged: Line = []
    for text, style in _restyle_spaces(pieces):
        if merged and merged[-1][1] == style:
            merged[-1] = (merged[-1][0] + text, style)
        else:
            merged.append((text, style))
    return merged


def _collapse(spans: Line) -> list[list]:
    """Whitespace collapsed across spans as a browser shows it; the line's ends trimmed."""
    pieces: list[list] = []
    last_space = True  # at the start of a line, leading spaces go
    for text, style in spans:
        text = _SPACES.sub(" ", _CONTROLS.sub("", text))
        if last_space:
            text = text.lstrip(" ")
        if text:
            pieces.append([text, style])
            last_space = text.endswith(" ")
    # Trim the ends, Unicode whitespace included (a spreadsheet cell loses it anyway).
    while pieces and not pieces[0][0].strip():
        pieces.pop(0)
    while pieces and not pieces[-1][0].strip():
        pieces.pop()
    if pieces:
        pieces[0][0] = pieces[0][0].lstrip()
        pieces[-1][0] = pieces[-1][0].rstrip()
    return pieces


def _restyle_spaces(pieces: list[list]) -> list[list]:
    """A space takes the style its two neighbours share. Spaces inside a piece have both
    neighbours in it: only a piece's first and last characters need a look around (no two
    spaces follow each other any more)."""
    units: list[list] = []
    last = len(pieces) - 1
    for index, (text, style) in enumerate(pieces):
        before = pieces[index - 1][1] if index else style
        after = pieces[index + 1][1] if index < last else style
        if text == " ":
            units.append([text, _meet(before, after)])
            continue
        if text[0] == " ":
            units.append([" ", _meet(before, style)])
            text = text[1:]
        trailing = text[-1] == " "
        units.append([text[:-1] if trailing else text, style])
        if trailing:
            units.append([" ", _meet(style, after)])
    return units


# --- Writing -------------------------------------------------------------------------------


def _groups(line: Line, index: int):
    """Consecutive spans sharing the style attribute `index` (2: link, 0: bold, 1: italic)."""
    start = 0
    for end in range(1, len(line) + 1):
        if end == len(line) or line[end][1][index] != line[start][1][index]:
            yield line[start][1][index], line[start:end]
            start = end


def _transformed(text, words: str, before: str) -> str:
    """`text(words)` knowing the character before (typography such as " :" depends on it)."""
    if not before:
        return text(words)
    out, head = text(before + words), text(before)
    return out[len(head) :] if out.startswith(head) else text(words)


def _line_html(line: Line, text) -> str:
    out: list[str] = []
    before = ""
    for href, link_spans in _groups(line, 2):
        if href:
            out.append(f'<a href="{html.escape(href)}" rel="{LINK_REL}">')
        for bold, bold_spans in _groups(link_spans, 0):
            out.append("<strong>" if bold else "")
            for italic, italic_spans in _groups(bold_spans, 1):
                words = "".join(t for t, _s in italic_spans)
                escaped = html.escape(_transformed(text, words, before) if text else words, quote=False)
                before = words[-1:]
                out.append(f"<em>{escaped}</em>" if italic else escaped)
            out.append("</strong>" if bold else "")
        if href:
            out.append("</a>")
    return "".join(out)


def _to_html(blocks: list[Block], text=None) -> str:
    out: list[str] = []
    for block in blocks:
        if block.kind == "p":
            out.append("<p>" + "<br>".join(_line_html(line, text) for line in block.items[0]) + "</p>")
        else:
            items = "".join(
                "<li>" + "<br>".join(_line_html(line, text) for line in item) + "</li>" for item in block.items
            )
            out.append(f"<{block.kind}>{items}</{block.kind}>")
    return "".join(out)


def _escape_text(words: str, *, in_link: bool) -> str:
    words = _ESCAPE_STAR.sub("\\\\*", words.replace("\\", "\\\\")).replace("[", "\\[")
    if in_link:
        words = words.replace("]", "\\]")
    return _ESCAPE_LT.sub("\\\\<", words)


def _line_text(line: Line) -> str:
    out: list[str] = []
    for href, link_spans in _groups(line, 2):
        plain_words = "".join(t for t, _s in link_spans)
        if href and plain_words == href and all(s[:2] == (False, False) for _t, s in link_spans):
            out.append(f"<{href}>")
            continue
        out.append("[" if href else "")
        for bold, bold_spans in _groups(link_spans, 0):
            out.append("**" if bold else "")
            for italic, italic_spans in _groups(bold_spans, 1):
                words = _escape_text("".join(t for t, _s in italic_spans), in_link=bool(href))
                out.append(f"*{words}*" if italic else words)
            out.append("**" if bold else "")
        out.append(f"] <{href}>" if href else "")
    return "".join(out)


def _escape_line_start(text: str, *, any_number: bool) -> str:
    """A backslash before what `from_text` would read as a list sign at the start of a line."""
    if _BULLET.match(text):
        return "\\" + text
    number = _NUMBER.match(text)
    if number and (any_number or int(number.group(1)) == 1):
        digits = number.group(1)
        return digits + "\\" + text[len(digits) :]
    return text


def _to_plain(blocks: list[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if block.kind == "p":
            out.append("\n".join(_escape_line_start(_line_text(line), any_number=False) for line in block.items[0]))
            continue
        lines: list[str] = []
        for number, item in enumerate(block.items, start=1):
            sign = "- " if block.kind == "ul" else f"{number}. "
            indent = " " * len(sign)
            first, *rest = [_line_text(line) for line in item]
            lines.append(sign + first)
            lines.extend(indent + _escape_line_start(line, any_number=True) for line in rest)
        out.append("\n".join(lines))
    return "\n\n".join(out)

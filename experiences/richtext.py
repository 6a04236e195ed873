"""Safe rich text for the long fields of a fiche (context, actions, results, vigilance).

Stored as sanitised HTML limited to a small allowlist; plain text (older
fiches, spreadsheet imports, the no-JavaScript form) is turned into the same
HTML first, so every path ends in one format. The same function runs when
rendering, which costs microseconds and protects rows written by any path
that bypassed the services.
"""

from __future__ import annotations

import html
import re

import nh3

RICH_TEXT_FIELDS = ("context", "actions", "results", "vigilance_points")

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}

_HTML_HINT = re.compile(r"</?(p|br|strong|em|b|i|ul|ol|li|a|div|span)\b", re.IGNORECASE)
# Browsers' contenteditable produces <b>, <i> and <div>; map them onto the allowlist
# before sanitising, or nh3 would drop the tag and glue the lines together.
_RENAMES = (
    (re.compile(r"<(/?)b(\s[^>]*)?>", re.IGNORECASE), r"<\1strong>"),
    (re.compile(r"<(/?)i(\s[^>]*)?>", re.IGNORECASE), r"<\1em>"),
    (re.compile(r"<div(\s[^>]*)?>", re.IGNORECASE), "<p>"),
    (re.compile(r"</div\s*>", re.IGNORECASE), "</p>"),
)
_EMPTY_PARAGRAPH = re.compile(r"<p>(\s|<br>|&nbsp;)*</p>")
_TAG = re.compile(r"<[^>]*>")
_BULLET = re.compile(r"^\s*(?:[-•*–]|\d+[.)])\s+")


def looks_like_html(value: str) -> bool:
    return bool(_HTML_HINT.search(value or ""))


def text_to_html(value: str) -> str:
    """Plain text → paragraphs, line breaks and bullet lists (escaped)."""
    blocks = re.split(r"\n\s*\n", value.replace("\r\n", "\n").replace("\r", "\n").strip())
    out: list[str] = []
    for block in blocks:
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if all(_BULLET.match(line) for line in lines):
            items = "".join(f"<li>{html.escape(_BULLET.sub('', line).strip())}</li>" for line in lines)
            out.append(f"<ul>{items}</ul>")
        else:
            out.append("<p>" + "<br>".join(html.escape(line.strip()) for line in lines) + "</p>")
    return "".join(out)


def sanitize_html(value: str | None) -> str:
    """The one sanitiser: returns allowlisted HTML, or "" when nothing readable is left."""
    if not value or not value.strip():
        return ""
    source = value if looks_like_html(value) else text_to_html(value)
    for pattern, replacement in _RENAMES:
        source = pattern.sub(replacement, source)
    cleaned = nh3.clean(
        source,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    cleaned = _EMPTY_PARAGRAPH.sub("", cleaned).strip()
    if not html.unescape(_TAG.sub("", cleaned)).strip():
        return ""
    return cleaned


def html_to_text(value: str | None) -> str:
    """Readable plain text for exports and diffs: paragraphs, lines and bullets kept."""
    if not value:
        return ""
    text = re.sub(r"<li[^>]*>", "- ", value, flags=re.IGNORECASE)
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    text = re.sub(r"</(p|li|ul|ol)\s*>", "\n", text, flags=re.IGNORECASE)
    # A regular expression rather than strip_tags(): the input is our own
    # sanitised HTML (well formed), and this runs for every cell of an export.
    text = html.unescape(_TAG.sub("", text))
    lines = [line.strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line).strip()

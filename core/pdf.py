"""PDF rendering with WeasyPrint, with a URL fetcher that only reads our own files.

WeasyPrint fetches every URL a document mentions (images, stylesheets, fonts,
`@import`, `url()` in style attributes). Left to its default fetcher, user text
that reaches a template could make the worker read `file:///etc/passwd` or call
an internal HTTP service (SSRF). `SafeURLFetcher` never opens a socket nor an
arbitrary file: it maps URLs under `ASSET_ORIGIN` + STATIC_URL / MEDIA_URL to
files below the static and media roots, and refuses everything else — other
schemes (file, http, ftp, data…), other hosts, paths that leave those roots,
queries. Since nothing is fetched over the network, there is no redirect to
follow. See WeasyPrint's documentation, section "Security".

This module is the shared kernel's: study reports and experience fiches both
render through `render_pdf`.
"""

from __future__ import annotations

import gc
import logging
import mimetypes
import posixpath
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from core.logging import layout_progress

logger = logging.getLogger(__name__)

# A reserved, never-resolving origin (RFC 2606 ".invalid"): documents are
# rendered with this base URL, so `/static/...` resolves to an address the
# fetcher recognises, and nothing can ever be fetched from it over a network.
ASSET_ORIGIN = "https://assets.periscope.invalid"


class RefusedURL(ValueError):
    """A URL the PDF renderer is not allowed to read."""


def _safe_join(root: Path, relative: str) -> Path | None:
    """`root / relative`, or None when the result would leave `root`."""
    if not relative or "\x00" in relative:
        return None
    normalised = posixpath.normpath("/" + relative).lstrip("/")
    if normalised.startswith("..") or ".." in relative.split("/"):
        return None
    root = root.resolve()
    candidate = (root / normalised).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def resolve_local_url(url: str) -> Path | None:
    """The file on disk behind an asset URL, or None if the URL is not one of ours."""
    parts = urlsplit(url)
    origin = urlsplit(ASSET_ORIGIN)
    if parts.scheme != origin.scheme or parts.netloc != origin.netloc or parts.query:
        return None
    path = unquote(parts.path)
    static_prefix, media_prefix = settings.STATIC_URL, settings.MEDIA_URL
    if path.startswith(static_prefix):
        relative = path[len(static_prefix) :]
        if ".." in relative.split("/"):
            return None
        # Collected files first (production), then the app/static folders (development).
        for root in (Path(settings.STATIC_ROOT), *(Path(d) for d in settings.STATICFILES_DIRS)):
            found = _safe_join(root, relative)
            if found:
                return found
        found = finders.find(posixpath.normpath(relative)) if relative else None
        return Path(found) if found else None
    if path.startswith(media_prefix):
        return _safe_join(Path(settings.MEDIA_ROOT), path[len(media_prefix) :])
    return None


_UNUSED_TLS_CONTEXT = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class SafeURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves only the project's static and media files.

    Every refused URL is recorded in `refused` (and logged); the tests read it.
    """

    def __init__(self) -> None:
        # No protocol allowed and no redirect handler: even a call that reached
        # urllib through the parent class could not open anything. The TLS
        # context is never used; a shared one without certificates (which could
        # not verify any server) spares loading the system's CA bundle at every
        # render, 15-30 ms each time.
        super().__init__(
            allowed_protocols=(), allow_redirects=False, fail_on_errors=False, ssl_context=_UNUSED_TLS_CONTEXT
        )
        self.refused: list[str] = []
        self.served: list[str] = []

    def fetch(self, url, headers=None):
        path = resolve_local_url(url) if isinstance(url, str) else None
        if path is None:
            self.refused.append(str(url))
            logger.warning("PDF rendering refused to fetch %s", str(url)[:200])
            raise RefusedURL(f"Refused URL: {str(url)[:200]}")
        self.served.append(url)
        content_type = "image/svg+xml" if path.suffix == ".svg" else mimetypes.guess_type(path.name)[0]
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type or "application/octet-stream"}
        )

    def open(self, url, data=None, timeout=None):
        return self.fetch(getattr(url, "full_url", url))


def static_asset_url(path: str) -> str:
    """The URL a PDF template uses for a static file (resolved by the safe fetcher)."""
    return f"{ASSET_ORIGIN}{settings.STATIC_URL}{path}"


@dataclass
class RenderedPDF:
    content: bytes
    pages: int
    refused_urls: list[str] = field(default_factory=list)
    parts: int = 1  # laid out in this many parts at once (see core.pdf_parts)


# Decoded images kept between renders of a warm worker. Keys are our own asset
# URLs only (nothing else can be fetched), so the cache stays small.
_ASSET_CACHE: dict = {}
_FONT_CONFIG: FontConfiguration | None = None


def _font_config() -> FontConfiguration:
    """One Fontconfig setup per process: @font-face files are decoded and
    registered once, not at every render (about a third of a warm render)."""
    global _FONT_CONFIG
    if _FONT_CONFIG is None:
        _FONT_CONFIG = FontConfiguration()
    return _FONT_CONFIG


_STYLESHEETS: dict[tuple[str, float], CSS] = {}


def static_stylesheet(path: str) -> CSS:
    """A stylesheet of our static files, parsed once per process (and again if the file changes)."""
    file = resolve_local_url(static_asset_url(path))
    if file is None:
        raise RefusedURL(f"No static stylesheet {path}")
    key = (str(file), file.stat().st_mtime)
    if key not in _STYLESHEETS:
        _STYLESHEETS[key] = CSS(
            string=file.read_text(),
            base_url=static_asset_url(path),
            url_fetcher=SafeURLFetcher(),
            font_config=_font_config(),
        )
    return _STYLESHEETS[key]


@contextmanager
def collected_after() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a render; collect once it is over.

    A report's layout allocates a few million objects, and its box tree is full
    of reference cycles. With the collector running, WeasyPrint's objects go
    through it again and again while they are still in use: pausing it made a
    30-fiche report's render 8 % shorter (3.21–3.26 s → 2.97 s, about 20 MB
    more at the peak). Wrap the whole job, so the collection (about 0.3 s)
    runs after the job is marked done, when nobody waits for it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect()


def render_document(html: str, *, fetcher: SafeURLFetcher, on_page=None, stylesheets=()):
    """Lay `html` out: WeasyPrint's Document (pages, anchors, links, bookmarks).

    `stylesheets`: parsed stylesheets (see static_stylesheet) applied after the document's own.
    """
    with layout_progress(on_page):
        return HTML(string=html, base_url=ASSET_ORIGIN + "/", url_fetcher=fetcher).render(
            font_config=_font_config(), cache=_ASSET_CACHE, stylesheets=list(stylesheets) or None
        )


def render_pdf(
    html: str, *, fetcher: SafeURLFetcher | None = None, on_step=None, on_page=None, stylesheets=()
) -> RenderedPDF:
    """Lay out `html` and return the PDF bytes and page count.

    Metadata (title, author, language, keywords, dates) come from the
    document's <title>, <html lang> and <meta> elements. `on_step(name)` is
    called before the layout ("layout") and before writing the file ("write");
    `on_page(n)` each time page n has been laid out (the longest step).
    """
    fetcher = fetcher or SafeURLFetcher()
    if on_step:
        on_step("layout")
    document = render_document(html, fetcher=fetcher, on_page=on_page, stylesheets=stylesheets)
    if on_step:
        on_step("write")
    content = document.write_pdf()
    return RenderedPDF(content=content, pages=len(document.pages), refused_urls=list(fetcher.refused))

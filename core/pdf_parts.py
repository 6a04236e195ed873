"""Lay out one long document as several parts in parallel processes, then merge them.

WeasyPrint lays a document out on one core. A report is a sequence of
sections that each begin on a new page, so its pages can be laid out in
parts: each part is a whole HTML document holding some of the sections,
forked processes render the parts at the same time, and this process merges
their PDFs (pikepdf) and puts back what only the whole document knows:

- the page numbers ("page X / Y") and the table of contents' numbers, drawn
  over the pages from one "stamps" page laid out once every part's page count
  is known (the caller writes its HTML from the parts' pages);
- internal links and named destinations that cross parts;
- one outline (PDF bookmarks) built from every part's headings, in order.

The children only render: they never touch the database, and they die with
this process (PR_SET_PDEATHSIG), so a worker killed at its time limit leaves
no renderer behind. Where fork is not available or not safe (several threads,
see `fork_is_safe`), the caller lays the whole document out in one process.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import logging
import os
import pickle
import selectors
import signal
import struct
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pikepdf

from .pdf import RenderedPDF, SafeURLFetcher, render_document

logger = logging.getLogger(__name__)

PT_PER_PX = 0.75  # 72 PDF points per inch / 96 CSS pixels per inch
_HEADER = struct.Struct("!cI")  # frame kind (b"P" progress, b"R" result, b"E" error), payload length
_PR_SET_PDEATHSIG = 1


def fork_is_safe() -> bool:
    """Whether parts can be forked safely here: fork() copies only the calling
    thread, so a lock another thread held at that moment (in logging, in a
    C library) would stay locked in the child forever. A Celery pool child has
    one thread; a threaded development server does not, and lays out in one piece."""
    return hasattr(os, "fork") and threading.active_count() == 1


@dataclass(frozen=True)
class PageInfo:
    """What the merge needs of one laid-out page (CSS pixels from its top-left corner)."""

    width: float
    height: float
    anchors: dict[str, tuple[float, float, float, float]]
    links: list[tuple[str, str, tuple[float, float, float, float]]]
    bookmarks: list[tuple[int, str, tuple[float, float], str]]


@dataclass
class Part:
    content: bytes
    pages: list[PageInfo]
    refused_urls: list[str] = field(default_factory=list)


class PartFailed(RuntimeError):
    """A part could not be rendered; the message is the child's error."""


class _MissingAnchorFilter(logging.Filter):
    """A part links to sections other parts hold: the merge restores those links."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("No anchor #")


def _page_info(page) -> PageInfo:
    return PageInfo(
        width=page.width,
        height=page.height,
        anchors=dict(page.anchors),
        links=[(kind, target, tuple(rect)) for kind, target, rect, _box in page.links],
        bookmarks=[(level, label, tuple(point), state) for level, label, point, state in page.bookmarks],
    )


def _send(fd: int, kind: bytes, payload: bytes) -> None:
    data = _HEADER.pack(kind, len(payload)) + payload
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _die_with_parent(parent: int) -> None:
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _child(html: str, fd: int, parent: int) -> None:
    """In the forked process: render, send the result, exit without cleanup."""
    status = 0
    try:
        _die_with_parent(parent)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        logging.getLogger("weasyprint").addFilter(_MissingAnchorFilter())

        def on_page(n: int) -> None:
            _send(fd, b"P", struct.pack("!I", n))

        fetcher = SafeURLFetcher()
        document = render_document(html, fetcher=fetcher, on_page=on_page)
        part = Part(document.write_pdf(), [_page_info(page) for page in document.pages], list(fetcher.refused))
        _send(fd, b"R", pickle.dumps(part))
    except BaseException as error:
        status = 1
        with contextlib.suppress(Exception):
            _send(fd, b"E", f"{type(error).__name__}: {error}".encode())
    finally:
        # os._exit: no atexit, no finaliser — the parent's database connection,
        # inherited here, must not be closed (or used) by this process.
        os._exit(status)


def render_parts(htmls: list[str], *, on_page: Callable[[int], None] | None = None) -> list[Part]:
    """Render each HTML document in its own forked process, all at once.

    `on_page(n)` receives the number of pages laid out so far over all parts.
    Raises PartFailed if a part fails; the other children are then killed.
    """
    if not hasattr(os, "fork"):
        raise PartFailed("this platform cannot fork")
    children: dict[int, tuple[int, int]] = {}  # read fd -> (part index, pid)
    buffers: dict[int, bytearray] = {}
    progress = [0] * len(htmls)
    results: list[Part | None] = [None] * len(htmls)
    selector = selectors.DefaultSelector()
    parent = os.getpid()
    try:
        for index, html in enumerate(htmls):
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which exits
                os.close(read_fd)
                _child(html, write_fd, parent)
            os.close(write_fd)
            children[read_fd] = (index, pid)
            buffers[read_fd] = bytearray()
            selector.register(read_fd, selectors.EVENT_READ)
        open_fds = set(children)
        while open_fds:
            for key, _events in selector.select():
                fd = key.fd
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    selector.unregister(fd)
                    open_fds.discard(fd)
                    continue
                buffer = buffers[fd]
                buffer.extend(chunk)
                index = children[fd][0]
                for kind, payload in _frames(buffer):
                    if kind == b"P":
                        progress[index] = struct.unpack("!I", payload)[0]
                        if on_page:
                            on_page(sum(progress))
                    elif kind == b"R":
                        results[index] = pickle.loads(payload)  # noqa: S301 - our own child's bytes
                    else:
                        raise PartFailed(f"part {index + 1}: {payload.decode(errors='replace')}")
        missing = [i + 1 for i, part in enumerate(results) if part is None]
        if missing:
            raise PartFailed(f"part(s) {missing} ended without a result")
        return results  # type: ignore[return-value]
    finally:
        selector.close()
        for fd, (index, pid) in children.items():
            with contextlib.suppress(OSError):
                os.close(fd)
            with contextlib.suppress(OSError):
                if results[index] is None:
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _frames(buffer: bytearray) -> Iterable[tuple[bytes, bytes]]:
    """Complete frames at the start of `buffer`, removed from it as they are read."""
    while len(buffer) >= _HEADER.size:
        kind, length = _HEADER.unpack_from(buffer)
        end = _HEADER.size + length
        if len(buffer) < end:
            return
        payload = bytes(buffer[_HEADER.size : end])
        del buffer[:end]
        yield kind, payload


# --- Merge -------------------------------------------------------------------------


def _xyz(pdf_page, info: PageInfo, x: float, y: float) -> pikepdf.Array:
    return pikepdf.Array([pdf_page.obj, pikepdf.Name.XYZ, x * PT_PER_PX, (info.height - y) * PT_PER_PX, 0])


def merge_parts(parts: list[Part], stamps: bytes | None = None) -> RenderedPDF:
    """One PDF from the parts, in order: pages, named destinations, links, outline.

    `stamps` is a one-page PDF holding a cell per merged page, stacked from the
    top, each cell the size of its page: cell n is drawn over page n. One page
    laid out once costs far less than one small page per page (WeasyPrint
    spends about 5 ms on any page). The first part's document information and
    language are kept.
    """
    merged = pikepdf.open(io.BytesIO(parts[0].content))
    for part in parts[1:]:
        merged.pages.extend(pikepdf.open(io.BytesIO(part.content)).pages)
    infos = [info for part in parts for info in part.pages]
    if len(infos) != len(merged.pages):
        raise PartFailed(f"{len(merged.pages)} PDF pages for {len(infos)} laid-out pages")
    pages = list(merged.pages)

    # Named destinations of every part (the first occurrence of a name wins, as in WeasyPrint).
    destinations: dict[str, pikepdf.Array] = {}
    for page, info in zip(pages, infos, strict=True):
        for name, (x, y, _x2, _y2) in info.anchors.items():
            destinations.setdefault(name, _xyz(page, info, x, y))
    names = pikepdf.NameTree.new(merged)
    for name in sorted(destinations):
        names[name] = destinations[name]
    merged.Root.Names = pikepdf.Dictionary(Dests=names.obj)

    # Links to another part's anchors: WeasyPrint left them out of the part's PDF.
    offset = 0
    for part in parts:
        own = {name for info in part.pages for name in info.anchors}
        for page, info in zip(pages[offset : offset + len(part.pages)], part.pages, strict=True):
            for kind, target, (x1, y1, x2, y2) in info.links:
                if kind != "internal" or target in own or target not in destinations:
                    continue
                annotation = merged.make_indirect(
                    pikepdf.Dictionary(
                        Type=pikepdf.Name.Annot,
                        Subtype=pikepdf.Name.Link,
                        Rect=[
                            x1 * PT_PER_PX,
                            (info.height - y2) * PT_PER_PX,
                            x2 * PT_PER_PX,
                            (info.height - y1) * PT_PER_PX,
                        ],
                        BS=pikepdf.Dictionary(W=0),
                        Dest=pikepdf.String(target),
                    )
                )
                if pikepdf.Name.Annots not in page.obj:
                    page.obj.Annots = pikepdf.Array()
                page.obj.Annots.append(annotation)
        offset += len(part.pages)

    _outline(merged, infos)
    if stamps is not None:
        _stamp(merged, pages, infos, stamps)
    out = io.BytesIO()
    merged.save(out)
    return RenderedPDF(
        content=out.getvalue(),
        pages=len(pages),
        refused_urls=[u for part in parts for u in part.refused_urls],
        parts=len(parts),
    )


def _stamp(merged: pikepdf.Pdf, pages: list, infos: list[PageInfo], stamps: bytes) -> None:
    """Draw cell n of the stamps page over page n (clipped to the page, moved into place)."""
    sheet = pikepdf.open(io.BytesIO(stamps))
    if len(sheet.pages) != 1:
        raise PartFailed(f"the stamps document has {len(sheet.pages)} pages, not 1")
    sheet_height = float(sheet.pages[0].mediabox[3])
    form = merged.copy_foreign(sheet.pages[0].as_form_xobject())
    top = 0.0
    for page, info in zip(pages, infos, strict=True):
        width, height = info.width * PT_PER_PX, info.height * PT_PER_PX
        bottom = sheet_height - top - height  # the cell's lower edge on the stamps page
        name = page.add_resource(form, pikepdf.Name.XObject, prefix="Stamps")
        page.contents_add(pikepdf.Stream(merged, b"q\n"), prepend=True)
        drawing = f"Q q 0 0 {width:.3f} {height:.3f} re W n 1 0 0 1 0 {-bottom:.3f} cm {name} Do Q\n"
        page.contents_add(pikepdf.Stream(merged, drawing.encode()), prepend=False)
        top += height


def _outline(merged: pikepdf.Pdf, infos: list[PageInfo]) -> None:
    """The outline of the whole document from every page's bookmarks (levels as in HTML headings)."""
    with merged.open_outline() as outline:
        outline.root.clear()
        stack: list[tuple[int, pikepdf.OutlineItem]] = []  # (level, item) of the open ancestors
        for index, info in enumerate(infos):
            for level, label, (x, y), state in info.bookmarks:
                item = pikepdf.OutlineItem(
                    label,
                    index,
                    pikepdf.PageLocation.XYZ,
                    left=x * PT_PER_PX,
                    top=(info.height - y) * PT_PER_PX,
                )
                item.is_closed = state == "closed"
                while stack and stack[-1][0] >= level:
                    stack.pop()
                (stack[-1][1].children if stack else outline.root).append(item)
                stack.append((level, item))

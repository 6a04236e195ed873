"""Private file storage: uploads and generated reports that only checked views serve.

Attachments of fiches, partnership documents, deliverables and report PDFs live under
settings.PRIVATE_MEDIA_ROOT, outside MEDIA_ROOT: no static file server, proxy alias or
Django's DEBUG /media/ view can hand them out. Each is served by a view that checks
the owning object's `visible_to(user)` (`private_file_response`). The storage is the
"private" entry of settings.STORAGES, so a deployment can swap it (a private bucket)
without touching the models.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import re
import shutil
import unicodedata
from collections.abc import Iterable
from pathlib import Path, PurePath

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.forms import ClearableFileInput
from django.http import FileResponse, Http404

logger = logging.getLogger(__name__)


class PrivateStorage(FileSystemStorage):
    """A file system storage under settings.PRIVATE_MEDIA_ROOT, with no URL.

    The location is read from the settings at each use (not frozen at import)
    so that tests and deployments can move it.
    """

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("Private files have no public URL; use the download view.")


def private_storage():
    """The storage of every private file field (a callable, so migrations do not freeze it)."""
    return storages["private"]


_UNSAFE = re.compile(r"[^\w.\- ()]+")


def safe_filename(name: str, *, default: str = "fichier") -> str:
    """A file name fit for Content-Disposition: no path, no control or quote characters,
    at most 120 characters, the extension kept."""
    name = PurePath(str(name).replace("\\", "/")).name
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE.sub("-", name).strip(" .-") or default
    stem, dot, ext = name.rpartition(".")
    if dot and len(ext) <= 10:
        return f"{stem[: 120 - len(ext) - 1]}.{ext}"
    return name[:120]


def private_file_response(field_file, *, filename: str | None = None, content_type: str | None = None) -> FileResponse:
    """Stream a private file as a download, once the caller has checked who may read it.

    Always an attachment (never rendered by the browser on the portal's origin), with
    `nosniff`, a sandboxing CSP in case a browser renders it anyway, and no caching by
    shared caches. A missing file answers 404 like a hidden one.
    """
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    name = safe_filename(filename or field_file.name)
    content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def move_to_private(names: Iterable[str]) -> dict[str, int]:
    """Move files from MEDIA_ROOT to PRIVATE_MEDIA_ROOT, keeping their names (a data
    migration calls this with the file names of a model's private field).

    Idempotent: a file already in the private root is left there (and a leftover public
    copy removed); a file found in neither place is counted as missing and logged.
    """
    public_root, private_root = Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_MEDIA_ROOT)
    counts = {"moved": 0, "already": 0, "missing": 0}
    for name in names:
        if not name:
            continue
        source, target = public_root / name, private_root / name
        if not source.resolve().is_relative_to(public_root.resolve()):
            continue  # a name escaping the folder: never touch it
        if target.exists():
            counts["already"] += 1
            if source.is_file():
                source.unlink()
            continue
        if not source.is_file():
            counts["missing"] += 1
            logger.warning("Private file %s is in neither %s nor %s", name, public_root, private_root)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, target)
        counts["moved"] += 1
    return counts


class PrivateFileInput(ClearableFileInput):
    """ClearableFileInput for a private file field: shows the current file's name,
    linked to `download_url` (the checked view, set by the form), and never asks the
    storage for a URL (private files have none)."""

    download_url = ""

    def is_initial(self, value):
        return bool(value and getattr(value, "name", ""))

    def format_value(self, value):
        if self.is_initial(value):
            return _CurrentFile(PurePath(value.name).name, self.download_url)
        return None


class _CurrentFile:
    def __init__(self, name: str, url: str):
        self.name, self.url = name, url

    def __str__(self) -> str:
        return self.name

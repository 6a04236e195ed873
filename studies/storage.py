"""Storage of generated reports: outside MEDIA_ROOT, so no static file server
(nor Django's DEBUG /media/ view) can hand a client report to someone outside
the study team. Downloads go through `views.report_download`, which checks
`visible_to`."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


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


def private_storage() -> PrivateStorage:
    return PrivateStorage()

"""System checks of the kernel: private files must not be reachable as static or media."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register


def _inside(child: Path, parent: Path) -> bool:
    child, parent = child.resolve(), parent.resolve()
    return child == parent or child.is_relative_to(parent) or parent.is_relative_to(child)


@register("security")
def private_root_is_not_served(app_configs, **kwargs):  # noqa: ARG001 - check signature
    """PRIVATE_MEDIA_ROOT overlapping MEDIA_ROOT or STATIC_ROOT would let a /media/ or
    /static/ alias (a proxy, a bucket, Django's DEBUG view) serve private files."""
    private = Path(settings.PRIVATE_MEDIA_ROOT)
    errors = []
    for name in ("MEDIA_ROOT", "STATIC_ROOT"):
        value = getattr(settings, name, None)
        if value and _inside(private, Path(value)):
            errors.append(
                Error(
                    f"PRIVATE_MEDIA_ROOT ({private}) overlaps {name} ({value}).",
                    hint="Put private files in a folder no web server serves (DJANGO_PRIVATE_MEDIA_ROOT).",
                    id="core.E001",
                )
            )
    return errors

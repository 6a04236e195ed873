"""Static files storage for production: WhiteNoise's compressed, hashed-name storage."""

from typing import Any

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage


def _is_source_map_pattern(pattern) -> bool:
    regex = pattern if isinstance(pattern, str) else pattern[0]
    return "sourceMappingURL" in regex


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed names and gzip/brotli copies, with two changes for source maps.

    The vendored Bootstrap bundles end with ``sourceMappingURL=...map`` but the
    maps are not shipped (static/vendor/NOTICE.md): Django's manifest storage
    would fail ``collectstatic`` on the missing files, so those comments are left
    untouched. And the maps that are shipped (the API docs' bundles, ~12 MB) are
    not compressed: only developer tools fetch them, and brotli on them tripled
    the time of ``collectstatic``.
    """

    patterns = tuple(
        (extension, tuple(p for p in patterns if not _is_source_map_pattern(p)))
        for extension, patterns in CompressedManifestStaticFilesStorage.patterns
    )

    def create_compressor(self, **kwargs: Any) -> Compressor:
        extensions = kwargs.get("extensions") or Compressor.SKIP_COMPRESS_EXTENSIONS
        kwargs["extensions"] = (*extensions, "map")
        return super().create_compressor(**kwargs)

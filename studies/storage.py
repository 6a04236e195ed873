"""Kept for migration studies 0002, which names this module; the storage lives in core."""

from core.storage import PrivateStorage, private_storage

__all__ = ["PrivateStorage", "private_storage"]

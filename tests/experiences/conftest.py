"""Fixtures of the consultant-workspace tests (defined in workspace_helpers)."""

from .workspace_helpers import brest, concertation, rennes, reviewer, tiers_lieux  # noqa: F401

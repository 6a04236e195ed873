"""Fixtures of the consultant-workspace tests (workspace_helpers) and of the semantic tests (semantic_world)."""

from .semantic_world import insider, world  # noqa: F401
from .workspace_helpers import brest, concertation, rennes, reviewer, tiers_lieux  # noqa: F401

"""API side of the rate limits (core/throttling.py): anonymous and signed-in limits apply
to every API view (settings); exports use the "exports" scope, shared with the HTML
export views."""

from __future__ import annotations

from core.throttling import throttle, throttle_class

ExportRateThrottle = throttle_class("exports")
throttle_exports = throttle("exports")

__all__ = ["ExportRateThrottle", "throttle_exports"]

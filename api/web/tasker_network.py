"""A tasker's network on the web: hand-off offers in and out, connections (requests, accept,
block) and endorsements."""

from __future__ import annotations

from api.web.site import bp

__all__ = ["bp"]

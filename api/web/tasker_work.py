"""A tasker's work on the web: the feed (why each task is there, and an Accept button), the tasks
they hold (start, complete with minutes and a reason, give back, hand off, the conversation)."""

from __future__ import annotations

from api.web.site import bp

__all__ = ["bp"]

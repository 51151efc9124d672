"""Time for the domain: now in UTC, and turning a caller's aware time into UTC without overflowing."""

from __future__ import annotations

from datetime import datetime, timezone

from events.sqltypes import utcnow  # the clock every table and event is stamped by

__all__ = ["to_utc", "utcnow"]


def to_utc(when: datetime) -> datetime | None:
    """`when` in UTC, or None when it is naive or so near the calendar's ends that UTC overflows
    (9999-12-31T23:59:59-14:00, say)."""
    if when.tzinfo is None or when.utcoffset() is None:
        return None
    try:
        return when.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None

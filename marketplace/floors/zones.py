"""Regions' time zones: a region's clients enter and read times on its local clock, and the
market's days are its local days. Everything stored stays in UTC; these turn it into local time
and back, exactly across daylight-saving changes (a local day may last 23 or 25 hours, and the 24 h
rules stay 24 hours of elapsed time)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlmodel import Session, select

from marketplace.floors.models import Region

UTC = ZoneInfo("UTC")


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The zone named `name` (an IANA name such as America/Los_Angeles); KeyError if unknown."""
    if name not in _names():
        raise KeyError(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - listed but unreadable
        raise KeyError(name) from None


@lru_cache(maxsize=1)
def _names() -> frozenset[str]:
    return frozenset(available_timezones())


def is_zone(name: str) -> bool:
    return isinstance(name, str) and name in _names()


def zones_of(session: Session) -> dict[str, ZoneInfo]:
    """Every region's zone, by slug (a region with an unreadable zone falls back to UTC)."""
    found = {}
    for slug, name in session.exec(select(Region.slug, Region.timezone)):
        try:
            found[slug] = zone(name)
        except KeyError:
            found[slug] = UTC
    return found


def zone_of(session: Session, region: str) -> ZoneInfo:
    row = session.get(Region, region)
    try:
        return zone(row.timezone) if row is not None else UTC
    except KeyError:
        return UTC


def local(at: datetime, tz: ZoneInfo) -> datetime:
    return at.astimezone(tz)


def label(at: datetime, tz: ZoneInfo) -> str:
    """How a page shows a moment: "2026-03-08 10:00 PDT" (the zone's abbreviation on that day)."""
    here = at.astimezone(tz)
    return f"{here:%Y-%m-%d %H:%M} {here.tzname()}"


class LocalTimeError(ValueError):
    pass


def from_local(wall: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock time (naive) in `tz`, in UTC. A time the clocks skip (02:30 on the night they
    spring forward) is refused; a time that happens twice (01:30 on the night they fall back) is
    the first of the two, and pages show the zone's abbreviation so the client sees which."""
    if wall.tzinfo is not None:
        raise LocalTimeError("Give a wall-clock time without an offset.")
    aware = wall.replace(tzinfo=tz, fold=0)
    try:
        utc = aware.astimezone(timezone.utc)
        back = utc.astimezone(tz).replace(tzinfo=None)
    except (OverflowError, ValueError):
        raise LocalTimeError(f"{wall:%Y-%m-%d %H:%M} is too near the calendar's end.") from None
    if back != wall:
        raise LocalTimeError(
            f"{wall:%Y-%m-%d %H:%M} does not exist in {tz.key}: the clocks skip that hour. Choose a time after it."
        )
    return utc


def local_day(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The UTC moment local `day` begins (midnight, or the first moment after it that exists)."""
    return from_local_lenient(datetime.combine(day, time(0, 0)), tz)


def from_local_lenient(wall: datetime, tz: ZoneInfo) -> datetime:
    """As from_local, but a skipped wall time moves forward to the first moment that exists."""
    try:
        return from_local(wall, tz)
    except LocalTimeError:
        return (wall.replace(tzinfo=tz, fold=1)).astimezone(timezone.utc)


def day_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start of local day `first`, start of the local day after `last`), in UTC."""
    return day_start(first, tz), day_start(last + timedelta(days=1), tz)


def month_days(month: str) -> tuple[date, date]:
    """The first and last day of "YYYY-MM"; ValueError when it is not one."""
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except (TypeError, ValueError):
        raise ValueError(f"{month!r} is not a month: write it as YYYY-MM, e.g. 2026-11.") from None
    if not 2000 <= first.year <= 2100:
        raise ValueError(f"{month!r} is outside the years 2000 to 2100.")
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


# What people call the zones the regions use; any other is named by its city ("Lisbon time").
FRIENDLY = {
    "America/New_York": "Eastern time",
    "America/Detroit": "Eastern time",
    "America/Toronto": "Eastern time",
    "America/Chicago": "Central time",
    "America/Denver": "Mountain time",
    "America/Phoenix": "Mountain time (Arizona)",
    "America/Los_Angeles": "Pacific time",
    "America/Vancouver": "Pacific time",
    "America/Anchorage": "Alaska time",
    "Pacific/Honolulu": "Hawaii time",
    "Europe/London": "UK time",
    "Europe/Dublin": "Irish time",
    "Europe/Berlin": "Central European time",
    "Europe/Paris": "Central European time",
    "Europe/Madrid": "Central European time",
    "Europe/Amsterdam": "Central European time",
    "Europe/Rome": "Central European time",
    "Australia/Sydney": "Sydney time",
    "UTC": "UTC",
}


def zone_name(zone_key: str | ZoneInfo, at: datetime) -> str:
    """A zone as people name it, with its abbreviation at `at`: "Eastern time (EST)", "Central
    European time (CET)", "Lisbon time (WET)", or "UTC" (never "America/New_York")."""
    tz = zone_key if isinstance(zone_key, ZoneInfo) else zone(zone_key)
    name = FRIENDLY.get(tz.key) or f"{tz.key.rsplit('/', 1)[-1].replace('_', ' ')} time"
    abbreviation = at.astimezone(tz).tzname() or ""
    if not abbreviation or abbreviation == name or abbreviation[0] in "+-":  # "+03" says nothing more
        return name
    return f"{name} ({abbreviation})"

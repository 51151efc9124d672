"""Whose clock a person reads times about themselves on (their account's letters and pages, an
operator's view of what a tasker did): every time a person reads is on a region's clock, and this is
the one place that picks the region. A tasker reads on their first region (by name), a client on
the region of the task they posted last; an operator, or someone with no region yet, reads UTC,
and the page or letter says so.

It lives with tasks, the lowest layer that sees both a tasker's regions and a client's tasks."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from marketplace.accounts.models import Role, User
from marketplace.floors.zones import UTC, zone_of
from marketplace.taskers.models import TaskerRegion
from marketplace.tasks.models import Task


def reader_region(session: Session, user: User) -> str:
    """The region whose clock `user` reads on, or "" for none (then UTC)."""
    if user.role == Role.tasker:
        query = select(TaskerRegion.region).where(col(TaskerRegion.tasker_id) == user.id).order_by(TaskerRegion.region)
        return session.exec(query.limit(1)).first() or ""
    if user.role == Role.client:
        query = select(Task.region).where(col(Task.client_id) == user.id).order_by(col(Task.id).desc())
        return session.exec(query.limit(1)).first() or ""
    return ""


def reader_clock(session: Session, user: User) -> ZoneInfo:
    """The zone of `user`'s region (`reader_region`); UTC when they have none."""
    region = reader_region(session, user)
    return zone_of(session, region) if region else UTC

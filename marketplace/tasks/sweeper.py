"""The pricing sweeper: no posting stays unpriced unnoticed.

A task still `posted` long after posting means its task.posted was never priced: the pricing
stage was down and is lagging, or (with PostgreSQL's synchronous_commit off) a crash rolled back
its pricing after the consumer's offset had moved on. The sweeper sends such a task's task.posted
again through the outbox, with its original event id, so a group that did handle it skips it
and one that lost it prices it now. Pricing an already priced task changes nothing.

Tasks whose task.posted the pricing group marked processed (priced, or dead-lettered for
`floorboard dlq replay`) are left alone: sending them again would change nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_
from sqlmodel import col, func, select

from events.tables import EventLogRow, ProcessedEvent
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork
from marketplace.tasks.models import Task, TaskStatus
from marketplace.tasks.posting import posted_event

PRICING_GROUP = "pricing"


def _overdue(older_than_s: int):
    return and_(col(Task.status) == TaskStatus.posted, col(Task.posted_at) < utcnow() - timedelta(seconds=older_than_s))


def overdue_postings(session, older_than_s: int, limit: int = 500) -> list[Task]:
    """Tasks still `posted` more than `older_than_s` seconds after posting, oldest first."""
    return list(session.exec(select(Task).where(_overdue(older_than_s)).order_by(col(Task.posted_at)).limit(limit)))


def count_overdue_postings(session, older_than_s: int) -> int:
    return session.exec(select(func.count()).where(_overdue(older_than_s))).one()


def resend_overdue_postings(uow: UnitOfWork, older_than_s: int, limit: int = 500) -> int:
    """Send task.posted again for each overdue posting the pricing group has not processed;
    return how many were sent."""
    session = uow.session
    sent = 0
    for task in overdue_postings(session, older_than_s, limit):
        original = session.exec(
            select(EventLogRow)
            .where(col(EventLogRow.topic) == "tasks.posted", col(EventLogRow.key) == str(task.id))
            .order_by(col(EventLogRow.seq))
            .limit(1)
        ).first()
        if original is None:  # pruned from the log by retention: rebuild it from the task
            uow.emit(posted_event(task), key=str(task.id))
            sent += 1
            continue
        if session.get(ProcessedEvent, (PRICING_GROUP, original.event_id)) is not None:
            continue
        uow.outbox.add_raw(session, original.topic, original.key, original.event_id, original.value)
        sent += 1
    return sent

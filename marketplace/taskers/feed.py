"""The feed of tasks open to a tasker: authorized holds, in the tasker's regions and skills, at or
above their rate, once their tier's window has passed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from marketplace.floors.models import Category
from marketplace.taskers.levels import Window, delay_for, standing
from marketplace.taskers.models import TaskerRegion, TaskerSkill
from marketplace.tasks.models import Task, TaskQuote, TaskStatus


def _open_clauses(session: Session, tasker_id: int, window: Window, now: datetime, unclaimed: bool = True):
    """SQL conditions for the tasks this tasker may take now, or None if there can be none.
    `unclaimed=False` leaves out "still priced", for an accept whose UPDATE settles that itself."""
    regions = list(session.exec(select(TaskerRegion.region).where(col(TaskerRegion.tasker_id) == tasker_id)))
    skills = session.exec(select(TaskerSkill).where(col(TaskerSkill.tasker_id) == tasker_id)).all()
    st = standing(session, tasker_id)
    by_category = []
    for skill in skills:
        category = session.get(Category, skill.category)
        if category is None or not st.may_work(category):
            continue
        cutoff = now - delay_for(window, st.tier(skill.category))
        by_category.append(
            and_(col(Task.category) == skill.category, col(TaskQuote.rate) >= skill.rate, col(Task.priced_at) <= cutoff)
        )
    if not regions or not by_category:
        return None
    clause = and_(
        col(Task.payment_status) == "authorized",
        col(Task.starts_at) > now,
        col(Task.region).in_(regions),
        or_(*by_category),
    )
    return and_(col(Task.status) == TaskStatus.priced, clause) if unclaimed else clause


def _with_quote(query):
    return query.join(TaskQuote, and_(col(TaskQuote.task_id) == Task.id, col(TaskQuote.kind) == "posted"))


def feed(
    session: Session, tasker_id: int, window: Window, now: datetime, page: int, page_size: int
) -> tuple[list[Task], int]:
    """One page of the tasks open to this tasker, soonest start first, and how many there are."""
    clause = _open_clauses(session, tasker_id, window, now)
    if clause is None:
        return [], 0
    total = session.exec(_with_quote(select(func.count(col(Task.id)))).where(clause)).one()
    tasks = session.exec(
        _with_quote(select(Task))
        .where(clause)
        .order_by(col(Task.starts_at), Task.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(tasks), total


def is_open_to(
    session: Session, tasker_id: int, task_id: int, window: Window, now: datetime, unclaimed: bool = True
) -> bool:
    clause = _open_clauses(session, tasker_id, window, now, unclaimed)
    if clause is None:
        return False
    return session.exec(_with_quote(select(func.count(col(Task.id)))).where(clause, col(Task.id) == task_id)).one() == 1

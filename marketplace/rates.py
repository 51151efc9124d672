"""Taskers' own rates never sit below the floor: when a floor rises above one, it is raised.

A tasker sets one rate per category but may work in several regions; the floor that binds the
rate is the highest one in force among their regions. The raise is recorded (`raised_from`,
`raised_at`) so the tasker is told in their skills view.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from marketplace.floors import current_rule
from marketplace.models import TaskerRegion, TaskerSkill


def binding_floor(session, tasker_id: int, category: str, at: datetime) -> int | None:
    regions = session.exec(select(TaskerRegion.region).where(TaskerRegion.tasker_id == tasker_id))
    floors = [rule.hourly_floor for r in regions if (rule := current_rule(session, category, r, at))]
    return max(floors, default=None)


def raise_rates_to_floors(uow, at: datetime, category: str | None = None) -> list[TaskerSkill]:
    """Raise every rate (in one category, or all) that is below its binding floor at `at`."""
    session = uow.session
    query = select(TaskerSkill)
    if category is not None:
        query = query.where(TaskerSkill.category == category)
    raised = []
    for skill in session.exec(query):
        floor = binding_floor(session, skill.tasker_id, skill.category, at)
        if floor is not None and skill.rate < floor:
            skill.raised_from, skill.rate, skill.raised_at = skill.rate, floor, at
            session.add(skill)
            raised.append(skill)
    return raised

"""Taskers' own rates never sit below the floor: when a floor rises above one, it is raised. When
the floor comes down again (a typo rolled back, say), the raise is undone as far as the floor
allows, back to the rate the tasker chose, unless the tasker has set a rate themselves since.

A tasker sets one rate per category but may work in several regions; the floor that binds the
rate is the highest one in force among their regions. The raise is recorded (`raised_from`,
`raised_at`) so the tasker is told in their skills view.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from marketplace.db import UnitOfWork
from marketplace.floors.versions import current_rule
from marketplace.taskers.models import TaskerRegion, TaskerSkill


def binding_floor(session, tasker_id: int, category: str, at: datetime) -> int | None:
    regions = session.exec(select(TaskerRegion.region).where(col(TaskerRegion.tasker_id) == tasker_id))
    floors = [rule.hourly_floor for r in regions if (rule := current_rule(session, category, r, at))]
    return max(floors, default=None)


def raise_rates_to_floors(uow: UnitOfWork, at: datetime, category: str | None = None) -> list[TaskerSkill]:
    """Raise every rate (in one category, or all) that is below its binding floor at `at`, and
    lower every rate a floor raised to what the floor still requires (never below the tasker's own
    choice, kept in `raised_from`). Returns the skills changed."""
    session = uow.session
    query = select(TaskerSkill)
    if category is not None:
        query = query.where(col(TaskerSkill.category) == category)
    changed = []
    for skill in session.exec(query):
        floor = binding_floor(session, skill.tasker_id, skill.category, at)
        if floor is not None and skill.rate < floor:
            own = skill.raised_from if skill.raised_from is not None else skill.rate
            skill.raised_from, skill.rate, skill.raised_at = own, floor, at
        elif skill.raised_from is not None and skill.rate > max(skill.raised_from, floor or 0):
            skill.rate = max(skill.raised_from, floor or 0)
            if skill.rate == skill.raised_from:  # wholly undone: the tasker's own rate again
                skill.raised_from, skill.raised_at = None, None
            else:
                skill.raised_at = at
        else:
            continue
        session.add(skill)
        changed.append(skill)
    return changed

"""Taskers' own rates never sit below the floor: when a region's floor rises above a tasker's rate
there, that region's rate is lifted to it, and only that region's. When the floor comes down again
(a typo rolled back, say), the lift is undone as far as the floor allows, back to the rate the
tasker chose there, unless the tasker has set a rate themselves since.

A skill has one rate for every region and may have a rate of its own in a region
(`TaskerRegionRate`); a lift is such a row. It records `raised_from` (the tasker's own rate there)
and `raised_at`, so the tasker is told in their skills view; a lifted row the tasker never chose
goes once the lift is wholly undone, and the region follows the skill's rate again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from marketplace.db import UnitOfWork
from marketplace.floors.versions import rules_in_force
from marketplace.taskers.models import TaskerRegion, TaskerRegionRate, TaskerSkill


@dataclass(frozen=True)
class Lift:
    """A region's rate that a floor moved: up to the floor, or back down towards the tasker's own."""

    tasker_id: int
    category: str
    region: str
    before: int
    after: int


def raise_rates_to_floors(uow: UnitOfWork, at: datetime, category: str | None = None) -> list[Lift]:
    """Lift every region's rate (in one category, or all) that is below that region's floor at
    `at`, and lower every lifted one to what its floor still requires (never below the tasker's own
    choice there). Returns what moved."""
    session = uow.session
    floors = {key: rule.hourly_floor for key, rule in rules_in_force(session, at).items()}
    skills = select(TaskerSkill)
    own = select(TaskerRegionRate)
    if category is not None:
        skills = skills.where(col(TaskerSkill.category) == category)
        own = own.where(col(TaskerRegionRate.category) == category)
    rows = {(r.tasker_id, r.category, r.region): r for r in session.exec(own)}
    regions: dict[int, list[str]] = {}
    for tasker_id, region in session.exec(select(TaskerRegion.tasker_id, TaskerRegion.region)):
        regions.setdefault(tasker_id, []).append(region)
    moved = []
    for skill in session.exec(skills).all():
        for region in regions.get(skill.tasker_id, []):
            floor = floors.get((skill.category, region))
            row = rows.get((skill.tasker_id, skill.category, region))
            before = row.rate if row is not None else skill.rate
            after = _moved(session, skill, region, row, floor, at)
            if after is not None and after != before:
                moved.append(Lift(skill.tasker_id, skill.category, region, before, after))
    session.flush()
    return moved


def _moved(
    session: Session, skill: TaskerSkill, region: str, row: TaskerRegionRate | None, floor: int | None, at: datetime
) -> int | None:
    """Move one region's rate as its floor requires; its new rate, or None if it stays."""
    current = row.rate if row is not None else skill.rate
    if floor is not None and current < floor:
        if row is None:
            row = TaskerRegionRate(
                tasker_id=skill.tasker_id,
                category=skill.category,
                region=region,
                rate=floor,
                chosen=False,
                raised_from=skill.rate,
                raised_at=at,
            )
        else:
            row.raised_from = row.raised_from if row.raised_from is not None else row.rate
            row.rate, row.raised_at = floor, at
        session.add(row)
        return floor
    if row is None or row.raised_from is None:
        return None
    # A lift the tasker did not choose follows the skill's rate; a chosen one, the rate chosen there.
    own = row.raised_from if row.chosen else skill.rate
    target = max(own, floor or 0)
    if row.rate < target or (row.rate == target and (row.chosen or target != own)):
        return None
    if target == own and not row.chosen:
        session.delete(row)  # wholly undone: the region follows the skill's rate again
    elif target == own:
        row.rate, row.raised_from, row.raised_at = own, None, None
        session.add(row)
    else:
        row.rate, row.raised_at = target, at
        session.add(row)
    return target


def own_rate(rate: TaskerSkill | TaskerRegionRate) -> int:
    """The rate the tasker chose, before any lift a floor rise made to it: a skill's rate (in each
    region without one of its own, and never lifted), or a region's own rate (which a rise lifts)."""
    if isinstance(rate, TaskerRegionRate) and rate.raised_from is not None:
        return min(rate.rate, rate.raised_from)
    return rate.rate


def own_rates_in(session: Session, region: str, skills: Iterable[TaskerSkill]) -> dict[tuple[int, str], int]:
    """(tasker, category) -> the rate each of these skills' taskers chose for it in `region`: the
    region's own rate where there is one (before any lift a floor rise made to it), the skill's rate
    elsewhere; as `own_rate` reads it, for many taskers in one query."""
    skills = list(skills)
    found = {(s.tasker_id, s.category): s.rate for s in skills}
    if not found:
        return found
    rows = session.exec(
        select(TaskerRegionRate).where(
            col(TaskerRegionRate.region) == region,
            col(TaskerRegionRate.tasker_id).in_({t for t, _ in found}),
            col(TaskerRegionRate.category).in_({c for _, c in found}),
        )
    )
    for row in rows:
        if (row.tasker_id, row.category) in found:
            found[row.tasker_id, row.category] = own_rate(row)
    return found

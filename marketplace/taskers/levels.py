"""The levels a tasker has unlocked (general, skilled from reputation, licensed by an operator's
verification) and how long after pricing a tier sees a task."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, exists, func, or_
from sqlalchemy import case as sql_case
from sqlalchemy import select as sql_select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from marketplace.accounts.models import Role, User
from marketplace.community.models import Reputation
from marketplace.community.scoring import SKILLED_MIN_COMPLETED, SKILLED_MIN_TIER, TIER_ORDER
from marketplace.db import UnitOfWork
from marketplace.errors import Invalid, NotFound
from marketplace.floors.models import Category, Level
from marketplace.taskers.models import MentoredUnlock, TaskerLicense

Window = tuple[tuple[str, int], ...]  # (tier, seconds after pricing before that tier sees a task)


@dataclass
class Standing:
    """What a tasker has earned: a tier per category, and the levels that opens."""

    tiers: dict[str, str] = field(default_factory=dict)
    completed: int = 0
    licensed: set[str] = field(default_factory=set)
    mentored: set[str] = field(default_factory=set)  # skilled categories opened by two mentors' endorsements

    @property
    def skilled(self) -> bool:
        best = max((TIER_ORDER[t] for t in self.tiers.values()), default=0)
        return self.completed >= SKILLED_MIN_COMPLETED and best >= TIER_ORDER[SKILLED_MIN_TIER]

    def tier(self, category: str) -> str:
        return self.tiers.get(category, "newcomer")

    def may_work(self, category: Category) -> bool:
        if category.level == Level.licensed:
            return category.slug in self.licensed
        if category.level == Level.skilled:
            return self.skilled or category.slug in self.mentored
        return True


def standing(session: Session, tasker_id: int) -> Standing:
    reps = session.exec(select(Reputation).where(col(Reputation.tasker_id) == tasker_id)).all()
    licensed = set(session.exec(select(TaskerLicense.category).where(col(TaskerLicense.tasker_id) == tasker_id)))
    mentored = set(session.exec(select(MentoredUnlock.category).where(col(MentoredUnlock.tasker_id) == tasker_id)))
    return Standing({r.category: r.tier for r in reps}, sum(r.completed for r in reps), licensed, mentored)


def may_work_clause(tasker_id, category, level) -> ColumnElement[bool]:
    """`Standing.may_work` as one SQL condition, for many taskers at once (the announcer's query):
    `tasker_id`, `category` and `level` are the columns of the row being tested."""
    rep = aliased(Reputation)
    best_tier = sql_case(*[(col(rep.tier) == tier, order) for tier, order in TIER_ORDER.items()], else_=0)
    of_tasker = col(rep.tasker_id) == tasker_id
    completed = sql_select(func.coalesce(func.sum(col(rep.completed)), 0)).where(of_tasker).correlate_except(rep)
    best = sql_select(func.coalesce(func.max(best_tier), 0)).where(of_tasker).correlate_except(rep)
    skilled = and_(
        completed.scalar_subquery() >= SKILLED_MIN_COMPLETED,
        best.scalar_subquery() >= TIER_ORDER[SKILLED_MIN_TIER],
    )
    licensed = exists().where(col(TaskerLicense.tasker_id) == tasker_id, col(TaskerLicense.category) == category)
    mentored = exists().where(col(MentoredUnlock.tasker_id) == tasker_id, col(MentoredUnlock.category) == category)
    return or_(
        and_(level == Level.licensed, licensed),
        and_(level == Level.skilled, or_(skilled, mentored)),
        level.not_in([Level.licensed, Level.skilled]),
    )


def delay_for(window: Window, tier: str) -> timedelta:
    seconds = dict(window)
    return timedelta(seconds=seconds.get(tier, max(seconds.values(), default=0)))


def verify_license(uow: UnitOfWork, operator_id: int, tasker_id: int, category: str, note: str = "") -> TaskerLicense:
    session = uow.session
    tasker = session.get(User, tasker_id)
    if tasker is None or tasker.role != Role.tasker:
        raise NotFound(f"No tasker {tasker_id}.")
    cat = session.get(Category, category)
    if cat is None or cat.level != Level.licensed:
        raise Invalid(
            "Only licensed categories need a verification.", {"category": [f"{category!r} is not a licensed category."]}
        )
    row = session.get(TaskerLicense, (tasker_id, category))
    if row is None:
        row = TaskerLicense(tasker_id=tasker_id, category=category, verified_by=operator_id, note=note)
        session.add(row)
        session.flush()
    return row

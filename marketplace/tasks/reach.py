"""Who could ever see a priced task: the taskers with its category's skill, in its region, at the
level it needs, whose own rate there (the region's own rate, or the skill's) is at or below its
rate. A task nobody could see is *stranded*, and its client is told what would change that (a
higher offer, a later start); `floorboard audit` lists every stranded task that is booked and
waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.floors.models import Category, Level, Region
from marketplace.taskers.levels import standing
from marketplace.taskers.models import TaskerRegion, TaskerSkill
from marketplace.taskers.rates import own_rates_in
from marketplace.tasks.models import Task, TaskQuote, TaskStatus
from pricing.money import format_cents


@dataclass(frozen=True)
class Reach:
    taskers: int  # could take it (now, or once their tier's window passes)
    asking_more: int  # have the skill, region and level, but their own rate is above the task's
    lowest_asked: int | None  # the lowest of those rates, cents an hour
    start_passed: bool

    @property
    def stranded(self) -> bool:
        return self.taskers == 0 or self.start_passed

    def advice(self, rate: int, category: str, region: str) -> list[str]:
        """What would change a stranded task, in the client's words; empty when it is not stranded."""
        said = []
        if self.start_passed:
            said.append(
                "The start time has passed, so no tasker can take this task any more. Cancel it (free: "
                "nobody accepted it) and post it again with a later start."
            )
        elif self.taskers == 0 and self.lowest_asked is not None:
            said.append(
                f"No tasker with the skill “{category}” in {region} works at this task's rate of "
                f"{format_cents(rate)}/h: "
                + (
                    f"the one tasker with it asks {format_cents(self.lowest_asked)}/h. "
                    if self.asking_more == 1
                    else f"the {self.asking_more} taskers with it ask {format_cents(self.lowest_asked)}/h or more. "
                )
                + f"An offer of at least {format_cents(self.lowest_asked)}/h would open it to them: cancel this "
                "task (free: nobody accepted it) and post it again with that offer."
            )
        elif self.taskers == 0:
            said.append(
                f"No tasker has the skill “{category}” in {region} yet. The task stays open and the first tasker who "
                "adds the skill will see it; a later start gives them more time to."
            )
        return said


def _candidates(session: Session, category: Category, region: str) -> list[TaskerSkill]:
    """Skills in this category of active taskers who work in this region and may work its level."""
    skills = list(
        session.exec(
            select(TaskerSkill)
            .join(TaskerRegion, col(TaskerRegion.tasker_id) == TaskerSkill.tasker_id)
            .join(User, col(User.id) == TaskerSkill.tasker_id)
            .where(
                col(TaskerSkill.category) == category.slug,
                col(TaskerRegion.region) == region,
                col(User.is_active).is_(True),
            )
        )
    )
    if category.level == Level.general:
        return skills
    return [s for s in skills if standing(session, s.tasker_id).may_work(category)]


def _reach(rates: list[int], rate: int, starts_at: datetime, now: datetime) -> Reach:
    above = [r for r in rates if r > rate]
    return Reach(
        taskers=len(rates) - len(above),
        asking_more=len(above),
        lowest_asked=min(above, default=None),
        start_passed=starts_at <= now,
    )


def _rates_for(session: Session, category: str, region: str) -> list[int]:
    """The own rate in this region of each tasker who could take this category's work there."""
    cat = session.get(Category, category)
    skills = _candidates(session, cat, region) if cat is not None else []
    return list(own_rates_in(session, region, skills).values())


RatesCache = dict[tuple[str, str], list[int]]


def reach_view(
    session: Session, task: Task, now: datetime, rate: int | None = None, cache: RatesCache | None = None
) -> dict | None:
    """A task's reach while it waits for a tasker (priced), as its client's page and the API show
    it; None at any other status. A page of tasks passes each one's posted `rate` (already read)
    and one `cache`, so the taskers of a category and region are looked up once per page."""
    if task.status != TaskStatus.priced:
        return None
    if rate is None:
        rate = session.exec(
            select(TaskQuote.rate).where(col(TaskQuote.task_id) == task.id, col(TaskQuote.kind) == "posted")
        ).first()
    if rate is None:
        return None
    cache = {} if cache is None else cache
    key = (task.category, task.region)
    if key not in cache:
        cache[key] = _rates_for(session, *key)
    reach = _reach(cache[key], rate, task.starts_at, now)
    cat, reg = session.get(Category, task.category), session.get(Region, task.region)
    return {
        "taskers": reach.taskers,
        "stranded": reach.stranded,
        "asking_more": reach.asking_more,
        "lowest_asked": reach.lowest_asked,
        "start_passed": reach.start_passed,
        "advice": reach.advice(rate, cat.name if cat else task.category, reg.name if reg else task.region),
    }


def stranded_tasks(session: Session, now: datetime) -> list[tuple[Task, Reach]]:
    """Booked tasks waiting for a tasker that no tasker could ever see, for the audit."""
    rows = session.exec(
        select(Task, TaskQuote.rate)
        .join(TaskQuote, (col(TaskQuote.task_id) == Task.id) & (col(TaskQuote.kind) == "posted"))
        .where(col(Task.status) == TaskStatus.priced, col(Task.payment_status) == "authorized")
        .order_by(col(Task.id))
    ).all()
    rates: RatesCache = {}
    found = []
    for task, rate in rows:
        key = (task.category, task.region)
        if key not in rates:
            rates[key] = _rates_for(session, *key)
        reach = _reach(rates[key], rate, task.starts_at, now)
        if reach.stranded:
            found.append((task, reach))
    return found

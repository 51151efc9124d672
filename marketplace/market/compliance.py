"""The legal-minimum compliance report: every task completed in a region in a month (its local
month) whose pay fell under the legal minimum in force when it was completed, per minute worked,
per hour worked or per task. It reads the tasks and their final quotes, not the projection: it is
what an operator hands an inspector."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from marketplace.errors import Invalid, NotFound
from marketplace.floors.legal import history, in_force, required_pay
from marketplace.floors.models import LegalMinimumVersion, Region
from marketplace.floors.zones import day_bounds, label, month_days, zone_of
from marketplace.tasks.models import Adjustment, AdjustmentStatus, Task, TaskQuote, TaskStatus


@dataclass(frozen=True)
class Shortfall:
    task_id: int
    category: str
    tasker_id: int | None
    completed_at: datetime
    completed_local: str
    minutes_worked: int
    payout: int  # cents the tasker was paid (the final quote's payout)
    rule: str  # per minute, per hour or per task
    required: int  # cents that rule asks for this task
    shortfall: int  # required - payout
    source: str  # the law in force that day
    ruling_pending: bool = False  # the client disputed the tasker's claim and no operator has ruled yet

    def record(self) -> dict:
        return {
            "task_id": self.task_id,
            "category": self.category,
            "tasker_id": self.tasker_id,
            "completed_at": self.completed_at.isoformat(),
            "completed_local": self.completed_local,
            "minutes_worked": self.minutes_worked,
            "payout": self.payout,
            "rule": self.rule,
            "required": self.required,
            "shortfall": self.shortfall,
            "source": self.source,
            "ruling_pending": self.ruling_pending,
        }


@dataclass(frozen=True)
class Report:
    region: str
    timezone: str
    month: str
    checked: int  # completed tasks in the month
    without_minimum: int  # of them, completed while no legal minimum was in force
    shortfalls: list[Shortfall]

    @property
    def clean(self) -> bool:
        return not self.shortfalls


def under_minimum(minutes: int, payout: int, minimum: LegalMinimumVersion) -> list[tuple[str, int]]:
    """The parts of `minimum` that a payout of `payout` cents for `minutes` worked falls under, each
    with what it asks: [] when the pay is lawful. The report and a ruling on a claim both ask this."""
    asked = required_pay(minutes, minimum.per_minute, minimum.per_hour, minimum.per_task)
    return [(rule, required) for rule, required in asked if payout < required]


def report(session: Session, region: str, month: str) -> Report:
    place = session.get(Region, region[:64]) if isinstance(region, str) else None
    if place is None:
        raise NotFound(f"No region {region!r}.", {"region": [f"No region {region!r}."]})
    try:
        first, last = month_days(month)
    except ValueError as exc:
        raise Invalid("Check the month.", {"month": [str(exc)]}) from None
    tz = zone_of(session, region)
    start, end = day_bounds(first, last, tz)
    tasks = list(
        session.exec(
            select(Task)
            .where(
                col(Task.region) == region,
                col(Task.status) == TaskStatus.completed,
                col(Task.completed_at) >= start,
                col(Task.completed_at) < end,
            )
            .order_by(col(Task.completed_at), col(Task.id))
        )
    )
    finals: dict[int, TaskQuote] = {}
    if tasks:
        rows = session.exec(
            select(TaskQuote)
            .where(col(TaskQuote.task_id).in_([t.id for t in tasks]), col(TaskQuote.kind) == "final")
            .order_by(col(TaskQuote.id))
        )
        finals = {q.task_id: q for q in rows}  # the latest final quote of each task
    minimums = history(session, region)
    disputed = set()
    if tasks:  # claims an operator has yet to rule on: the booked amount was paid meanwhile
        disputed = set(
            session.exec(
                select(Adjustment.task_id).where(
                    col(Adjustment.task_id).in_([t.id for t in tasks]),
                    col(Adjustment.status) == AdjustmentStatus.disputed,
                )
            )
        )
    shortfalls, without = [], 0
    for task in tasks:
        assert task.completed_at is not None
        minimum = in_force(minimums, task.completed_at)
        quote = finals.get(task.id)
        if minimum is None:
            without += 1
            continue
        if quote is None:
            continue  # completed without a final price: no pay decided to check (the audit flags it)
        minutes = task.minutes_worked or 0
        for rule, required in under_minimum(minutes, quote.payout, minimum):
            shortfalls.append(
                Shortfall(
                    task.id,
                    task.category,
                    task.tasker_id,
                    task.completed_at,
                    label(task.completed_at, tz),
                    minutes,
                    quote.payout,
                    rule,
                    required,
                    required - quote.payout,
                    minimum.source,
                    task.id in disputed,
                )
            )
    return Report(region, tz.key, month, len(tasks), without, shortfalls)

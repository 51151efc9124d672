"""The market projection (group "market"): tasks.priced, tasks.lifecycle, payments.events,
tips.activity and community.activity in; counts per category x region x local day out.

Only counts are kept, each added by an atomic `SET n = n + k`, so two workers of the group never
lose each other's additions and a chunk of events writes each row once. Facts about one task that
arrive on different topics (its pricing, its acceptance, a transfer) meet in `market_tasks`:
whichever arrives second adds them to the task's cohort day, so the result does not depend on the
order the topics are read in, and `floorboard replay market` rebuilds it equal to live.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, update
from sqlmodel import Session, col, select

from events.envelope import CloudEvent
from events.payloads import TaskAdjustment, TaskCancelled, TaskCompleted, view_of
from marketplace.db import UnitOfWork, insert_many_if_absent
from marketplace.floors.published import floor_versions
from marketplace.floors.zones import UTC, local_day, zone, zones_of
from marketplace.market.models import (
    ACCEPT_BUCKETS_S,
    COUNTERS,
    MarketAcceptBucket,
    MarketCommunityDay,
    MarketDay,
    MarketTask,
)

MARKET_TYPES = (
    "task.priced",
    "task.accepted",
    "task.cancelled",
    "task.handed_off",
    "task.adjustment_requested",
    "task.adjustment_decided",
    "task.completed",
    "payment.transferred",
    "tip.posted",
    "tip.voted",
    "question.asked",
    "answer.posted",
    "endorsement.given",
)

DayKey = tuple[str, str, date]  # (category, region, local day)

COMMUNITY = {
    "tip.posted": "tips",
    "tip.voted": "tip_votes",
    "question.asked": "questions",
    "answer.posted": "answers",
    "endorsement.given": "endorsements",
}


def bucket_for(seconds: float) -> int:
    """The upper bound of the bucket `seconds` falls in."""
    return next(upper for upper in ACCEPT_BUCKETS_S if seconds <= upper)


class _Fold:
    """A chunk's additions, before they are written."""

    def __init__(self, session: Session, events: list[CloudEvent]):
        self.days: dict[DayKey, Counter[str]] = defaultdict(Counter)
        self.buckets: Counter[tuple[str, str, date, int]] = Counter()
        self.community: dict[tuple[str, str, date], Counter[str]] = defaultdict(Counter)
        self.zones = zones_of(session)
        self.clocks = sorted({z.key for z in self.zones.values()} or {"UTC"})
        ids = sorted(
            {int(e.data["task_id"]) for e in events if e.type in _TASK_FACTS and e.data.get("status") != "rejected"}
        )
        self.tasks = _locked_tasks(session, ids)
        priced = [e.data for e in events if e.type == "task.priced" and e.data.get("quote")]
        self.floors = {
            key: row.hourly_floor
            for key, row in floor_versions(
                session, {(d["category"], d["region"], d["quote"]["rule_version"]) for d in priced}
            ).items()
        }

    def day(self, region: str, at: datetime) -> date:
        return local_day(at, self.zones.get(region, UTC))

    def add(self, event: CloudEvent) -> None:
        kind, data = event.type, event.data
        if kind in COMMUNITY:
            for clock in self.clocks:  # one count per regions' clock: each region reads its own days
                self.community[(data["category"], clock, local_day(data["at"], zone(clock)))][COMMUNITY[kind]] += 1
        elif kind == "task.priced":
            self._priced(data)
        elif kind == "task.accepted":
            self._accepted(data["task_id"], data["at"])
        elif kind == "payment.transferred":
            self._transferred(data["task_id"], data["amount"])
        else:
            self._lifecycle(event)

    def _priced(self, data: dict[str, Any]) -> None:
        category, region, at = data["category"], data["region"], data["priced_at"]
        day = self.day(region, at)
        if data["status"] == "rejected":
            self.days[(category, region, day)]["rejected"] += 1
            return
        task = self.tasks[data["task_id"]]
        if task.day is not None:
            return  # priced once; a second pricing of the same task adds nothing
        task.category, task.region, task.day, task.priced_at = category, region, day, at
        counts = self.days[(category, region, day)]
        counts["priced"] += 1
        floor = self.floors.get((category, region, data["quote"]["rule_version"]))
        counts["above_floor" if floor is not None and data["quote"]["rate"] > floor else "at_floor"] += 1
        if task.accepted_at is not None:
            self._count_acceptance(task)
        if task.held_paid_out:
            counts["paid_out"] += task.held_paid_out
            task.held_paid_out = 0

    def _accepted(self, task_id: int, at: datetime) -> None:
        task = self.tasks[task_id]
        if task.accepted_at is not None:
            return  # held already (a hand-off keeps it filled): the fill rate counts a task once
        task.accepted_at = at
        if task.day is not None:
            self._count_acceptance(task)

    def _given_back(self, task_id: int) -> None:
        """The tasker gave the task back: it is no longer filled, and the acceptance that stood
        leaves the time to accept; accepted again, the new acceptance counts."""
        task = self.tasks[task_id]
        if task.accepted_at is None:
            return
        if task.day is not None:
            self._count_acceptance(task, -1)
        task.accepted_at = None

    def _count_acceptance(self, task: MarketTask, sign: int = 1) -> None:
        assert task.category and task.region and task.day and task.priced_at and task.accepted_at
        waited = max(0, int((task.accepted_at - task.priced_at).total_seconds()))
        self.days[(task.category, task.region, task.day)]["accepted"] += sign
        self.days[(task.category, task.region, task.day)]["accept_seconds"] += sign * waited
        self.buckets[(task.category, task.region, task.day, bucket_for(waited))] += sign

    def _transferred(self, task_id: int, amount: int) -> None:
        task = self.tasks[task_id]
        if task.day is None:
            task.held_paid_out += amount
        else:
            assert task.category and task.region
            self.days[(task.category, task.region, task.day)]["paid_out"] += amount

    def _lifecycle(self, event: CloudEvent) -> None:
        view = view_of(event)
        counts = self.days[(view.category, view.region, self.day(view.region, view.at))]
        if isinstance(view, TaskCancelled):
            if view.cancelled_by in ("client", "tasker"):  # the platform's own closing is neither side's
                counts[f"cancelled_by_{view.cancelled_by}"] += 1
            if view.cancelled_by == "tasker":
                self._given_back(view.task_id)
        elif isinstance(view, TaskCompleted):
            counts["completed"] += 1
            counts["minutes_worked"] += view.minutes_worked
            counts["payout"] += view.quote["payout"]
        elif isinstance(view, TaskAdjustment):
            if event.type == "task.adjustment_requested":
                counts["adjustments_claimed"] += 1
            elif view.status in ("approved", "disputed"):
                counts[f"adjustments_{view.status}"] += 1
        elif event.type == "task.handed_off":
            counts["handoffs"] += 1


_TASK_FACTS = ("task.priced", "task.accepted", "task.cancelled", "payment.transferred")


def _locked_tasks(session: Session, ids: list[int]) -> dict[int, MarketTask]:
    if not ids:
        return {}
    insert_many_if_absent(session, MarketTask, [{"task_id": i} for i in ids])
    rows = session.exec(
        select(MarketTask)
        .where(col(MarketTask.task_id).in_(ids))
        .order_by(col(MarketTask.task_id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.task_id: row for row in rows}


def _add_counts(session: Session, model, keys: tuple[str, ...], counters: tuple[str, ...], rows: dict) -> None:
    """Create the rows that are missing, then add each row's counts in one executemany UPDATE."""
    if not rows:
        return
    ordered = sorted(rows.items())
    insert_many_if_absent(session, model, [dict(zip(keys, key, strict=True)) for key, _ in ordered])
    table = model.__table__
    statement = (
        update(table)
        .where(*(table.c[k] == bindparam(f"k_{k}") for k in keys))
        .values({c: table.c[c] + bindparam(f"d_{c}") for c in counters})
    )
    params = [
        {**{f"k_{k}": v for k, v in zip(keys, key, strict=True)}, **{f"d_{c}": counts.get(c, 0) for c in counters}}
        for key, counts in ordered
    ]
    session.connection().execute(statement, params)


def _drop_empty(session: Session, model, keys: tuple[str, ...], touched: list) -> None:
    """Delete the rows among `touched` whose count came down to 0."""
    if not touched:
        return
    table = model.__table__
    session.connection().execute(
        delete(table).where(*(table.c[k] == bindparam(f"k_{k}") for k in keys), table.c["count"] == 0),
        [{f"k_{k}": v for k, v in zip(keys, key, strict=True)} for key in sorted(touched)],
    )


def project_market_events(uow: UnitOfWork, events: list[CloudEvent]) -> None:
    session = uow.session
    relevant = [e for e in events if e.type in MARKET_TYPES]
    if not relevant:
        return
    fold = _Fold(session, relevant)
    for event in relevant:
        fold.add(event)
    for task in fold.tasks.values():
        session.add(task)
    session.flush()
    _add_counts(session, MarketDay, ("category", "region", "day"), COUNTERS, fold.days)
    buckets = ("category", "region", "day", "upper_s")
    added = {k: Counter(count=n) for k, n in fold.buckets.items() if n}  # counted and given back: no row
    _add_counts(session, MarketAcceptBucket, buckets, ("count",), added)
    # A bucket a give-back emptied goes, as if never filled (so replay and live agree).
    _drop_empty(session, MarketAcceptBucket, buckets, [key for key, n in fold.buckets.items() if n < 0])
    _add_counts(session, MarketCommunityDay, ("category", "zone", "day"), tuple(COMMUNITY.values()), fold.community)


def project_market_event(uow: UnitOfWork, event: CloudEvent) -> None:
    project_market_events(uow, [event])

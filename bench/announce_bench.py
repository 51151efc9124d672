"""`task.available` announcements: what a sweep costs with 2,000 subscribed taskers over 10,000
open tasks on PostgreSQL, when nothing opened and when N tasks opened, against the design it
replaced (every subscriber's whole feed each sweep), in one run on the same database.

The marketplace: 2,000 taskers, each with a `task.available` endpoint, one or two of the four
regions, two or three of the general categories and some the skilled one, a rate at the floor or
above it, tiers per category (a tenth elite, three tenths trusted, the rest newcomers); 10,000
open tasks from 500 clients, priced an hour ago, spread over the categories and regions, at two
rates. It is cut over as the migration does on a database with open tasks: they count as seen.

The old sweep is timed as it ran before (the soonest 100 tasks of each feed, a delivery
`insert_if_absent` per item), after a first sweep that wrote its deliveries: its steady state.
The tasks that open in the timed sweeps start sooner than any other, so the old sweep's 100
soonest take them in too.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import col, select

from bench.replay_bench import QUOTE  # a valid posted quote, whatever its figures
from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.community.models import Reputation
from marketplace.db import UnitOfWork
from marketplace.notifications.announce import AnnouncedTask, AnnouncementSweep, announce_available
from marketplace.notifications.webhooks import EndpointStatus, WebhookDelivery, WebhookEndpoint, new_secret, queue
from marketplace.settings import Settings
from marketplace.taskers.levels import Window
from marketplace.taskers.models import TaskerRegion, TaskerSkill
from marketplace.tasks.feed import feed
from marketplace.tasks.models import Task, TaskQuote

TASKERS = 2_000
OPEN_TASKS = 10_000
CLIENTS = 500
REGIONS = ("springfield", "riverside", "seattle", "nyc")
GENERAL = ("yard-work", "moving-help", "furniture-assembly")
SKILLED = "mounting"
OPENING = (10, 100)  # tasks opening between two sweeps
FEED_LOOKAHEAD = 100  # the old sweep's page of each feed


def per_feed_sweep(uow: UnitOfWork, window: Window, now: datetime) -> int:
    """The sweep this replaced, as it was: for each endpoint that wants `task.available`, a
    delivery per task in its tasker's feed now (its soonest 100), once per task."""
    session = uow.session
    endpoints = session.exec(
        select(WebhookEndpoint).where(
            col(WebhookEndpoint.status) == EndpointStatus.active, col(WebhookEndpoint.kinds).contains("task.available")
        )
    ).all()
    queued = 0
    for tasker_id in sorted({e.tasker_id for e in endpoints if e.wants("task.available")}):
        tasks, _ = feed(session, tasker_id, window, now, 1, FEED_LOOKAHEAD)
        for task in tasks:
            data = {
                "task_id": task.id,
                "title": task.title,
                "category": task.category,
                "region": task.region,
                "area": task.area,
                "starts_at": task.starts_at.isoformat(),
                "estimated_minutes": task.estimated_minutes,
            }
            queued += queue(uow, "task.available", tasker_id, f"available:{task.id}", data)
    return queued


def _users(session, role: str, n: int, prefix: str) -> list[int]:
    rows = [
        {"email": f"{prefix}{i}@bench.test", "password_hash": "-", "role": role, "display_name": f"{prefix} {i}"}
        for i in range(n)
    ]
    table = User.__table__  # type: ignore[attr-defined]
    return list(session.connection().execute(insert(table).returning(table.c.id), rows).scalars())


def _task_rows(clients: list[int], n: int, rng: random.Random, priced_at: datetime, starts_at) -> list[dict]:
    return [
        {
            "client_id": rng.choice(clients),
            "category": rng.choice(GENERAL + (SKILLED,)),
            "region": rng.choice(REGIONS),
            "title": f"task {i}",
            "description": "",
            "area": "",
            "address": "",
            "access_notes": "",
            "estimated_minutes": 60,
            "starts_at": starts_at(i),
            "status": "priced",
            "posted_at": priced_at,
            "priced_at": priced_at,
            "rule_version": 1,
            "payment_status": "authorized",
            "handoffs_allowed": True,
        }
        for i in range(n)
    ]


def _post(uow: UnitOfWork, rows: list[dict], rng: random.Random) -> None:
    s = uow.session
    table = Task.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), 1000):
        ids = s.connection().execute(insert(table).returning(table.c.id), rows[start : start + 1000]).scalars()
        s.connection().execute(
            insert(TaskQuote.__table__),  # type: ignore[attr-defined]
            [
                {
                    "task_id": i,
                    "kind": "posted",
                    "created_at": rows[0]["posted_at"],
                    **QUOTE,
                    "rate": rng.choice((2400, 4200)),
                }
                for i in ids
            ],
        )


def build(platform, rng: random.Random, advance=lambda k: None) -> list[int]:
    """The marketplace above; the clients' ids."""
    now = utcnow()
    with platform.uow() as uow:
        s = uow.session
        clients = _users(s, "client", CLIENTS, "client")
        taskers = _users(s, "tasker", TASKERS, "tasker")
        regions, skills, reps, endpoints = [], [], [], []
        for tasker in taskers:
            for region in rng.sample(REGIONS, rng.choice((1, 2))):
                regions.append({"tasker_id": tasker, "region": region})
            categories = rng.sample(GENERAL, rng.choice((2, 3))) + ([SKILLED] if rng.random() < 0.3 else [])
            for category in categories:
                skills.append({"tasker_id": tasker, "category": category, "rate": rng.choice((2400, 2400, 3000))})
                tier = rng.choices(("elite", "trusted", "newcomer"), (1, 3, 6))[0]
                reps.append({"tasker_id": tasker, "category": category, "tier": tier, "completed": rng.randint(0, 9)})
            endpoints.append(
                {
                    "tasker_id": tasker,
                    "url": f"https://hooks.bench.test/{tasker}",
                    "kinds": "task.available",
                    "secret": new_secret(),
                    "status": "active",
                    "disabled_reason": "",
                    "created_at": now,
                }
            )
        c = s.connection()
        c.execute(insert(TaskerRegion.__table__), regions)  # type: ignore[attr-defined]
        c.execute(insert(TaskerSkill.__table__), skills)  # type: ignore[attr-defined]
        c.execute(insert(Reputation.__table__), [{**r, "updated_at": now} for r in reps])  # type: ignore[attr-defined]
        c.execute(insert(WebhookEndpoint.__table__), endpoints)  # type: ignore[attr-defined]
        uow.commit()
    with platform.uow() as uow:
        rows = _task_rows(
            clients, OPEN_TASKS, rng, now - timedelta(hours=1), lambda i: now + timedelta(days=2, minutes=i)
        )
        _post(uow, rows, rng)
        # The cut-over, as the migration makes it on a database with open tasks.
        uow.session.connection().execute(
            insert(AnnouncedTask.__table__).from_select(  # type: ignore[attr-defined]
                ["task_id", "priced_at", "addressed_to_id"],
                select(Task.id, Task.priced_at, Task.addressed_to_id).where(col(Task.status) == "priced"),
            )
        )
        uow.session.merge(AnnouncementSweep(kind="task.available", swept_at=now))
        uow.commit()
    advance(1)
    return clients


def _timed(platform, sweep, window: Window, now: datetime) -> tuple[float, int]:
    with platform.uow() as uow:
        started = time.perf_counter()
        queued = sweep(uow, window, now)
        uow.commit()
        return time.perf_counter() - started, queued


def run(platform, settings: Settings, rounds: int = 3, idle_rounds: int = 10, advance=lambda k: None) -> dict:
    rng = random.Random(29)
    window = settings.priority_window
    clients = build(platform, rng, advance)
    soon = iter(range(10**6))

    def open_now(n: int) -> datetime:
        """n tasks open now, to every tier (priced a while ago, just booked), starting soonest."""
        now = utcnow()
        with platform.uow() as uow:
            first = utcnow() + timedelta(hours=12)
            rows = _task_rows(
                clients, n, rng, now - timedelta(hours=1), lambda i: first - timedelta(seconds=next(soon))
            )
            _post(uow, rows, rng)
            uow.commit()
        return utcnow()

    _timed(platform, per_feed_sweep, window, utcnow())  # writes the old sweep's deliveries: then its steady state
    advance(1)
    old_idle, _ = _timed(platform, per_feed_sweep, window, utcnow())
    advance(1)
    _timed(platform, announce_available, window, utcnow())
    new_idle = statistics.median(_timed(platform, announce_available, window, utcnow())[0] for _ in range(idle_rounds))
    advance(1)
    opened: dict[int, dict] = {}
    for n in OPENING:
        runs = [_timed(platform, announce_available, window, open_now(n)) for _ in range(rounds)]
        opened[n] = {
            "seconds": statistics.median(t for t, _ in runs),
            "deliveries": statistics.median(q for _, q in runs),
        }
        advance(1)
    n = OPENING[-1]
    old_opened, old_queued = _timed(platform, per_feed_sweep, window, open_now(n))
    advance(1)
    with platform.uow() as uow:
        deliveries = len(uow.session.exec(select(WebhookDelivery.id)).all())
    return {
        "taskers": TASKERS,
        "open_tasks": OPEN_TASKS,
        "window": [list(w) for w in window],
        "rounds": rounds,
        "idle_rounds": idle_rounds,
        "old_idle_s": old_idle,
        "new_idle_s": new_idle,
        "ratio_idle_old_over_new": old_idle / new_idle,
        "new_opened": {str(k): v for k, v in opened.items()},
        "old_opened_n": n,
        "old_opened_s": old_opened,
        "old_opened_deliveries": old_queued,
        "ratio_opened_old_over_new": old_opened / opened[n]["seconds"],
        "deliveries_in_table": deliveries,
    }

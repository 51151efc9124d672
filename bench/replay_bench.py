"""Replay rate at growing log sizes: `floorboard replay reputation`, `... tips` and `... market`
over N events, in one run on the same logs (so market's rate is read against reputation's).

For each N, a fresh database and fresh Kafka topics get a synthetic history written straight to
the topics, encoded by the same contracts the producers use: per 10 events, a tip posted, four
votes, a task priced, accepted and completed, a review and a tasker's cancellation. The population grows
with N (a tasker per 100 events, a tip per 10), so each tasker's history is the same size at every
N and the curve shows what the replay itself costs per event as the log grows: flat is the goal.

Each replay runs in a child process of its own (`python -m bench.replay_bench child NAME`), which
times the replay alone (not its imports), reports its progress, and reads its own resident memory
from /proc once built and its high-water mark at the end. (The kernel's rusage for a child is no
use here: it starts from the parent's size at the fork.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from events.contracts import encode
from events.payloads import (
    ReviewSubmitted,
    TaskAccepted,
    TaskCancelled,
    TaskCompleted,
    TaskHead,
    TaskLifecycle,
    TaskPriced,
    TipEvent,
    TipHead,
    TipPosted,
    TipVoted,
)

CATEGORIES = ("yard-work", "moving", "cleaning", "assembly")
PROJECTIONS = ("reputation", "tips", "market")
START = datetime(2026, 1, 1, tzinfo=UTC)
QUOTE = {
    "rate": 2400,
    "billable_minutes": 60,
    "subtotal": 2400,
    "service_fee": 240,
    "trust_fee": 60,
    "commission": 360,
    "total": 2700,
    "payout": 2040,
    "platform": 660,
    "rule_version": 1,
}


def history(n: int) -> Iterator[tuple[str, str, bytes]]:
    """n events as (topic, key, value), in an order the live producers could have written, built
    from the same typed classes (events/payloads.py)."""
    taskers = max(10, n // 100)
    tip_id = 0
    for i in range(n):
        step, unit = i % 10, i // 10
        tasker = 1 + unit % taskers
        category = CATEGORIES[unit % len(CATEGORIES)]
        at = START + timedelta(seconds=i)
        task_id = unit + 1
        if step == 5:
            priced = TaskPriced(
                task_id=task_id,
                status="priced",
                category=category,
                region="springfield",
                quote=QUOTE,
                reason=None,
                priced_at=at,
            )
            yield "tasks.priced", str(task_id), encode(priced.event(subject=task_id))
        elif step <= 4:
            if step == 0:
                tip_id += 1
            head = TipHead(tip_id=tip_id, category=category, author_id=tasker, at=at)
            tip: TipEvent
            if step == 0:
                tip = TipPosted(**head, title=f"tip {tip_id}", body_html="<p>Measure twice.</p>")
            else:
                tip = TipVoted(**head, voter_id=1 + (tasker + step) % taskers, helpful=step != 4)
            yield "tips.activity", category, encode(tip.event(subject=tip_id))
        elif step == 9:
            # A review from before double-blind reviews: it carries its rating and counts at once.
            review = ReviewSubmitted(
                review_id=task_id,
                task_id=task_id,
                tasker_id=tasker,
                client_id=1,
                category=category,
                rating=1 + unit % 5,
                at=at,
            )
            yield "reviews.submitted", str(tasker), encode(review.event(subject=task_id))
        else:
            lifecycle = TaskHead(
                task_id=task_id, client_id=1, tasker_id=tasker, category=category, region="springfield", at=at
            )
            event: TaskLifecycle
            if step == 6:
                event = TaskAccepted(**lifecycle)
            elif step == 7:
                event = TaskCompleted(**lifecycle, minutes_worked=60, quote=QUOTE)
            else:
                event = TaskCancelled(**lifecycle, cancelled_by="tasker", fee=None, reopened=True)
            yield "tasks.lifecycle", str(task_id), encode(event.event(subject=task_id))


def write_history(platform, n: int, advance: Callable[[int], None]) -> None:
    """The taskers as users (reputation rows refer to them), then n events onto the topics."""
    from sqlalchemy import text

    taskers = max(10, n // 100)
    with platform.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, email, password_hash, role, display_name, is_active, created_at) "
                "SELECT i, 'tasker' || i || '@bench.example', '-', 'tasker', '', true, now() "
                "FROM generate_series(1, :n) AS i"
            ),
            {"n": taskers},
        )
    publisher = platform.publisher()
    try:
        batch: list[tuple[str, str, bytes]] = []
        for message in history(n):
            batch.append(message)
            if len(batch) == 20_000:
                publisher.publish(batch, timeout_s=120)
                advance(len(batch))
                batch = []
        if batch:
            publisher.publish(batch, timeout_s=120)
            advance(len(batch))
    finally:
        publisher.close()


def replay_in_child(env: dict[str, str], projection: str, progress: Callable[[int, int], None]) -> dict:
    """Run one replay in a fresh process; its own timing, and its peak RSS from the kernel."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.replay_bench", "child", projection],
        env=os.environ | env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    result: dict = {}
    for line in child.stdout:
        message = json.loads(line)
        if "done" in message:
            progress(message["done"], message["total"])
        else:
            result = message
    if child.wait() != 0 or not result:
        raise RuntimeError(f"replay {projection} failed in its child process (exit {child.returncode})")
    return result


def run(settings_for, sizes: list[int], steps) -> dict:
    """Replay rates at each size: events/s for reputation and tips, and the ratios to the smallest."""
    from marketplace.bootstrap import bootstrap

    rows = []
    for n in sizes:
        settings = settings_for("postgres", kafka=True, topic_prefix=f"replay{n}x{time.time_ns() % 10**6}.")
        platform = bootstrap(settings)
        platform.transport.ensure_topics()
        steps(f"replay bench: writing {n:,} events to Kafka", n)
        write_history(platform, n, steps.advance)
        platform.close()
        env = {
            "DATABASE_URL": settings.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "FLOORBOARD_TOPIC_PREFIX": settings.topic_prefix,
            "SECRET_KEY": "bench",
            "FLOORBOARD_ALLOW_ASYNC_COMMIT": "1",
        }
        row: dict = {"events": n}
        for projection in PROJECTIONS:
            steps(f"replay bench: floorboard replay {projection}, {n:,} events in the log", None)
            measured = replay_in_child(
                env, projection, lambda done, total: steps.progress.update(steps.current, completed=done, total=total)
            )
            row[projection] = measured | {"events_per_s": measured["events"] / measured["seconds"]}
        rows.append(row)
    base = rows[0]
    for row in rows:
        for projection in PROJECTIONS:
            row[projection]["rate_over_smallest"] = row[projection]["events_per_s"] / base[projection]["events_per_s"]
        row["market_over_reputation"] = row["market"]["events_per_s"] / row["reputation"]["events_per_s"]
    return {"sizes": rows}


def _child(projection: str) -> int:
    from bench.pipeline import rss_kb
    from marketplace.bootstrap import bootstrap
    from workers.replay import replay

    platform = bootstrap()
    built_kb = rss_kb()
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last > 0.5 or done == total:
            last = time.monotonic()
            print(json.dumps({"done": done, "total": total}), flush=True)

    started = time.perf_counter()
    result = replay(platform, projection, on_progress=progress)
    seconds = time.perf_counter() - started
    measured = {"events": result.events, "applied": result.applied, "skipped": result.skipped, "seconds": seconds}
    memory = {"rss_built_mb": built_kb / 1024, "peak_rss_mb": rss_kb("VmHWM") / 1024}
    print(json.dumps(measured | memory))
    platform.close()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] != ["child"] or len(sys.argv) != 3:
        sys.exit("usage: python -m bench.replay_bench child reputation|tips|market")
    sys.exit(_child(sys.argv[2]))

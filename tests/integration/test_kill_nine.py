"""Kill -9 a worker mid-stream, restart it, and find every posting priced exactly once.

Real processes (`floorboard worker pricing` and `floorboard worker relay`) on Kafka and
PostgreSQL. The relay is killed too: a relay that dies between sending and stamping the outbox
re-sends, so the pricing stage must see (and ignore) duplicates as well as redeliveries.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import func, select

from cli.demo import seed_demo
from events.tables import EventLogRow, ProcessedEvent
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.tasks.models import Task, TaskQuote, TaskStatus
from marketplace.tasks.posting import TaskDraft, post_task
from tests.support import wait_until

N = 5000
FLOORBOARD = str(Path(sys.executable).parent / "floorboard")


def start_worker(name: str, platform, log_dir: Path) -> subprocess.Popen:
    s = platform.settings
    env = {
        **os.environ,
        "DATABASE_URL": s.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": s.kafka_bootstrap_servers,
        "FLOORBOARD_TOPIC_PREFIX": s.topic_prefix,
        "FLOORBOARD_KAFKA_SESSION_TIMEOUT_MS": "6000",
    }
    with open(log_dir / f"{name}-{time.monotonic_ns()}.log", "w") as log:  # the child keeps its own fd
        return subprocess.Popen([FLOORBOARD, "worker", name], env=env, stdout=log, stderr=subprocess.STDOUT)


def count(platform, statement) -> int:
    with platform.uow() as uow:
        return uow.session.exec(statement).one()


def priced(platform) -> int:
    return count(platform, select(func.count()).select_from(Task).where(Task.status == TaskStatus.priced))


def test_kill_nine_mid_stream_loses_nothing_and_duplicates_nothing(postgres_url, kafka_server, make_platform, tmp_path):
    platform = make_platform(postgres_url, kafka_server)
    with platform.uow() as uow:
        seed_demo(uow, demo_users=False)
        client = create_user(uow.session, "client@example.test", "a long password", "client")
        uow.commit()
    workers = {name: start_worker(name, platform, tmp_path) for name in ("relay", "pricing")}
    exits = {}  # how each killed worker ended: -9 proves the SIGKILL, not a clean exit, stopped it
    try:
        starts_at = utcnow() + timedelta(days=2)
        for i in range(N):
            with platform.uow() as uow:
                post_task(
                    uow,
                    client.id,
                    TaskDraft("yard-work", "springfield", f"Rake leaves #{i}", "", 30 + i % 240, starts_at),
                )
                uow.commit()
            if i == N // 3:
                workers["relay"].send_signal(signal.SIGKILL)
                exits["relay"] = workers["relay"].wait()
                workers["relay"] = start_worker("relay", platform, tmp_path)
        # Kill the pricing worker while it is part-way through the stream.
        wait_until(lambda: priced(platform) >= N // 2, timeout=300, message="half the tasks priced")
        assert priced(platform) < N, "the worker finished before it could be killed mid-stream"
        workers["pricing"].send_signal(signal.SIGKILL)
        exits["pricing"] = workers["pricing"].wait()
        workers["pricing"] = start_worker("pricing", platform, tmp_path)
        wait_until(lambda: priced(platform) >= N, timeout=600, message=f"all {N} tasks priced")
        time.sleep(2)  # room for a late duplicate to show itself
    finally:
        for proc in workers.values():
            proc.terminate()
        for proc in workers.values():
            proc.wait(timeout=60)

    assert exits == {"relay": -signal.SIGKILL, "pricing": -signal.SIGKILL}
    assert priced(platform) == N
    assert count(platform, select(func.count()).select_from(TaskQuote)) == N
    assert count(platform, select(func.count(func.distinct(TaskQuote.task_id)))) == N
    # The strongest check: exactly one tasks.priced event per task, so no effect happened twice.
    assert (
        count(platform, select(func.count()).select_from(EventLogRow).where(EventLogRow.topic == "tasks.priced")) == N
    )
    assert (
        count(platform, select(func.count()).select_from(ProcessedEvent).where(ProcessedEvent.consumer == "pricing"))
        == N
    )
    assert platform.transport.count("tasks.posted.dlq") == 0

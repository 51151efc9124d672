"""Wake-ups on the embedded log (events/wakeup.py): an idle consumer sleeps until a commit rings
for its topics, in this process or, on PostgreSQL, in another one through LISTEN/NOTIFY; with
nothing ringing it still finds the rows at its slow poll.

Each consumer here polls slowly (every 30 s) unless stated otherwise, so an event that arrives
in a few seconds proves the bell, with no tight timing to flake."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url
from sqlmodel import col

from events import wakeup
from events.contracts import encode
from events.embedded import EmbeddedTransport
from events.tables import ConsumerMember, EventLogRow
from events.topics import partition_for
from events.wakeup import log_channel
from tests.support import emit_posted, posted_event, wait_until
from workers.consumer import build_runner

SLOW_POLL_S = 30.0
WELL_BEFORE_S = 5.0  # an event must be handled this soon: far inside the slow poll
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgres"])
def embedded(request, make_platform):
    return make_platform(request.getfixturevalue(f"{request.param}_url"))


class Consumer:
    """A runner thread on the embedded log with its own slow poll, recording each event it handles."""

    def __init__(self, platform, idle_poll_s: float = SLOW_POLL_S):
        # The heartbeat rides on the slow poll: a session timeout long enough to let it be slow.
        platform.transport = EmbeddedTransport(platform.engine, platform.settings.topic_partitions, 120.0, idle_poll_s)
        self.platform = platform
        self.group = f"wakeup-{uuid.uuid4().hex[:8]}"
        self.handled: list[int] = []
        handlers = {"task.posted": lambda uow, event: self.handled.append(event.data["task_id"])}
        self.runner = build_runner(platform, self.group, handlers, topics=["tasks.posted"])
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.runner.run, args=(self.stop,), daemon=True)

    def __enter__(self) -> Consumer:
        self.thread.start()
        # Its first read and its heartbeat commit together: once it is a member, it has read
        # everything there was, and what comes next it can only find when rung (or in 30 s).
        wait_until(self.joined, timeout=30, message="the consumer to join its group")
        return self

    def joined(self) -> bool:
        with self.platform.engine.connect() as conn:
            count = select(func.count()).where(col(ConsumerMember.group) == self.group)
            return conn.execute(count).scalar_one() > 0

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=30)

    def handled_soon(self, task_id: int, within_s: float = WELL_BEFORE_S) -> float:
        """Seconds until `task_id` was handled; fails if it takes `within_s`."""
        started = time.monotonic()
        wait_until(lambda: task_id in self.handled, timeout=within_s, message=f"task {task_id} to be handled")
        return time.monotonic() - started


def append_unannounced(platform, task_id: int) -> None:
    """Append to the log behind the outbox's back: a row no commit rings for."""
    event = posted_event(task_id)
    with platform.engine.begin() as conn:
        conn.execute(
            insert(EventLogRow.__table__),
            {
                "event_id": event.id,
                "topic": "tasks.posted",
                "key": str(task_id),
                "partition": partition_for(str(task_id), platform.settings.topic_partitions),
                "value": encode(event),
            },
        )


def test_a_commit_in_this_process_wakes_an_idle_consumer_at_once(embedded):
    with Consumer(embedded) as consumer:
        for task_id in (1, 2, 3):  # and again once it has gone back to sleep
            emit_posted(embedded, [(task_id, 0)])
            consumer.handled_soon(task_id)
    assert consumer.handled == [1, 2, 3]


def test_an_append_nobody_rings_for_waits_for_the_bell_or_the_slow_poll(embedded):
    with Consumer(embedded) as consumer:
        append_unannounced(embedded, 1)
        time.sleep(1.0)
        assert consumer.handled == [], "something read the log without being rung"
        wakeup.ring(log_channel("tasks.posted"))
        consumer.handled_soon(1)


def test_with_no_bell_at_all_the_slow_poll_still_finds_the_event(embedded):
    with Consumer(embedded, idle_poll_s=0.5) as consumer:
        append_unannounced(embedded, 1)
        consumer.handled_soon(1, within_s=30)


def test_only_a_commit_rings_not_a_rollback_nor_a_savepoint(platform):
    waiter = wakeup.waiter(log_channel("tasks.posted"), log_channel("tasks.priced"))
    try:
        with platform.uow() as uow:
            uow.emit(posted_event(1), key="1")
            # rolled back: the unit of work closes without commit()
        assert waiter.wait(0) is False
        with platform.uow() as uow:
            with uow.session.begin_nested():
                uow.emit(posted_event(2), key="2")
            assert waiter.wait(0) is False, "rung at a savepoint, before the rows were committed"
            uow.commit()
        assert waiter.wait(0) is True
    finally:
        waiter.close()


def test_a_commit_in_another_process_wakes_the_consumer_through_notify(postgres_url, make_platform):
    platform = make_platform(postgres_url)
    with Consumer(platform) as consumer:
        assert wakeup.listen(platform.engine).listening.wait(30), "the listener never connected"
        # Another process, with its own engine, appends through the outbox and exits.
        script = (
            "from dataclasses import replace\n"
            "from marketplace.bootstrap import bootstrap\n"
            "from marketplace.settings import Settings\n"
            "from tests.support import emit_posted\n"
            f"platform = bootstrap(Settings.from_env({{'DATABASE_URL': {postgres_url!r}, 'SECRET_KEY': 'x'}}))\n"
            "emit_posted(platform, [(42, 0)])\n"
            "platform.close()\n"
        )
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=120, env=os.environ.copy())
        consumer.handled_soon(42)


def test_this_process_hears_its_own_commit_once_and_other_processes_notify(postgres_url, make_platform):
    platform = make_platform(postgres_url)
    listener = wakeup.listen(platform.engine)
    assert listener.listening.wait(30)
    waiter = wakeup.waiter(log_channel("tasks.posted"), engine=platform.engine)
    try:
        emit_posted(platform, [(1, 0)])
        assert waiter.wait(0) is True  # rung at commit, in this process
        # Its own NOTIFY comes back through the listener too, and is ignored: no second wake-up.
        assert waiter.wait(1.0) is False

        with psycopg.connect(_conninfo(postgres_url), autocommit=True) as other:
            other.execute("SELECT pg_notify(%s, %s)", (wakeup.NOTIFY_CHANNEL, "another-process event_log/tasks.posted"))
        assert waiter.wait(WELL_BEFORE_S) is True
    finally:
        waiter.close()


def test_the_listener_reconnects_after_its_connection_drops(postgres_url, make_platform):
    platform = make_platform(postgres_url)
    listener = wakeup.listen(platform.engine)
    assert listener.listening.wait(30)
    waiter = wakeup.waiter(log_channel("tasks.posted"), engine=platform.engine)
    try:
        with psycopg.connect(_conninfo(postgres_url), autocommit=True) as admin:
            terminated = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query = %s",
                (f"LISTEN {wakeup.NOTIFY_CHANNEL}",),
            ).fetchall()
            assert terminated == [(True,)]
            # Back, it rings every waiter: it may have missed a commit while it was away.
            assert waiter.wait(30) is True
            assert listener.listening.wait(30)
            admin.execute("SELECT pg_notify(%s, %s)", (wakeup.NOTIFY_CHANNEL, "another-process event_log/tasks.posted"))
            assert waiter.wait(WELL_BEFORE_S) is True
    finally:
        waiter.close()


def test_disposing_the_engine_stops_its_listener(postgres_url, make_platform):
    platform = make_platform(postgres_url)
    listener = wakeup.listen(platform.engine)
    assert listener.listening.wait(30)
    platform.engine.dispose()
    wait_until(lambda: not listener.running, timeout=10, message="the listener to stop")
    assert wakeup.listen(platform.engine) is not listener  # a new engine user would start afresh
    platform.engine.dispose()


def _conninfo(url: str) -> str:
    u = make_url(url)
    return f"host={u.host} port={u.port} user={u.username} dbname={u.database}"

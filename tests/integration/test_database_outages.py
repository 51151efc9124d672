"""A database outage is not a poison event: a lock held past lock_timeout, or PostgreSQL stopped
mid-stream, makes the consumers wait and retry, never dead-letter; nothing is lost or doubled.

Both run on Kafka and on the embedded log. The stop test uses a PostgreSQL cluster of its own,
so the rest of the suite keeps its database."""

from __future__ import annotations

import logging
import threading
import time
import uuid

import psycopg
import pytest

from events.dlq import list_dead_letters
from events.relay import Relay
from tests.support import create_sink, effect_count, effect_rows, emit_posted, recording_handler, wait_until
from workers.consumer import build_runner

TRANSPORTS = ["embedded", "kafka"]


def _platform(request, make_platform, url: str, transport: str, **overrides):
    kafka = request.getfixturevalue("kafka_server") if transport == "kafka" else None
    platform = make_platform(url, kafka, consumer_retry_max_backoff_s=0.5, **overrides)
    create_sink(platform)
    return platform


class Running:
    """The group's runner (and on Kafka the relay) in threads, as `floorboard worker` runs them."""

    def __init__(self, platform, handler, **runner_options):
        self.platform = platform
        self.stop = threading.Event()
        group = f"outage-{uuid.uuid4().hex[:8]}"
        self.runner = build_runner(platform, group, {"task.posted": handler}, topics=["tasks.posted"], **runner_options)
        self.consumer = self.runner.consumer  # joined before the fault: must be the same member after it
        self.threads = [threading.Thread(target=self.runner.run, args=(self.stop,), daemon=True)]
        if platform.transport.name == "kafka":
            relay = Relay(platform.engine, platform.publisher())
            self.threads.append(threading.Thread(target=relay.run, args=(self.stop,), daemon=True))
        for thread in self.threads:
            thread.start()

    def close(self) -> None:
        self.consumer_at_end = self.runner._consumer
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def dead_letters(self) -> list:
        if self.platform.transport.name == "kafka":  # the relay publishes them; give it a moment
            time.sleep(1.0)
        return list_dead_letters(self.platform.transport, "tasks.posted")


def _assert_each_once(platform, count: int) -> None:
    ids = sorted(r.task_id for r in effect_rows(platform))
    assert ids == list(range(1, count + 1)), "an event was lost or handled twice"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_lock_held_past_lock_timeout_makes_no_dead_letters(request, make_platform, postgres_url, transport, caplog):
    platform = _platform(request, make_platform, postgres_url, transport, db_lock_timeout_ms=300)
    emit_posted(platform, [(i, 0) for i in range(1, 41)])
    held = threading.Event()

    def hold_lock() -> None:
        # What a plain CREATE INDEX takes: writes wait, reads go on.
        conninfo = postgres_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(conninfo) as conn:
            conn.execute("LOCK TABLE test_effects IN SHARE MODE")
            held.set()
            time.sleep(4)

    locker = threading.Thread(target=hold_lock, daemon=True)
    locker.start()
    assert held.wait(10)
    caplog.set_level(logging.INFO, logger="events.runner")
    running = Running(platform, recording_handler("a"))
    try:
        wait_until(lambda: effect_count(platform) >= 40, timeout=60, message="all 40 handled after the lock")
        locker.join()
        assert running.dead_letters() == []
    finally:
        running.close()
    _assert_each_once(platform, 40)
    messages = [r.getMessage() for r in caplog.records if r.name == "events.runner"]
    assert any("unavailable" in m and "LockNotAvailable" in m for m in messages), messages
    assert any(" is back after " in m for m in messages), messages
    assert not any("dead-lettering" in m for m in messages)
    assert running.consumer_at_end is running.consumer, "the runner left its group during the wait"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_postgres_stopped_mid_stream_loses_nothing_and_dead_letters_nothing(
    request, make_platform, private_postgres, transport, caplog
):
    platform = _platform(request, make_platform, private_postgres.url, transport)
    emit_posted(platform, [(i, 0) for i in range(1, 61)])
    slow = recording_handler("a")

    def handler(uow, event):  # slow enough that the stop lands while the stream is flowing
        time.sleep(0.03)
        slow(uow, event)

    caplog.set_level(logging.INFO)
    running = Running(platform, handler, batch_size=5)
    try:
        wait_until(lambda: effect_count(platform) >= 10, timeout=60, message="the stream to be flowing")
        private_postgres.crash()
        time.sleep(6)
        private_postgres.resume()
        emit_posted(platform, [(i, 0) for i in range(61, 81)])
        wait_until(lambda: effect_count(platform) >= 80, timeout=90, message="all 80 handled after the restart")
        assert running.dead_letters() == []
    finally:
        running.close()
    _assert_each_once(platform, 80)
    runner_lines = [r for r in caplog.records if r.name == "events.runner"]
    messages = [r.getMessage() for r in runner_lines]
    assert any("unavailable" in m for m in messages), messages
    assert any(" is back after " in m for m in messages), messages
    assert not any("dead-lettering" in m for m in messages)
    assert not any(r.exc_info for r in runner_lines), "an outage logged tracebacks"
    assert len([r for r in runner_lines if r.levelno >= logging.WARNING]) <= 6, messages
    assert running.consumer_at_end is running.consumer, "the runner left its group during the outage"

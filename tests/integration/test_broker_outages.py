"""A broker outage loses nothing and heals by itself: the relay holds no database transaction
while Kafka is away, and consumers resume soon after the broker is back, with each event handled
once. Both tests kill -9 a broker of their own and restart it on the same data directory."""

from __future__ import annotations

import logging
import threading
import time
import uuid

import psycopg
from sqlalchemy import text
from sqlmodel import col, func, select

from events.contracts import decode
from events.dlq import list_dead_letters
from events.kafka_transport import KafkaLogs
from events.relay import Relay
from events.tables import EventLogRow
from tests.support import create_sink, effect_count, effect_rows, emit_posted, recording_handler, wait_until
from workers.consumer import build_runner


def _unpublished(platform) -> int:
    with platform.uow() as uow:
        return uow.session.exec(select(func.count()).where(col(EventLogRow.published_at).is_(None))).one()


class LongestTransaction:
    """Samples pg_stat_activity every 100 ms: the oldest open transaction on the test's database."""

    def __init__(self, url: str):
        self.conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        self.longest = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            while not self.stop.wait(0.1):
                age = conn.execute(
                    "SELECT coalesce(max(extract(epoch FROM now() - xact_start)), 0) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
                ).fetchone()
                self.longest = max(self.longest, float(age[0]) if age else 0.0)

    def close(self) -> float:
        self.stop.set()
        self.thread.join(timeout=10)
        return self.longest


def test_a_30s_broker_outage_holds_no_transaction_and_loses_nothing(make_platform, postgres_url, private_kafka):
    platform = make_platform(postgres_url, private_kafka.bootstrap)
    emit_posted(platform, [(i, 0) for i in range(1, 51)])
    stop = threading.Event()
    relay = Relay(platform.engine, platform.publisher(), publish_timeout_s=2.0)
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until(lambda: _unpublished(platform) == 0, timeout=60, message="the first 50 to be published")
        sampler = LongestTransaction(postgres_url)
        private_kafka.kill()
        down_at = time.monotonic()
        for start in range(51, 101, 10):  # postings keep arriving while the broker is away
            emit_posted(platform, [(i, 0) for i in range(start, start + 10)])
            time.sleep(2)
        time.sleep(max(0.0, 30 - (time.monotonic() - down_at)))
        assert _unpublished(platform) == 50
        private_kafka.restart()
        wait_until(lambda: _unpublished(platform) == 0, timeout=90, message="the backlog to be published")
        longest = sampler.close()
    finally:
        stop.set()
        thread.join(timeout=30)
    assert longest < 1.0, f"a transaction stayed open {longest:.1f} s during the outage"
    ids = {decode(r.value).data["task_id"] for r in platform.transport.read_topic("tasks.posted")}
    assert ids == set(range(1, 101)), "an event was lost"


def test_consumers_resume_soon_after_a_broker_kill_and_restart(
    make_platform, postgres_url, private_kafka, caplog, record_property
):
    platform = make_platform(postgres_url, private_kafka.bootstrap)
    create_sink(platform)
    stop = threading.Event()
    runner = build_runner(
        platform, f"restart-{uuid.uuid4().hex[:8]}", {"task.posted": recording_handler("a")}, topics=["tasks.posted"]
    )
    relay = Relay(platform.engine, platform.publisher(), publish_timeout_s=2.0)
    threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in (runner, relay)]
    for t in threads:
        t.start()
    caplog.set_level(logging.INFO)
    KafkaLogs.installed.down_since = None  # type: ignore[union-attr]  # per process: forget earlier tests' outages
    KafkaLogs.installed.quiet_until = 0.0  # type: ignore[union-attr]
    try:
        emit_posted(platform, [(i, 0) for i in range(1, 31)])
        wait_until(lambda: effect_count(platform) >= 30, timeout=90, message="the first 30 handled")
        private_kafka.kill()
        time.sleep(3)
        emit_posted(platform, [(i, 0) for i in range(31, 61)])
        time.sleep(3)
        private_kafka.restart()
        back_at = time.monotonic()
        wait_until(lambda: _unpublished(platform) == 0, timeout=120, step=lambda: time.sleep(0.05), message="relay")
        relayed_s = time.monotonic() - back_at
        wait_until(lambda: effect_count(platform) > 30, timeout=120, step=lambda: time.sleep(0.05), message="resume")
        resumed_s = time.monotonic() - back_at
        wait_until(lambda: effect_count(platform) >= 60, timeout=60, message="all 60 handled")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    record_property("resume_after_broker_restart_s", round(resumed_s, 2))
    record_property("relay_after_broker_restart_s", round(relayed_s, 2))
    print(f"after the broker was back: relay published in {relayed_s:.1f} s, consumers resumed in {resumed_s:.1f} s")
    assert sorted(r.task_id for r in effect_rows(platform)) == list(range(1, 61)), "lost or handled twice"
    assert list_dead_letters(platform.transport, "tasks.posted") == []
    # kafka-python's hundreds of connection errors become one WARNING and one INFO.
    ours = [r for r in caplog.records if r.name == "events.kafka_transport"]
    warnings = [r.getMessage() for r in ours if r.levelno >= logging.WARNING]
    assert sum("unreachable" in m for m in warnings) == 1, warnings
    assert len(warnings) <= 3, warnings
    assert any("reachable again" in r.getMessage() for r in ours)
    # (pytest's caplog listens on the "kafka" logger too; in a process, nothing of it reaches the root.)
    kafka_logger = logging.getLogger("kafka")
    assert kafka_logger.propagate is False and KafkaLogs.installed in kafka_logger.handlers
    back = next(r.getMessage() for r in ours if "reachable again" in r.getMessage())
    assert int(back.split("(")[1].split()[0]) > 10, back  # that many kafka-python lines were not logged


def test_a_standby_relay_takes_over_when_the_active_one_dies(make_platform, postgres_url, kafka_server):
    platform = make_platform(postgres_url, kafka_server)
    active = Relay(platform.engine, platform.publisher())
    standby = Relay(platform.engine, platform.publisher())
    try:
        emit_posted(platform, [(i, 0) for i in range(1, 21)])
        assert active.run_once() == 20
        emit_posted(platform, [(i, 0) for i in range(21, 41)])
        assert standby.run_once() == 0 and standby.standing_by  # one relay at a time
        # The active relay's process dies: its session, and with it the advisory lock, goes away.
        pid = active._lock_connection.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
        with platform.engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        wait_until(lambda: standby.run_once() > 0, timeout=30, message="the standby to take over")
        assert _unpublished(platform) == 0
        assert active.run_once() == 0 and active.standing_by  # the old one, back, now stands by
    finally:
        active.close()
        standby.close()
    ids = [decode(r.value).data["task_id"] for r in platform.transport.read_topic("tasks.posted")]
    assert set(ids) == set(range(1, 41)), "an event was lost"

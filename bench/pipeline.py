"""Issue 2's figures: raw kafka-python consumption (a), the runner on Kafka writing one
PostgreSQL row per event (b), the same on the embedded log (c), and b/a.

On a shared 2-core machine one reading of (a) swings by 2x from one second to the next, so (a), (b)
and (b2) (the group in two worker processes) are measured in alternating rounds on the same topic,
each round with a fresh consumer group, and each ratio is the median of the rounds' own ratios."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer
from sqlalchemy import delete, insert

from events.contracts import decode, encode
from events.tables import EventLogRow, ProcessedEvent
from events.topics import partition_for
from marketplace.bootstrap import bootstrap
from tests.support import create_sink, effect_count, effects, posted_event
from workers.consumer import build_runner


def make_events(n: int) -> list[tuple[str, bytes]]:
    return [(str(i), encode(posted_event(i % 5000 + 1, seq=i % 100))) for i in range(n)]


def produce_to_kafka(bootstrap_servers: str, topic: str, events, progress) -> None:
    producer = KafkaProducer(
        bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True, linger_ms=20, batch_size=512 * 1024
    )
    for i, (key, value) in enumerate(events):
        producer.send(topic, key=key.encode(), value=value)
        if i % 5000 == 0:
            progress(5000)
    producer.flush()
    producer.close()


def raw_consume_rate(bootstrap_servers: str, topic: str, n: int) -> float:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=f"raw-{uuid.uuid4().hex[:6]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    seen = 0
    consumer.poll(timeout_ms=0)  # join the group before the clock starts
    start = time.perf_counter()
    while seen < n:
        for messages in consumer.poll(timeout_ms=1000, max_records=500).values():
            seen += len(messages)
    elapsed = time.perf_counter() - start
    consumer.close(autocommit=False)
    return n / elapsed


def handle(uow, event) -> None:
    """The benchmark's handler: one row per event, staged and inserted with the batch's commit."""
    uow.stage(
        effects,
        {
            "event_id": event.id,
            "task_id": event.data["task_id"],
            "seq": event.data["estimated_minutes"],
            "member": "bench",
        },
    )


def bench_runner(platform, group: str):
    return build_runner(platform, group, {"task.posted": handle}, topics=["tasks.posted"], batch_size=2000)


def empty_sink(platform) -> None:
    """An empty sink and no processed events, so that rounds are alike."""
    create_sink(platform)
    with platform.engine.begin() as conn:
        conn.execute(delete(effects))
        conn.execute(delete(ProcessedEvent))


def runner_rate(platform, n: int) -> float:
    """The runner's end-to-end rate in this process: decode, dedupe, one handler row per event,
    commit, offsets."""
    empty_sink(platform)
    runner = bench_runner(platform, f"bench-{uuid.uuid4().hex[:6]}")
    done = 0
    while done == 0:  # join the group and handle a first batch before the clock starts
        done = runner.run_once(timeout_s=5)
    start = time.perf_counter()
    timed = 0
    while done + timed < n:
        timed += runner.run_once(timeout_s=1)
    elapsed = time.perf_counter() - start
    runner.close()
    assert effect_count(platform) == n, "the runner lost or duplicated events"
    return timed / elapsed


def rss_kb(field: str = "VmRSS") -> int:
    """This process's resident set size now (VmRSS), or its high-water mark (VmHWM), from /proc
    (Linux). Not getrusage's ru_maxrss: that carries the spawning parent's peak across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _member(settings, group: str, stop, memory=None) -> None:
    """One worker process of the group, as `floorboard worker` runs it. With `memory` (a queue),
    it reports its RSS once built and again after its last event: (before_kb, after_kb, peak_kb)."""
    platform = bootstrap(settings)
    try:
        runner = bench_runner(platform, group)
        before = rss_kb()
        runner.run(stop)
        if memory is not None:
            memory.put((before, rss_kb(), rss_kb("VmHWM")))
    finally:
        platform.close()


def processes_rate(platform, n: int, processes: int, memory=None) -> float:
    """The same, with the group split over several worker processes (fresh interpreters, as
    `floorboard worker` starts them). The clock runs from the group's first offset commit to its
    last, the same span as runner_rate's."""
    empty_sink(platform)
    group = f"bench-{uuid.uuid4().hex[:6]}"
    spawn = multiprocessing.get_context("spawn")
    stop = spawn.Event()
    members = [
        spawn.Process(target=_member, args=(platform.settings, group, stop, memory), daemon=True)
        for _ in range(processes)
    ]
    for member in members:
        member.start()
    deadline = time.monotonic() + 300

    def remaining() -> int:  # the group's lag: a broker request, no load on the database
        if time.monotonic() > deadline or not all(m.is_alive() for m in members):
            raise RuntimeError("the worker processes stopped before the end")
        return platform.transport.lag(group, ["tasks.posted"])["tasks.posted"]

    try:
        while (left := remaining()) == n:  # started, joined, and a first batch committed
            time.sleep(0.01)
        start = time.perf_counter()
        while remaining() > 0:
            time.sleep(0.02)
        elapsed = time.perf_counter() - start
    finally:
        stop.set()
        for member in members:
            member.join(timeout=30)
            if member.is_alive():
                member.kill()
    assert effect_count(platform) == n, "the workers lost or duplicated events"
    return left / elapsed


def validation_ceiling(events) -> float:
    """Events/s for nothing but decoding and validating each event against its marshmallow schema
    (through the compiled common case, events.fastload), in this process: no broker, no database.
    The runner cannot beat this, whatever it batches."""
    values = [value for _, value in events]
    start = time.perf_counter()
    for value in values:
        decode(value)
    return len(values) / (time.perf_counter() - start)


def fill_embedded_log(platform, events) -> None:
    partitions = platform.settings.topic_partitions
    rows = [
        {
            "event_id": uuid.uuid4().hex,
            "topic": "tasks.posted",
            "key": key,
            "partition": partition_for(key, partitions),
            "value": value,
        }
        for key, value in events
    ]
    with platform.engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(EventLogRow), rows[start : start + 5000])


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def run(settings_for, n: int, progress, rounds: int = 3) -> dict:
    events = make_events(n)
    results = {"n": n, "rounds": rounds}

    kafka_platform = bootstrap(settings_for("postgres", kafka=True))
    kafka_platform.transport.ensure_topics()
    topic = kafka_platform.settings.topic_prefix + "tasks.posted"
    progress("producing events to Kafka", n)
    produce_to_kafka(kafka_platform.settings.kafka_bootstrap_servers, topic, events, progress.advance)
    progress(
        f"(a) raw kafka-python, (b) the runner on Kafka -> PostgreSQL in one process and in two: {rounds} rounds",
        rounds,
    )
    measured = []
    for _ in range(rounds):
        a = raw_consume_rate(kafka_platform.settings.kafka_bootstrap_servers, topic, n)
        measured.append((a, runner_rate(kafka_platform, n), processes_rate(kafka_platform, n, 2)))
        progress.advance(1)
    progress(f"worker memory: one worker process through all {n:,} events", None)
    memory = multiprocessing.get_context("spawn").Queue()
    processes_rate(kafka_platform, n, 1, memory)
    before_kb, after_kb, peak_kb = memory.get(timeout=60)
    results["worker_rss_mb"] = {"built": before_kb / 1024, "after_all_events": after_kb / 1024, "peak": peak_kb / 1024}
    kafka_platform.close()
    results["rounds_a_b_b2"] = measured
    results["a_raw_kafka_python_msgs_per_s"] = median([a for a, _, _ in measured])
    for name, column in (("b", 1), ("b2", 2)):
        ratios = [row[column] / row[0] for row in measured]
        results[f"{name}_events_per_s"] = median([row[column] for row in measured])
        results[f"ratio_{name}_over_a"] = median(ratios)
        results[f"ratio_{name}_over_a_range"] = (min(ratios), max(ratios))

    for database in ("postgres", "sqlite"):
        platform = bootstrap(settings_for(database, kafka=False))
        progress(f"(c) runner on the embedded log ({database})", None)
        fill_embedded_log(platform, events)
        results[f"c_runner_embedded_{database}_events_per_s"] = runner_rate(platform, n)
        platform.close()

    progress("(d) decoding and validating alone", None)
    a = results["a_raw_kafka_python_msgs_per_s"]
    d = results["d_validation_only_events_per_s"] = validation_ceiling(events)
    # A runner that fetched like (a) and validated like (d), and did nothing else, reaches this.
    results["ceiling_b_over_a"] = (1 / (1 / a + 1 / d)) / a
    return results

"""What an idle costs, and how soon a commit still reaches its consumers.

Idle: `floorboard dev` (the web app and every worker in one process, as `make run` starts it)
on a fresh database, left alone for a warm-up, then its CPU over a window, read from
/proc/PID/stat (user + system ticks of every thread), as a fraction of one core.

Wake-up: a runner on the embedded log, idle between events, handles `task.posted` events
committed one at a time with a pause between them; the latency is from the moment the commit
returns to the moment the handler starts (CLOCK_MONOTONIC, which every process on the machine
shares). In one process the commit rings the consumer's doorbell; across processes on PostgreSQL
it reaches the consumer's process through NOTIFY. SQLite has no NOTIFY: across processes a
consumer finds a commit at its slow poll (events/embedded.py), which this does not measure.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

from events import wakeup
from events.embedded import EmbeddedTransport
from marketplace.bootstrap import bootstrap
from tests.support import emit_posted
from workers.consumer import build_runner

FLOORBOARD = str(Path(sys.executable).parent / "floorboard")
SLOW_POLL_S = 30.0  # the consumers here poll this seldom: what arrives sooner was rung


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime and stime: fields 14 and 15 of proc(5)


def idle_cpu(database_url: str, warmup_s: float, seconds: float, tick=lambda: None) -> dict:
    """`floorboard dev` on `database_url`, idle: the fraction of a core it uses over `seconds`,
    after `warmup_s` from the moment it answers HTTP. `tick()` is called once a second."""
    port, mail_port = _free_port(), _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": "", "SECRET_KEY": "bench"}
    env.pop("SMTP_URL", None)  # its own local SMTP server, as `make run` has
    command = [FLOORBOARD, "dev", "--port", str(port), "--mail-port", str(mail_port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("`floorboard dev` did not start") from None
                time.sleep(0.2)
        _sleep(warmup_s, tick)
        hz = os.sysconf("SC_CLK_TCK")
        before, started = _cpu_ticks(process.pid), time.monotonic()
        _sleep(seconds, tick)
        ticks, elapsed = _cpu_ticks(process.pid) - before, time.monotonic() - started
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    return {"warmup_s": warmup_s, "seconds": elapsed, "ticks": ticks, "cpu_fraction": ticks / hz / elapsed}


def _sleep(seconds: float, tick) -> None:
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(1.0, left))
        tick()


def _slow_polling(platform) -> None:
    s = platform.settings
    platform.transport = EmbeddedTransport(platform.engine, s.topic_partitions, 4 * SLOW_POLL_S, SLOW_POLL_S)


def _percentiles(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731 - a one-line lookup
    return {
        "events": len(ordered),
        "p50_ms": at(0.50) * 1000,
        "p99_ms": at(0.99) * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def _commit_spaced(platform, n: int, handled: dict, advance) -> list[float]:
    """Commit n events one by one, a pause of 20-60 ms after each (the consumer is asleep again when
    the next lands); the latencies once all are handled."""
    committed: dict[int, float] = {}
    for task_id in range(1, n + 1):
        emit_posted(platform, [(task_id, 0)])
        committed[task_id] = time.monotonic()
        time.sleep(random.uniform(0.02, 0.06))
        advance(1)
    deadline = time.monotonic() + 60
    while len(handled) < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(handled)} of {n} events were handled")
        time.sleep(0.05)
    return [handled[t] - committed[t] for t in committed]


def wakeup_in_process(settings, n: int, advance) -> dict:
    """The consumer in this process: the commit's own doorbell wakes it."""
    platform = bootstrap(settings)
    _slow_polling(platform)
    handled: dict[int, float] = {}

    def handle(uow, event) -> None:
        handled.setdefault(event.data["task_id"], time.monotonic())

    runner = build_runner(platform, f"wakeup-{uuid.uuid4().hex[:6]}", {"task.posted": handle}, topics=["tasks.posted"])
    stop = threading.Event()
    runner.run_once(timeout_s=0)  # joined, and everything there was read
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    try:
        time.sleep(0.5)
        return _percentiles(_commit_spaced(platform, n, handled, advance))
    finally:
        stop.set()
        thread.join(timeout=30)
        platform.close()


def _consumer_process(settings, group: str, ready, out) -> None:
    """A consumer in a process of its own, reporting (task_id, handler start) for each event."""
    platform = bootstrap(settings)
    _slow_polling(platform)
    reported: set[int] = set()

    def handle(uow, event) -> None:
        task_id = event.data["task_id"]
        if task_id not in reported:
            reported.add(task_id)
            out.put((task_id, time.monotonic()))

    runner = build_runner(platform, group, {"task.posted": handle}, topics=["tasks.posted"])
    stop = threading.Event()
    runner.run_once(timeout_s=0)  # joined, and everything there was read
    wakeup.listen(platform.engine).listening.wait(30)
    ready.set()
    try:
        runner.run(stop)
    finally:
        platform.close()


def wakeup_across_processes(settings, n: int, advance) -> dict:
    """The consumer in another process, on PostgreSQL: NOTIFY carries the commit to it."""
    platform = bootstrap(settings)
    spawn = multiprocessing.get_context("spawn")
    ready, out = spawn.Event(), spawn.Queue()
    consumer = spawn.Process(
        target=_consumer_process, args=(settings, f"wakeup-{uuid.uuid4().hex[:6]}", ready, out), daemon=True
    )
    consumer.start()
    handled: dict[int, float] = {}

    def collect() -> None:
        while len(handled) < n:
            task_id, at = out.get()
            handled[task_id] = at

    collector = threading.Thread(target=collect, daemon=True)
    collector.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("the consumer process did not start")
        time.sleep(0.5)
        return _percentiles(_commit_spaced(platform, n, handled, advance))
    finally:
        consumer.kill()
        consumer.join(timeout=30)
        platform.close()


def run(settings_for, steps, warmup_s: float, seconds: float, events: int) -> dict:
    results: dict = {"idle": {}, "wakeup": {}}
    for database in ("sqlite", "postgres"):
        total = round(warmup_s + seconds)
        steps(f"idle `floorboard dev` on {database}: {warmup_s:g} s warm-up, then {seconds:g} s measured", total)
        url = settings_for(database, kafka=False).database_url
        results["idle"][database] = idle_cpu(url, warmup_s, seconds, tick=lambda: steps.advance(1))
    for name, database, measure in (
        ("sqlite_in_process", "sqlite", wakeup_in_process),
        ("postgres_in_process", "postgres", wakeup_in_process),
        ("postgres_across_processes", "postgres", wakeup_across_processes),
    ):
        steps(f"wake-up latency, {name.replace('_', ' ')}: {events} events, one at a time", events)
        results["wakeup"][name] = measure(settings_for(database, kafka=False), events, steps.advance)
    return results

"""The pricing group's throughput with one process and with two, on a backlog: N real postings
(post_task, as the API writes them) published to Kafka by the relay first, then `floorboard worker
pricing` processes started together and timed until every posting is priced. Real work per event
(the floor in force, a quote, the task's status, a tasks.priced event in the outbox), so the figure
is what a deployment's pricing members do, not the runner's synthetic rate."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

FLOORBOARD = str(Path(sys.executable).parent / "floorboard")


def _env(settings) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers or "",
        "FLOORBOARD_TOPIC_PREFIX": settings.topic_prefix,
        "FLOORBOARD_TOPIC_REPLICATION": str(settings.topic_replication),
        "SECRET_KEY": "bench",
        "FLOORBOARD_ALLOW_ASYNC_COMMIT": "1",
        "LOG_LEVEL": "WARNING",
    }


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used: its cost, whatever else shares the cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _count(platform, statement) -> int:
    with platform.uow() as uow:
        return uow.session.exec(statement).one()


def one(settings, n: int, processes: int, advance) -> tuple[float, float, float, float]:
    """(events the relay published per second, from its start to the last; the relay's events per
    CPU second; postings priced per second by `processes` pricing members, from the first to the
    last; the members' postings per CPU second over the same span)."""
    from sqlmodel import col, func, select

    from cli.demo import seed_demo
    from events.tables import EventLogRow
    from marketplace.accounts.users import create_user
    from marketplace.bootstrap import bootstrap
    from marketplace.clock import utcnow
    from marketplace.tasks.models import Task, TaskStatus
    from marketplace.tasks.posting import TaskDraft, post_task

    platform = bootstrap(settings)
    platform.transport.ensure_topics()
    env = _env(settings)
    try:
        with platform.uow() as uow:
            seed_demo(uow, demo_users=False)
            client = create_user(uow.session, "bench-client@example.test", "a long password", "client")
            uow.commit()
        starts_at = utcnow() + timedelta(days=2)
        for i in range(n):
            with platform.uow() as uow:
                post_task(
                    uow, client.id, TaskDraft("yard-work", "springfield", f"Task {i}", "", 30 + i % 240, starts_at)
                )
                uow.commit()
        relay_began = time.monotonic()
        relay = subprocess.Popen([FLOORBOARD, "worker", "relay"], env=env, stdout=subprocess.DEVNULL)
        unpublished = select(func.count()).select_from(EventLogRow).where(col(EventLogRow.published_at).is_(None))
        backlog = _count(platform, unpublished)
        while _count(platform, unpublished) > 0:
            time.sleep(0.05)
        relayed = backlog / (time.monotonic() - relay_began)  # start-up included: a floor, not a ceiling
        relayed_per_cpu = backlog / _cpu_s(relay.pid)
        relay.terminate()
        relay.wait(timeout=30)
        priced = select(func.count()).select_from(Task).where(col(Task.status) == TaskStatus.priced)
        members = [
            subprocess.Popen([FLOORBOARD, "worker", "pricing"], env=env, stdout=subprocess.DEVNULL)
            for _ in range(processes)
        ]
        try:
            while _count(platform, priced) == 0:  # from the first quote: start-up and the group's join are not pricing
                time.sleep(0.05)
            began = time.monotonic()
            cpu_at_start = sum(_cpu_s(m.pid) for m in members)
            first = done = _count(platform, priced)
            while (now := _count(platform, priced)) < n:
                advance(now - done)
                done = now
                time.sleep(0.1)
            advance(n - done)
            elapsed, cpu = time.monotonic() - began, sum(_cpu_s(m.pid) for m in members) - cpu_at_start
            return relayed, relayed_per_cpu, (n - first) / elapsed, (n - first) / cpu
        finally:
            for m in members:
                m.terminate()
            for m in members:
                m.wait(timeout=60)
    finally:
        platform.close()


def run(settings_for, n: int, steps) -> dict:
    """One and two processes, alternated twice each (the machine is shared): the means of two."""
    results: dict = {
        "n": n,
        "one_process_per_s": [],
        "two_processes_per_s": [],
        "relay_events_per_s": [],
        "relay_events_per_cpu_s": [],
        "pricing_postings_per_cpu_s": [],
    }
    for _ in range(2):
        for processes, key in ((1, "one_process_per_s"), (2, "two_processes_per_s")):
            steps(f"pricing group, {processes} process(es), a backlog of {n:,} postings", n)
            relayed, relayed_per_cpu, priced, priced_per_cpu = one(settings_for(), n, processes, steps.advance)
            results[key].append(priced)
            results["relay_events_per_s"].append(relayed)
            results["relay_events_per_cpu_s"].append(relayed_per_cpu)
            results["pricing_postings_per_cpu_s"].append(priced_per_cpu)
    one_, two = results["one_process_per_s"], results["two_processes_per_s"]
    results["one_mean_per_s"] = sum(one_) / len(one_)
    results["two_mean_per_s"] = sum(two) / len(two)
    results["relay_mean_events_per_s"] = sum(results["relay_events_per_s"]) / len(results["relay_events_per_s"])
    for key in ("relay_events_per_cpu_s", "pricing_postings_per_cpu_s"):
        results[key.replace("_per_", "_mean_per_", 1)] = sum(results[key]) / len(results[key])
    results["ratio_two_over_one"] = results["two_mean_per_s"] / results["one_mean_per_s"]
    return results

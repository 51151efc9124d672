"""`POST /api/v1/tasks` under `floorboard serve` against a bare Flask JSON endpoint under the same
gunicorn settings and the same load client, and posted -> priced latency under that load (the relay
and two pricing workers running beside it, on PostgreSQL and Kafka)."""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.faults import free_port
from tests.support import TASK_BODY as BODY

FLOORBOARD = str(Path(sys.executable).parent / "floorboard")
WORKERS = 2  # gunicorn workers, the same for both servers


def _wait_up(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        try:
            requests.get(base + "/healthz", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer in 60 s: {log.read_text()[-2000:]}")


@contextmanager
def _process(args: list[str], env: dict, log: Path):
    with log.open("w") as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used by a process and its living descendants (gunicorn's
    workers): the server's cost per request, whatever else shares the machine's cores."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(_tree_cpu_s(int(child)) for child in children)


def _load(url: str, headers: list[dict], seconds: float, tick) -> tuple[int, int]:
    """One thread per header set, each posting BODY over a kept-alive connection until time is up."""
    ok = errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(h: dict) -> None:
        nonlocal ok, errors
        mine_ok = mine_err = 0
        with requests.Session() as session:
            while time.monotonic() < deadline:
                try:
                    r = session.post(url, json=BODY, headers=h, timeout=30)
                    if r.status_code == 202:
                        mine_ok += 1
                    else:
                        mine_err += 1
                except requests.RequestException:
                    mine_err += 1
        with lock:
            ok += mine_ok
            errors += mine_err

    threads = [threading.Thread(target=client, args=(h,)) for h in headers]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        time.sleep(1)
        tick()
    return ok, errors


def run_on_cluster(settings, steps, seconds: float, bare_requests_per_s: float, clients: int = 16) -> dict:
    """The floorboard half of `run` on a three-broker cluster of the bench's own (services/kafka.sh
    cluster-start: replication factor 3, min.insync.replicas 2), its ratio taken against the bare
    Flask figure the single-broker run measured just before."""
    from dataclasses import replace

    from kafka import KafkaAdminClient

    from tests.faults import PrivateCluster

    cluster = PrivateCluster()
    steps("a three-broker Kafka cluster (services/kafka.sh cluster-start)", None)
    try:
        cluster.start()
        deadline = time.monotonic() + 120
        while True:  # topics with three copies need all three brokers registered
            try:
                admin = KafkaAdminClient(bootstrap_servers=cluster.bootstrap, request_timeout_ms=10_000)
                live = [b for b in admin.describe_cluster()["brokers"] if not b.get("is_fenced")]
                admin.close()
                if len(live) == 3:
                    break
            except Exception:  # noqa: BLE001 - still starting
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the three-broker cluster did not come up in 120 s")
            time.sleep(1)
        on_cluster = replace(settings, kafka_bootstrap_servers=cluster.bootstrap, topic_replication=3)
        return run(on_cluster, steps, seconds, clients, bare_requests_per_s=bare_requests_per_s)
    finally:
        try:
            cluster.stop()
        finally:
            cluster.remove()


def run(settings, steps, seconds: float = 20, clients: int = 16, bare_requests_per_s: float | None = None) -> dict:
    """`settings`: a migrated PostgreSQL database with Kafka (bench.__main__.settings_for).
    `bare_requests_per_s`: the bare Flask figure already measured in this run (not measured again)."""
    from cli.demo import seed_demo
    from marketplace.bootstrap import bootstrap

    platform = bootstrap(settings)
    platform.transport.ensure_topics()
    with platform.uow() as uow:
        seed_demo(uow, demo_users=False)
        uow.commit()
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"floorboard-http-bench-{secrets.token_hex(4)}"
    tmp.mkdir(parents=True)
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers or "",
        "FLOORBOARD_TOPIC_PREFIX": settings.topic_prefix,
        "FLOORBOARD_TOPIC_REPLICATION": str(settings.topic_replication),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "FLOORBOARD_PASSWORD_HASHING": "standard",
        "RATELIMIT_POSTING": "100000000 per minute",
        "RATELIMIT_SIGNUP": "100000 per hour",
        "LOG_LEVEL": "WARNING",
        # The bench runs on the project's throwaway test cluster, which commits with fsync off.
        "FLOORBOARD_ALLOW_ASYNC_COMMIT": "1",
    }
    gunicorn = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--no-control-socket"]
    results: dict = {"seconds": seconds, "clients": clients, "gunicorn_workers": WORKERS}

    if bare_requests_per_s is not None:
        results["bare_requests_per_s"], results["bare_errors"] = bare_requests_per_s, 0
    else:
        steps(f"bare Flask JSON endpoint under gunicorn, {clients} clients", int(seconds))
        port = free_port()
        with _process(
            [*gunicorn, "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "bench.bare_app:app"],
            env,
            tmp / "bare.log",
        ) as bare:
            base = f"http://127.0.0.1:{port}"
            _wait_up(base, bare, tmp / "bare.log")
            cpu = _tree_cpu_s(bare.pid)
            ok, errors = _load(base + "/api/v1/tasks", [{}] * clients, seconds, lambda: steps.advance(1))
            results["bare_cpu_ms_per_request"] = (_tree_cpu_s(bare.pid) - cpu) * 1000 / max(ok, 1)
        results["bare_requests_per_s"] = ok / seconds
        results["bare_errors"] = errors

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = [FLOORBOARD, "serve", "--workers", str(WORKERS), "--plain-http", "--bind", f"127.0.0.1:{port}"]
    with (
        _process(serve, env, tmp / "serve.log") as server,
        _process([FLOORBOARD, "worker", "relay"], env, tmp / "relay.log"),
        _process([FLOORBOARD, "worker", "pricing"], env, tmp / "pricing-1.log"),
        _process([FLOORBOARD, "worker", "pricing"], env, tmp / "pricing-2.log"),
    ):
        _wait_up(base, server, tmp / "serve.log")
        headers = []
        for _ in range(clients):
            email = f"bench-{secrets.token_hex(5)}@example.test"
            password = "correct horse battery staple"
            r = requests.post(base + "/api/v1/users", json={"email": email, "password": password, "role": "client"})
            r.raise_for_status()
            r = requests.post(base + "/api/v1/auth/token", json={"email": email, "password": password})
            r.raise_for_status()
            headers.append({"Authorization": f"Bearer {r.json()['token']}"})
        steps(f"POST /api/v1/tasks under floorboard serve, {clients} clients", int(seconds))
        cpu = _tree_cpu_s(server.pid)
        ok, errors = _load(base + "/api/v1/tasks", headers, seconds, lambda: steps.advance(1))
        results["floorboard_cpu_ms_per_request"] = (_tree_cpu_s(server.pid) - cpu) * 1000 / max(ok, 1)
        results["floorboard_requests_per_s"] = ok / seconds
        results["floorboard_errors"] = errors
        steps("waiting for every posting to be priced", None)
        latencies, relayed = _pricing_latencies(platform, timeout_s=120)
    platform.close()
    results["ratio_floorboard_over_bare"] = results["floorboard_requests_per_s"] / results["bare_requests_per_s"]
    if "bare_cpu_ms_per_request" in results:
        # The same ratio from the servers' own CPU per request (not PostgreSQL's or the broker's):
        # what the throughput ratio would be if the two servers had the cores to themselves.
        results["cpu_ratio_bare_over_floorboard"] = (
            results["bare_cpu_ms_per_request"] / results["floorboard_cpu_ms_per_request"]
        )
    results["priced"] = len(latencies)
    if latencies:
        cuts = statistics.quantiles(latencies, n=100)
        results["posted_to_priced_p50_ms"] = cuts[49] * 1000
        results["posted_to_priced_p99_ms"] = cuts[98] * 1000
    if len(relayed) > 1:  # the relay's share: posted -> on Kafka (the outbox row stamped published)
        cuts = statistics.quantiles(relayed, n=100)
        results["posted_to_published_p50_ms"] = cuts[49] * 1000
        results["posted_to_published_p99_ms"] = cuts[98] * 1000
    return results


def _pricing_latencies(platform, timeout_s: float) -> tuple[list[float], list[float]]:
    """Seconds from posted to priced for every priced task, and from posted to published (the
    relay's stamp on its tasks.posted row, once Kafka acknowledged it)."""
    from sqlalchemy import String, cast
    from sqlmodel import col, func, select

    from events.tables import EventLogRow
    from marketplace.tasks.models import Task

    deadline = time.monotonic() + timeout_s
    with platform.uow() as uow:
        while time.monotonic() < deadline:
            left = uow.session.exec(select(func.count()).where(col(Task.status) == "posted")).one()
            uow.session.rollback()
            if left == 0:
                break
            time.sleep(0.5)
        rows = uow.session.exec(select(Task.posted_at, Task.priced_at).where(col(Task.priced_at).is_not(None))).all()
        published = uow.session.exec(
            select(Task.posted_at, EventLogRow.published_at)
            .join(EventLogRow, col(EventLogRow.key) == cast(Task.id, String))
            .where(col(EventLogRow.topic) == "tasks.posted", col(EventLogRow.published_at).is_not(None))
        ).all()
    return (
        [(priced - posted).total_seconds() for posted, priced in rows],
        [(stamped - posted).total_seconds() for posted, stamped in published],
    )

"""The production set, started from deploy/Procfile and nothing else: `floorboard serve` and every
worker the registry lists, as separate processes on PostgreSQL and Kafka. A client signs up and
posts a task; it is priced; the web app is ready; every process is alive and answers its metrics
port. The Procfile's ports are swapped for free ones on 127.0.0.1 (the machine runs other tests)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import requests

from cli.demo import seed_demo
from cli.deploy import DEPLOY_DIR
from tests.faults import free_port
from tests.support import TASK_BODY, wait_until
from workers import registry

BIN = Path(sys.executable).parent


def procfile() -> dict[str, list[str]]:
    lines = (DEPLOY_DIR / "Procfile").read_text().splitlines()
    return {name: command.split() for name, command in (line.split(": ", 1) for line in lines if line[:1] != "#")}


def local(args: list[str]) -> tuple[list[str], int | None]:
    """The command with its listeners on free loopback ports: (args, the web port if it serves)."""
    out, web = [], None
    for i, arg in enumerate(args):
        previous = args[i - 1] if i else ""
        if previous == "--bind":
            web = free_port()
            arg = f"127.0.0.1:{web}"
        elif previous == "--metrics-port":
            arg = str(free_port())
        elif previous == "--metrics-host":
            arg = "127.0.0.1"
        out.append(arg)
    out[0] = str(BIN / out[0])  # `floorboard`, from this virtualenv
    return out, web


def test_the_procfile_starts_a_working_production_set(make_platform, postgres_url, kafka_server, tmp_path):
    platform = make_platform(postgres_url, kafka_server)
    with platform.uow() as uow:
        seed_demo(uow, demo_users=False)
        uow.commit()
    s = platform.settings
    env = {
        **os.environ,
        "DATABASE_URL": s.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": s.kafka_bootstrap_servers or "",
        "FLOORBOARD_TOPIC_PREFIX": s.topic_prefix,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "FLOORBOARD_PASSWORD_HASHING": "standard",  # serve refuses the suite's cheap hashing
        "FLOORBOARD_ALLOW_ASYNC_COMMIT": "1",
        "LOG_LEVEL": "WARNING",
    }
    entries = procfile()
    assert set(entries) == set(registry()) | {"web"}
    processes: dict[str, subprocess.Popen] = {}
    metrics: dict[str, int] = {}
    web = None
    try:
        for name, args in entries.items():
            command, port = local(args)
            web = port or web
            metrics[name] = int(command[command.index("--metrics-port") + 1])
            with open(tmp_path / f"{name}.log", "w") as log:
                processes[name] = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{web}"

        def ready() -> bool:
            for name, p in processes.items():
                assert p.poll() is None, f"{name} exited: " + (tmp_path / f"{name}.log").read_text()[-3000:]
            try:
                return requests.get(base + "/readyz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(ready, timeout=120, step=lambda: time.sleep(0.5), message="the web app ready")
        email, password = f"journey-{secrets.token_hex(4)}@example.test", "correct horse battery staple"
        r = requests.post(base + "/api/v1/users", json={"email": email, "password": password, "role": "client"})
        assert r.status_code == 201, r.text
        token = requests.post(base + "/api/v1/auth/token", json={"email": email, "password": password}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        r = requests.post(base + "/api/v1/tasks", json=TASK_BODY, headers=headers, timeout=30)
        assert r.status_code == 202, r.text
        task = r.json()["id"]

        def priced() -> bool:
            return requests.get(f"{base}/api/v1/tasks/{task}", headers=headers, timeout=10).json()["status"] == "priced"

        wait_until(priced, timeout=120, step=lambda: time.sleep(0.5), message="the task priced")
        for name, port in metrics.items():
            if name == "web":
                continue  # serve's metrics listener is checked by its own tests (and guarded: api/ops.py)
            body = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
            assert body.status_code == 200 and re.search(r"^python_info", body.text, re.M), name
        dead = {n: p.returncode for n, p in processes.items() if p.poll() is not None}
        assert dead == {}, dead
    finally:
        for p in processes.values():
            p.terminate()
        for p in processes.values():
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()

"""Behind `floorboard serve` with two gunicorn workers, the sign-in limit is one limit: with Redis
as the shared store, 10 failed sign-ins in total get through, not 10 per worker. Without a shared
store, `serve` says so when it starts."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.faults import free_port

FLOORBOARD = str(Path(sys.executable).parent / "floorboard")


@contextmanager
def serving(database_url: str, tmp_path: Path, **env_overrides: str):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": "",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "FLOORBOARD_PASSWORD_HASHING": "standard",  # serve refuses the tests' cheap hashing
        "RATELIMIT_STORAGE_URI": "",
        **env_overrides,
    }
    env = {k: v for k, v in env.items() if v != ""}
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(
        [FLOORBOARD, "serve", "--workers", "2", "--plain-http", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "serve did not answer in 60 s"
            time.sleep(0.2)
        yield base, tmp_path / "serve.log"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _failed_sign_ins(base: str, email: str, n: int) -> list[int]:
    statuses = []
    for _ in range(n):
        # A new connection each time, so the two workers share the requests between them.
        r = requests.post(
            f"{base}/api/v1/auth/token",
            json={"email": email, "password": "not the password at all"},
            headers={"Connection": "close"},
            timeout=30,
        )
        statuses.append(r.status_code)
    return statuses


def test_two_workers_share_one_sign_in_limit_through_redis(postgres_url, redis_server, tmp_path):
    import redis

    redis.Redis.from_url(redis_server).flushdb()
    with serving(postgres_url, tmp_path, RATELIMIT_STORAGE_URI=redis_server) as (base, log):
        email = f"limits-{secrets.token_hex(4)}@example.test"
        r = requests.post(
            f"{base}/api/v1/users", json={"email": email, "password": "correct horse battery", "role": "client"}
        )
        assert r.status_code == 201, r.text
        statuses = _failed_sign_ins(base, email, 16)
    assert statuses == [401] * 10 + [429] * 6, statuses
    text = log.read_text()
    assert "no shared rate-limit store" not in text
    workers = {
        line.split("Booting worker with pid: ")[1].strip() for line in text.splitlines() if "Booting worker" in line
    }
    assert len(workers) == 2, text[-2000:]


def test_serve_warns_about_several_workers_without_a_shared_store(postgres_url, tmp_path):
    with serving(postgres_url, tmp_path) as (_, log):
        pass
    assert "2 workers and no shared rate-limit store" in log.read_text()

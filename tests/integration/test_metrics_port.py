"""`floorboard serve --metrics-port`: two gunicorn workers answer the site on its port and the
Prometheus figures on the metrics port only; the metrics port serves nothing of the site."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.faults import free_port

FLOORBOARD = str(Path(sys.executable).parent / "floorboard")


def test_serve_puts_metrics_on_their_own_port(postgres_url, tmp_path):
    site, metrics = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": postgres_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "FLOORBOARD_PASSWORD_HASHING": "standard",  # serve refuses the tests' cheap hashing
    }
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "RATELIMIT_STORAGE_URI", "FLOORBOARD_METRICS_TOKEN"):
        env.pop(name, None)
    log_path = tmp_path / "serve.log"
    with log_path.open("w+") as log:
        args = [
            "serve",
            "--workers",
            "2",
            "--plain-http",
            "--bind",
            f"127.0.0.1:{site}",
            "--metrics-port",
            str(metrics),
        ]
        process = subprocess.Popen([FLOORBOARD, *args], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{metrics}/healthz", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "serve did not answer in 60 s"
                time.sleep(0.2)
            scraped = requests.get(f"http://127.0.0.1:{metrics}/metrics", timeout=30)
            assert scraped.status_code == 200 and "floorboard_market_fill_rate_threshold" in scraped.text
            assert requests.get(f"http://127.0.0.1:{metrics}/readyz", timeout=30).status_code == 200
            assert requests.get(f"http://127.0.0.1:{metrics}/login", timeout=30).status_code == 404
            assert requests.get(f"http://127.0.0.1:{metrics}/api/v1/tasks", timeout=30).status_code == 404
            for _ in range(4):  # each worker process refuses it on the site's port (a new connection each time)
                stranger = requests.get(f"http://127.0.0.1:{site}/metrics", headers={"Connection": "close"}, timeout=30)
                assert stranger.status_code == 404 and "floorboard_" not in stranger.text
                spoofed = requests.get(
                    f"http://127.0.0.1:{site}/metrics", headers={"Host": f"127.0.0.1:{metrics}"}, timeout=30
                )
                assert spoofed.status_code == 404 and "floorboard_" not in spoofed.text
            assert requests.get(f"http://127.0.0.1:{site}/login", timeout=30).status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_serve_refuses_the_metrics_port_on_the_site_port(postgres_url):
    env = {**os.environ, "DATABASE_URL": postgres_url, "SECRET_KEY": secrets.token_urlsafe(48)}
    env["FLOORBOARD_PASSWORD_HASHING"] = "standard"
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    done = subprocess.run(
        [FLOORBOARD, "serve", "--bind", "127.0.0.1:8123", "--metrics-port", "8123"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "the site's own port" in done.stderr

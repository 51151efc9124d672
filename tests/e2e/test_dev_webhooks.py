"""Webhooks under `make run`: `floorboard dev`, started as the Makefile starts it (no variable set),
accepts a loopback endpoint, its webhooks page says so, and docs/notifications.md's
`examples/tasker_bot.py --webhook PORT` hears a new task from the dev server's own sender and
accepts it. The served app's refusal is in test_tasker_account_web (the page) and here (the API)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from api import create_app
from tests.e2e.test_tasker_bot import load_bot, wait_until_listening
from tests.faults import free_port
from tests.support import ApiHelper, seeded

FLOORBOARD = str(Path(sys.executable).parent / "floorboard")
TASKER = ("tasker@demo.floorboard.test", "demo-tasker-password")
CLIENT = ("client@demo.floorboard.test", "demo-client-password")


def _dev_server(tmp_path, port: int, mail_port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}",
        "KAFKA_BOOTSTRAP_SERVERS": "",
        "SECRET_KEY": "a development key for this test only, long enough",
        "FLOORBOARD_PRIORITY_WINDOW": "elite=0,trusted=0,newcomer=0",  # the demo newcomer hears at once
    }
    for name in ("SMTP_URL", "FLOORBOARD_WEBHOOKS_ALLOW_LOOPBACK", "FLOORBOARD_PUBLIC_URL", "STRIPE_SECRET_KEY"):
        env.pop(name, None)
    command = [FLOORBOARD, "dev", "--port", str(port), "--mail-port", str(mail_port)]
    with open(tmp_path / "dev.log", "w") as log:  # the child keeps its own fd
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError((tmp_path / "dev.log").read_text()[-3000:]) from None
            time.sleep(0.2)


def _token(base: str, who: tuple[str, str]) -> dict:
    answer = requests.post(f"{base}/api/v1/auth/token", json={"email": who[0], "password": who[1]}, timeout=10)
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_the_readme_bot_hears_a_task_by_webhook_from_make_run(tmp_path, capsys):
    port, mail_port, hook_port = free_port(), free_port(), free_port()
    server = _dev_server(tmp_path, port, mail_port)
    base = f"http://127.0.0.1:{port}"
    result: dict = {}
    try:
        web = requests.Session()  # the webhooks page, signed in as the demo tasker, says what it takes
        login = web.get(f"{base}/login", timeout=10).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
        web.post(f"{base}/login", data={"email": TASKER[0], "password": TASKER[1], "csrf_token": token}, timeout=10)
        page = web.get(f"{base}/me/webhooks", timeout=10).text
        assert "This development server accepts loopback URLs" in page and "production never does" in page

        args = ["--base", base, "--email", TASKER[0], "--password", TASKER[1], "--region", "springfield"]
        args += ["--skill", "yard-work=2400", "--webhook", str(hook_port), "--once", "--wait", "90"]
        bot = threading.Thread(target=lambda: result.setdefault("code", load_bot().main(args)))
        bot.start()
        wait_until_listening(hook_port)
        client = _token(base, CLIENT)
        body = {
            "category": "yard-work",
            "region": "springfield",
            "title": "Rake by webhook",
            "estimated_minutes": 60,
            "starts_at": "2031-06-01T09:00:00Z",
        }
        task_id = requests.post(f"{base}/api/v1/tasks", json=body, headers=client, timeout=10).json()["id"]
        deadline = time.monotonic() + 60
        while requests.get(f"{base}/api/v1/tasks/{task_id}", headers=client, timeout=10).json()["status"] != "priced":
            assert time.monotonic() < deadline, "the dev server's pricing worker never priced the task"
            time.sleep(0.3)
        booked = requests.post(
            f"{base}/api/v1/tasks/{task_id}/book", json={"payment_method": "pm_card_visa"}, headers=client, timeout=10
        )
        assert booked.status_code == 200, booked.text
        bot.join(120)
        task = requests.get(f"{base}/api/v1/tasks/{task_id}", headers=client, timeout=10).json()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    out = capsys.readouterr().out
    assert result.get("code") == 0, (out, (tmp_path / "dev.log").read_text()[-3000:])
    assert f"notified of task {task_id}: accepted" in out
    assert task["status"] == "accepted"


def test_a_served_api_refuses_a_loopback_endpoint_even_with_the_variable_set(make_platform, sqlite_url):
    platform = seeded(make_platform(sqlite_url, webhooks_allow_loopback=True))
    body = {"url": "http://127.0.0.1:8765/", "kinds": ["task.available"]}
    served = ApiHelper(create_app({}, platform=platform).test_client(), platform)  # as `floorboard serve` builds it
    tasker = served.signup("tasker")
    refused = served.client.post("/api/v1/taskers/me/webhooks", json=body, headers=served.headers(tasker))
    assert refused.status_code == 422 and "not a public address" in str(refused.json["errors"])
    dev = ApiHelper(create_app({"DEV_SERVER": True}, platform=platform).test_client(), platform)
    taken = dev.client.post("/api/v1/taskers/me/webhooks", json=body, headers=dev.headers(tasker))
    assert taken.status_code == 201 and taken.json["url"] == "http://127.0.0.1:8765/"


def test_serve_refuses_loopback_webhooks(tmp_path):
    """A served app never sends webhooks to its own machine: `serve` will not start with the tests'
    loopback switch on, and says why, without a traceback."""
    import secrets

    from click.testing import CliRunner

    from cli import cli

    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "FLOORBOARD_PASSWORD_HASHING": "standard",
        "FLOORBOARD_WEBHOOKS_ALLOW_LOOPBACK": "1",
        "KAFKA_BOOTSTRAP_SERVERS": "",
    }
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code != 0
    assert "FLOORBOARD_WEBHOOKS_ALLOW_LOOPBACK" in result.output and "Traceback" not in result.output

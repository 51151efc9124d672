"""The README's example client, examples/tasker_bot.py, run against a live server: it signs in,
sets its skills, reads the feed and accepts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from api import create_app
from tests.support import NO_WINDOW, ApiHelper, live_server, seeded

BOT = Path(__file__).resolve().parents[2] / "examples" / "tasker_bot.py"


def load_bot():
    spec = importlib.util.spec_from_file_location("tasker_bot", BOT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_bot_accepts_a_task(make_platform, sqlite_url, capsys):
    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW), demo_users=True)
    app = create_app({"TESTING": True}, platform=platform)
    api = ApiHelper(app.test_client(), platform)
    client = api.signup("client")
    task_id = api.post_task(client).json["id"]
    api.price_pending()
    api.book(client, task_id)
    with live_server(app) as base:
        code = load_bot().main(
            [
                "--base",
                base,
                "--email",
                "tasker@demo.floorboard.test",
                "--password",
                "demo-tasker-password",
                "--region",
                "springfield",
                "--skill",
                "yard-work=2400",
                "--once",
            ]
        )
    assert code == 0
    out = capsys.readouterr().out
    assert f"accepted task {task_id}" in out and "floor 2400" in out
    task = api.client.get(f"/api/v1/tasks/{task_id}", headers=api.headers(client)).json
    assert task["status"] == "accepted"


def test_the_bot_reads_floorboard_url_and_says_what_it_tried(monkeypatch, capsys):
    monkeypatch.setenv("FLOORBOARD_URL", "http://127.0.0.1:9")  # the discard port: nothing listens
    args = ["--email", "t@example.test", "--password", "x", "--region", "springfield", "--skill", "yard-work=2400"]
    assert load_bot().main(args) == 2
    err = capsys.readouterr().err
    assert "http://127.0.0.1:9" in err and "--base" in err and "FLOORBOARD_URL" in err


def test_the_bot_says_why_its_feed_is_empty(make_platform, sqlite_url, capsys):
    platform = seeded(make_platform(sqlite_url), demo_users=True)  # the default windows: a newcomer waits
    app = create_app({"TESTING": True}, platform=platform)
    api = ApiHelper(app.test_client(), platform)
    client = api.signup("client")
    task_id = api.post_task(client).json["id"]
    api.price_pending()
    api.book(client, task_id)
    with live_server(app) as base:
        args = ["--base", base, "--email", "tasker@demo.floorboard.test", "--password", "demo-tasker-password"]
        code = load_bot().main([*args, "--region", "springfield", "--skill", "yard-work=2400", "--once"])
    assert code == 0
    out = capsys.readouterr().out
    assert "nothing to accept yet: 1 task(s) match you but are shown to higher tiers first" in out


def test_the_bot_takes_a_task_a_peer_hands_it_with_accept_handoffs(make_platform, sqlite_url, capsys):
    from sqlmodel import select

    from marketplace.accounts.models import User
    from marketplace.network.handoffs import offer_handoff
    from marketplace.taskers.skills import SkillSpec, set_skills
    from marketplace.tasks.lifecycle import accept_task
    from tests.support import make_tasker

    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW), demo_users=True)
    app = create_app({"TESTING": True}, platform=platform)
    api = ApiHelper(app.test_client(), platform)
    client = api.signup("client")
    task_id = api.post_task(client).json["id"]
    api.price_pending()
    api.book(client, task_id)
    holder_id, _ = make_tasker(platform, "holder@example.test", {"yard-work": 2400}, ["springfield"])
    with platform.uow() as uow:
        demo = uow.session.exec(select(User).where(User.email == "tasker@demo.floorboard.test")).one()
        set_skills(uow, demo.id, ["springfield"], [SkillSpec("yard-work", 2400)])
        holder = uow.session.get_one(User, holder_id)
        accept_task(uow, holder, task_id, NO_WINDOW)
        offer_handoff(uow, holder, task_id, [demo.id], "I can't make it", NO_WINDOW)
        uow.commit()
    with live_server(app) as base:
        args = ["--base", base, "--email", "tasker@demo.floorboard.test", "--password", "demo-tasker-password"]
        code = load_bot().main(
            [*args, "--region", "springfield", "--skill", "yard-work=2400", "--once", "--accept-handoffs"]
        )
    assert code == 0
    out = capsys.readouterr().out
    assert f"took task {task_id}" in out and f"handed on by tasker {holder_id}" in out
    task = api.client.get(f"/api/v1/tasks/{task_id}", headers=api.headers(client)).json
    assert (task["status"], task["tasker_id"], task["handed_from_id"]) == ("accepted", demo.id, holder_id)


def test_the_bot_accepts_from_a_webhook_instead_of_polling(make_platform, sqlite_url, capsys):
    import threading

    from tests.faults import free_port
    from workers import registry, run_in_threads

    platform = seeded(
        make_platform(sqlite_url, priority_window=NO_WINDOW, webhooks_allow_loopback=True), demo_users=True
    )
    app = create_app({"TESTING": True}, platform=platform)
    api = ApiHelper(app.test_client(), platform)
    client = api.signup("client")
    stop = threading.Event()
    threads = run_in_threads(platform, [registry()["webhooks"]], stop)
    port = free_port()
    result: dict = {}
    try:
        with live_server(app) as base:
            args = ["--base", base, "--email", "tasker@demo.floorboard.test", "--password", "demo-tasker-password"]
            args += ["--region", "springfield", "--skill", "yard-work=2400", "--webhook", str(port), "--once"]
            bot = threading.Thread(target=lambda: result.setdefault("code", load_bot().main([*args, "--wait", "60"])))
            bot.start()
            wait_until_listening(port)
            task_id = api.post_task(client).json["id"]
            api.price_pending()
            api.book(client, task_id)
            bot.join(90)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    assert result.get("code") == 0
    out = capsys.readouterr().out
    assert f"notified of task {task_id}: accepted" in out
    task = api.client.get(f"/api/v1/tasks/{task_id}", headers=api.headers(client)).json
    assert task["status"] == "accepted"


def wait_until_listening(port: int) -> None:
    import socket
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"the bot never listened on {port}")

"""Kill -9 the notifications worker mid-stream (and the mailer and the webhook sender too), restart
them, and count what a real SMTP server and a real webhook receiver got: every notification once
in effect (one Message-ID, one webhook-id each), none lost. Real processes
(`floorboard worker notifications|mailer|webhooks`) on SQLite and the embedded log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import func, select

from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.conversations.messages import send_message
from marketplace.notifications.models import Notification
from marketplace.notifications.webhooks import WebhookDelivery, WebhookEndpoint, new_secret
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.lifecycle import accept_task
from marketplace.tasks.posting import TaskDraft, post_task
from tests.mail_server import MailServer
from tests.support import NO_WINDOW, Pipeline, book, seeded, wait_until
from tests.webhook_receiver import Receiver

FLOORBOARD = str(Path(sys.executable).parent / "floorboard")
MESSAGES = 150  # the client's messages: each tells the tasker once by email and once by webhook


def count(platform, model, *where) -> int:
    with platform.uow() as uow:
        return uow.session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_killed_notification_workers_lose_nothing_and_send_nothing_twice(make_platform, sqlite_url, tmp_path):
    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW))
    with platform.uow() as uow:
        client = create_user(uow.session, "client@example.test", "correct horse battery", "client")
        tasker = create_user(uow.session, "tasker@example.test", "correct horse battery", "tasker")
        set_skills(uow, tasker.id, ["springfield"], [SkillSpec("yard-work", 2400)])
        task = post_task(
            uow, client.id, TaskDraft("yard-work", "springfield", "Rake", "", 60, utcnow() + timedelta(days=3))
        )
        uow.commit()
    pricing = Pipeline(platform, ["pricing"])
    pricing.drain()
    pricing.close()
    book(platform, task.id)
    with platform.uow() as uow:
        accept_task(uow, uow.session.get(type(tasker), tasker.id), task.id, NO_WINDOW)
        uow.commit()

    with MailServer() as mail, Receiver() as receiver:
        with platform.uow() as uow:
            uow.session.add(
                WebhookEndpoint(tasker_id=tasker.id, url=receiver.url, kinds="message.sent", secret=new_secret())
            )
            uow.commit()
        env = {
            **os.environ,
            "DATABASE_URL": sqlite_url,
            "SMTP_URL": mail.url,
            "FLOORBOARD_WEBHOOKS_ALLOW_LOOPBACK": "1",
        }

        def start(name: str) -> subprocess.Popen:
            with open(tmp_path / f"{name}-{time.monotonic_ns()}.log", "w") as log:  # the child keeps its own fd
                return subprocess.Popen([FLOORBOARD, "worker", name], env=env, stdout=log, stderr=subprocess.STDOUT)

        workers = {name: start(name) for name in ("notifications", "mailer", "webhooks")}
        try:
            for i in range(MESSAGES):  # the client writes: the tasker hears by email and by webhook
                with platform.uow() as uow:
                    send_message(uow, uow.session.get(type(client), client.id), task.id, f"message {i}")
                    uow.commit()
                if i == MESSAGES // 3:
                    for name in ("notifications", "mailer", "webhooks"):
                        workers[name].send_signal(signal.SIGKILL)
                        assert workers[name].wait(30) == -signal.SIGKILL
                        workers[name] = start(name)
            wait_until(
                lambda: count(
                    platform, Notification, Notification.kind == "message.sent", Notification.status == "sent"
                )
                == MESSAGES
                and count(platform, WebhookDelivery, WebhookDelivery.status == "sent") == MESSAGES,
                timeout=240,
                message="every message told by email and webhook",
            )
        finally:
            for process in workers.values():
                process.kill()
                process.wait(30)
        emails = [m for m in mail.recorder.messages if m["X-Floorboard-Kind"] == "message.sent"]
        mail_ids = [m["Message-ID"] for m in emails]
        hook_ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert len(set(mail_ids)) == MESSAGES and len(set(hook_ids)) == MESSAGES  # none lost
    # Exactly once in effect: a resend (a kill between a send and its mark) carries the same id.
    assert len(mail_ids) - len(set(mail_ids)) <= 50 and len(hook_ids) - len(set(hook_ids)) <= 50
    with platform.uow() as uow:  # and the rows themselves were written once per event and recipient
        rows = uow.session.exec(select(Notification).where(Notification.kind == "message.sent")).all()
    assert len(rows) == MESSAGES

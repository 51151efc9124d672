"""Notifications against the plain runner, in one run on the same database and log: how many
message.sent events a second the `notifications` group's own handler turns into queued email rows
(each keeping its letter) and webhook rows (for a tasker with an endpoint), against how many a
second the same runner consumes with a handler that does nothing; then how many mails a second the
mailer renders and hands to a local SMTP server (aiosmtpd on loopback).

Both runners read the same N events from the embedded log on PostgreSQL, each in a group of its
own, in alternating rounds; the figure is the ratio of their medians."""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import timedelta

from sqlalchemy import delete, insert

from events.contracts import encode
from events.payloads import MessageSent
from events.tables import EventLogRow
from events.topics import partition_for
from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.conversations.models import Message
from marketplace.notifications.models import Notification
from marketplace.notifications.sender import SmtpServer, send_due
from marketplace.notifications.webhooks import WebhookDelivery, WebhookEndpoint, new_secret
from marketplace.tasks.models import Task
from tests.mail_server import MailServer
from workers.consumer import build_runner
from workers.notifications import handler as notifications_handler


def _world(platform) -> tuple[int, int, int]:
    with platform.uow() as uow:
        s = uow.session
        client = User(email="c@bench.test", password_hash="-", role="client", display_name="Client")
        tasker = User(email="t@bench.test", password_hash="-", role="tasker", display_name="Tasker")
        s.add_all([client, tasker])
        s.flush()
        task = Task(
            client_id=client.id,
            category="yard-work",
            region="springfield",
            title="Rake",
            estimated_minutes=60,
            starts_at=utcnow() + timedelta(days=2),
            status="accepted",
            tasker_id=tasker.id,
        )
        s.add(task)
        s.add(
            WebhookEndpoint(
                tasker_id=tasker.id, url="https://hooks.bench.test/", kinds="message.sent", secret=new_secret()
            )
        )
        s.flush()
        uow.commit()
        return client.id, tasker.id, task.id


def _fill(platform, n: int, client_id: int, tasker_id: int, task_id: int) -> None:
    partitions = platform.settings.topic_partitions
    rows, messages = [], []
    for i in range(n):
        # The words are in the message's row, which the letter reads; the event carries none.
        body = f"Message {i}: the side gate sticks, lift it a little."
        messages.append(
            {"id": i + 1, "task_id": task_id, "sender_id": client_id, "recipient_id": tasker_id, "body": body}
        )
        sent = MessageSent(
            message_id=i + 1, task_id=task_id, sender_id=client_id, recipient_id=tasker_id, masked=False, at=utcnow()
        )
        event = sent.event(subject=task_id)
        key = str(task_id if i % 2 else task_id + i)  # spread over the partitions
        rows.append(
            {
                "event_id": event.id,
                "topic": "messages",
                "key": key,
                "partition": partition_for(key, partitions),
                "value": encode(event),
            }
        )
    with platform.engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(Message), messages[start : start + 5000])
            conn.execute(insert(EventLogRow), rows[start : start + 5000])


def _rate(platform, handler, n: int) -> float:
    runner = build_runner(platform, f"bench-{uuid.uuid4().hex[:6]}", {"message.sent": handler}, topics=["messages"])
    done, start = 0, time.perf_counter()
    while done < n:
        done += runner.run_once(timeout_s=1)
    elapsed = time.perf_counter() - start
    runner.close()
    return n / elapsed


def run(platform, n: int = 10_000, rounds: int = 3, advance=lambda k: None) -> dict:
    client_id, tasker_id, task_id = _world(platform)
    _fill(platform, n, client_id, tasker_id, task_id)
    notify = notifications_handler(platform.settings)  # the group's own handler
    plain, notified = [], []
    for _ in range(rounds):
        plain.append(_rate(platform, lambda uow, event: None, n))
        advance(1)
        with platform.engine.begin() as conn:  # each round writes the rows afresh
            conn.execute(delete(Notification))
            conn.execute(delete(WebhookDelivery))
        notified.append(_rate(platform, notify, n))
        advance(1)
    with platform.uow() as uow:
        rows = uow.session.exec(Notification.__table__.select()).all()  # type: ignore[attr-defined]
    queued_rows = len(rows)
    start = time.perf_counter()
    with MailServer() as mail:
        server = SmtpServer.from_url(mail.url)
        sent = 0
        while sent < queued_rows:
            sent += send_due(platform.uow, server, "Floorboard <bench@floorboard.test>", batch=200)
        mail_elapsed = time.perf_counter() - start
        received = len(mail.recorder.messages)
    advance(1)
    return {
        "events": n,
        "rounds": rounds,
        "plain_runner_events_per_s": statistics.median(plain),
        "notifications_events_per_s": statistics.median(notified),
        "ratio_notifications_over_plain": statistics.median(notified) / statistics.median(plain),
        "emails_queued": queued_rows,
        "mails_sent": received,
        "mails_per_s": received / mail_elapsed,
    }

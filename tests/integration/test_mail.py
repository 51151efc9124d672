"""The mailer against a real SMTP server on loopback (aiosmtpd): pending rows go out once, as
multipart mail; a temporary refusal is tried again later, a permanent one is recorded and holds up
nothing; a server that is down costs nothing but a retry; and a mailer killed with SIGKILL
mid-stream, then restarted, delivers every row exactly once in effect (one Message-ID each)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, func, select, update

from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.notifications.models import Notification
from marketplace.notifications.sender import SmtpServer, send_due
from tests.mail_server import MailServer
from tests.support import wait_until

FLOORBOARD = str(Path(sys.executable).parent / "floorboard")
FROM = "Floorboard <no-reply@floorboard.test>"


@pytest.fixture
def mail():
    with MailServer() as server:
        yield server


def pending(platform, n: int, to: str = "ann@example.test") -> list[int]:
    with platform.uow() as uow:
        user = create_user(uow.session, f"u{time.monotonic_ns()}@example.test", "correct horse battery", "client")
        rows = [
            Notification(
                event_id=f"ev-{time.monotonic_ns()}-{i}",
                recipient_id=user.id,
                kind="task.accepted",
                to_address=to,
                subject=f"Accepted {i}",
                text_body=f"Hello,\n\nnumber {i}\n",
                html_body=f"<p>number {i}</p>",
            )
            for i in range(n)
        ]
        uow.session.add_all(rows)
        uow.commit()
        return [r.id for r in rows]


def statuses(platform) -> dict[str, int]:
    with platform.uow() as uow:
        return dict(uow.session.exec(select(Notification.status, func.count()).group_by(Notification.status)).all())


def test_pending_rows_go_out_once_as_text_and_html(platform, mail):
    ids = pending(platform, 3)
    assert send_due(platform.uow, SmtpServer.from_url(mail.url), FROM) == 3
    assert send_due(platform.uow, SmtpServer.from_url(mail.url), FROM) == 0  # nothing twice
    assert sorted(mail.recorder.ids()) == sorted(f"<notification-{i}@floorboard>" for i in ids)
    first = mail.recorder.messages[0]
    assert first.is_multipart() and [p.get_content_type() for p in first.walk()][1:] == ["text/plain", "text/html"]
    assert first["From"] == FROM and first["To"] == "ann@example.test"
    assert statuses(platform) == {"sent": 3}


def test_a_temporary_refusal_is_tried_again_later(platform, mail):
    [row_id] = pending(platform, 1)
    mail.recorder.refuse_data = "451 4.3.0 try again later"
    assert send_due(platform.uow, SmtpServer.from_url(mail.url), FROM) == 0
    with platform.uow() as uow:
        row = uow.session.get_one(Notification, row_id)
        assert (row.status, row.attempts) == ("pending", 1) and "451" in row.last_error
        assert row.next_attempt_at > utcnow()  # backed off: not due at once
    assert send_due(platform.uow, SmtpServer.from_url(mail.url), FROM) == 0
    mail.recorder.refuse_data = None
    with platform.uow() as uow:  # the backoff has passed
        uow.session.exec(update(Notification).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        uow.commit()
    assert send_due(platform.uow, SmtpServer.from_url(mail.url), FROM) == 1
    assert statuses(platform) == {"sent": 1} and len(mail.recorder.messages) == 1


def test_a_permanent_refusal_is_recorded_and_holds_up_nothing(platform, mail):
    pending(platform, 1, "bounce@example.test")
    pending(platform, 2, "ok@example.test")
    mail.recorder.refuse_rcpt["bounce@example.test"] = "550 5.1.1 no such user"
    assert send_due(platform.uow, SmtpServer.from_url(mail.url), FROM) == 2
    assert statuses(platform) == {"failed": 1, "sent": 2}
    with platform.uow() as uow:
        failed = uow.session.exec(select(Notification).where(col(Notification.status) == "failed")).one()
    assert "550" in failed.last_error


def test_a_server_that_is_down_costs_a_retry_not_the_mail(platform):
    pending(platform, 2)
    down = SmtpServer.from_url("smtp://127.0.0.1:9")  # the discard port: nothing listens
    assert send_due(platform.uow, down, FROM) == 0
    assert statuses(platform) == {"pending": 2}


def test_a_mailer_killed_mid_stream_delivers_every_row_exactly_once_in_effect(
    sqlite_url, make_platform, mail, tmp_path
):
    platform = make_platform(sqlite_url)
    n = 400
    ids = pending(platform, n)
    env = {**os.environ, "DATABASE_URL": sqlite_url, "SMTP_URL": mail.url, "FLOORBOARD_MAIL_FROM": FROM}

    def start() -> subprocess.Popen:
        with open(tmp_path / f"mailer-{time.monotonic_ns()}.log", "w") as log:  # the child keeps its own fd
            return subprocess.Popen([FLOORBOARD, "worker", "mailer"], env=env, stdout=log, stderr=subprocess.STDOUT)

    worker = start()
    try:
        wait_until(lambda: len(mail.recorder.messages) >= n // 4, timeout=120, message="a quarter of the mail sent")
        assert len(mail.recorder.messages) < n, "the mailer finished before it could be killed"
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(30) == -signal.SIGKILL
        with platform.uow() as uow:  # rows the killed mailer had claimed wait out their lease: make it now
            uow.session.exec(
                update(Notification)
                .where(col(Notification.status) == "sending")
                .values(lease_until=utcnow() - timedelta(seconds=1))
            )
            uow.commit()
        worker = start()
        wait_until(lambda: statuses(platform) == {"sent": n}, timeout=180, message="every row sent")
    finally:
        worker.kill()
        worker.wait(30)
    received = mail.recorder.ids()
    assert sorted(set(received)) == sorted(f"<notification-{i}@floorboard>" for i in ids)  # none lost
    assert len(received) - len(set(received)) <= 50  # a resend can only be of a row in flight at the kill


def test_the_mailer_counts_what_it_sends_retries_and_fails_on_metrics(platform, mail):
    from prometheus_client import REGISTRY

    def sample(name: str) -> float:
        return REGISTRY.get_sample_value(name, {"channel": "email"}) or 0.0

    before = {n: sample(n) for n in ("floorboard_notifications_sent_total", "floorboard_notifications_failed_total")}
    pending(platform, 2, "ok@example.test")
    pending(platform, 1, "bounce@example.test")
    mail.recorder.refuse_rcpt["bounce@example.test"] = "550 5.1.1 no such user"
    send_due(platform.uow, SmtpServer.from_url(mail.url), FROM)
    assert sample("floorboard_notifications_sent_total") - before["floorboard_notifications_sent_total"] == 2
    assert sample("floorboard_notifications_failed_total") - before["floorboard_notifications_failed_total"] == 1

"""`floorboard dev`'s SMTP server: aiosmtpd on loopback, keeping the last 200 mails in memory for
the /dev/mail page (the mailer worker sends to it like to any server)."""

from __future__ import annotations

import email
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller

KEEP = 200


@dataclass(frozen=True)
class Received:
    message_id: str
    to: str
    subject: str
    kind: str
    text: str
    received_at: datetime


class Mailbox:
    def __init__(self) -> None:
        self._mails: deque[Received] = deque(maxlen=KEEP)
        self._lock = threading.Lock()

    def received(self) -> list[Received]:
        with self._lock:
            return list(self._mails)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(preferencelist=("plain",))
        mail = Received(
            str(message["Message-ID"] or ""),
            str(message["To"] or ""),
            str(message["Subject"] or ""),
            str(message["X-Floorboard-Kind"] or ""),
            body.get_content() if body is not None else "",
            datetime.now(UTC),
        )
        with self._lock:
            self._mails.append(mail)
        return "250 Message accepted"


def start(port: int) -> tuple[Controller, Mailbox]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, mailbox

"""A real SMTP server on loopback for the tests: aiosmtpd's, in a thread of the test process. It
keeps what it received, and can be told to answer a temporary (451) or permanent (550) refusal."""

from __future__ import annotations

import email
import threading
from email.message import Message

from aiosmtpd.controller import Controller

from tests.faults import free_port


class Recorder:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()
        self.refuse_data: str | None = None  # e.g. "451 try later" for every message
        self.refuse_rcpt: dict[str, str] = {}  # address -> "550 no such user"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.refuse_rcpt.get(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            return self.refuse_data
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted"

    def ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for m in self.messages]


class MailServer:
    def __init__(self) -> None:
        self.recorder = Recorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> "MailServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

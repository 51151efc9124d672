"""The mailer: sends pending email rows after the transaction that wrote them has committed, and
marks each sent in a transaction of its own. No SMTP conversation ever happens inside a database
transaction.

1. Claim: one short transaction takes up to `batch` due rows (pending, or left `sending` by a
   sender that died past its lease) and marks them `sending` until a lease runs out.
2. Send: each claimed row over one SMTP connection, with no transaction open. Its Message-ID is
   the row's (`<notification-ID@floorboard>`), so the rare resend after a crash between a send and
   its mark (the lease runs out, the row is due again) is the same message to a mail system, and
   delivery is exactly once in effect.
3. Mark: sent; or, on a temporary failure (a 4xx, a refused connection, a timeout), pending again
   after a capped backoff; or, on a permanent one (a 5xx), failed with the server's words. A failed
   row never holds up the rest.
"""

from __future__ import annotations

import logging
import smtplib
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import unquote, urlsplit

from prometheus_client import Counter
from sqlalchemy import or_
from sqlmodel import col, select, update

from marketplace.clock import utcnow
from marketplace.db import UnitOfWorkFactory
from marketplace.notifications.models import DeliveryStatus, Notification

log = logging.getLogger(__name__)

SENT = Counter("floorboard_notifications_sent_total", "Notifications delivered", ["channel"])
RETRIED = Counter("floorboard_notifications_retried_total", "Notification deliveries to try again", ["channel"])
FAILED = Counter("floorboard_notifications_failed_total", "Notifications refused for good", ["channel"])

LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class SmtpServer:
    """Where mail goes, from a URL: smtp://host:port (plain, for a local relay), smtp+starttls://
    user:password@host:587, or smtps://user:password@host:465."""

    host: str
    port: int
    security: str  # "none", "starttls" or "tls"
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        parts = urlsplit(url)
        security = {"smtp": "none", "smtp+starttls": "starttls", "smtps": "tls"}.get(parts.scheme)
        if security is None or not parts.hostname:
            raise ValueError(f"SMTP_URL={url!r}: use smtp://host:port, smtp+starttls://user:pw@host:587 or smtps://...")
        default_port = {"none": 25, "starttls": 587, "tls": 465}[security]
        return cls(
            parts.hostname,
            parts.port or default_port,
            security,
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None,
        )

    def connect(self) -> smtplib.SMTP:
        client: smtplib.SMTP
        if self.security == "tls":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
            if self.security == "starttls":
                client.starttls()
        if self.username:
            client.login(self.username, self.password or "")
        return client


def message_for(row: Notification, mail_from: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = f"<notification-{row.id}@floorboard>"
    message["Date"] = format_datetime(row.created_at)
    message["X-Floorboard-Kind"] = row.kind
    if row.unsubscribe_url:  # RFC 8058: one click, a POST to the link, no sign-in
        message["List-Unsubscribe"] = f"<{row.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(row.text_body)
    message.add_alternative(row.html_body, subtype="html")
    return message


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=15 * 2 ** max(0, attempts - 1)), MAX_BACKOFF)


def claim(uow_factory: UnitOfWorkFactory, now: datetime, batch: int = 50) -> list[Notification]:
    """Take up to `batch` due rows for this sender (SKIP LOCKED on PostgreSQL, so two senders
    never take the same row), leased until now + LEASE."""
    with uow_factory() as uow:
        s = uow.session
        due = or_(
            col(Notification.status) == DeliveryStatus.pending,
            (col(Notification.status) == DeliveryStatus.sending) & (col(Notification.lease_until) < now),
        )
        query = select(Notification).where(due, col(Notification.next_attempt_at) <= now).order_by(col(Notification.id))
        if s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(s.exec(query.limit(batch)))
        for row in rows:
            row.status, row.lease_until, row.attempts = DeliveryStatus.sending, now + LEASE, row.attempts + 1
            s.add(row)
        uow.commit()
        for row in rows:
            s.refresh(row)
        s.expunge_all()
        return rows


def _mark(uow_factory: UnitOfWorkFactory, row: Notification, **values) -> None:
    with uow_factory() as uow:
        uow.session.exec(
            update(Notification)
            .where(col(Notification.id) == row.id, col(Notification.status) == DeliveryStatus.sending)
            .values(**values, lease_until=None)
        )
        uow.commit()


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def send_due(uow_factory: UnitOfWorkFactory, server: SmtpServer, mail_from: str, batch: int = 50) -> int:
    """Send what is due now; how many rows were sent."""
    rows = claim(uow_factory, utcnow(), batch)
    if not rows:
        return 0
    sent = 0
    client: smtplib.SMTP | None = None
    try:
        for row in rows:
            try:
                if client is None:
                    client = server.connect()
                client.send_message(message_for(row, mail_from))
            except (smtplib.SMTPException, OSError, socket.timeout) as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
                if _permanent(exc):
                    FAILED.labels("email").inc()
                    log.warning("mailer: notification %d to %s refused for good: %s", row.id, row.to_address, error)
                    _mark(uow_factory, row, status=DeliveryStatus.failed, last_error=error)
                else:
                    RETRIED.labels("email").inc()
                    log.info("mailer: notification %d will be tried again: %s", row.id, error)
                    _mark(
                        uow_factory,
                        row,
                        status=DeliveryStatus.pending,
                        next_attempt_at=utcnow() + backoff(row.attempts),
                        last_error=error,
                    )
                if not isinstance(exc, smtplib.SMTPRecipientsRefused) and client is not None:
                    _quit(client)
                    client = None  # a broken conversation: the next row opens a fresh one
                continue
            _mark(uow_factory, row, status=DeliveryStatus.sent, sent_at=utcnow(), last_error="")
            SENT.labels("email").inc()
            sent += 1
    finally:
        if client is not None:
            _quit(client)
    return sent


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()

"""The mailer: sends pending email rows after the transaction that wrote them has committed, on
the one leased sender design (marketplace/outgoing.py: claim, call with no transaction open,
record in a unit of work of its own). No SMTP conversation ever happens inside a database
transaction.

Each claimed row goes over one SMTP conversation per round. Its Message-ID is the row's
(`<notification-ID@floorboard>`), so the rare resend after a crash between a send and its mark
(the lease runs out, the row is due again) is the same message to a mail system, and delivery is
exactly once in effect. A 5xx fails the row with the server's words, a 4xx tries it again after a
capped backoff, a server that cannot be reached is an outage (the round's rows wait, untouched),
and a row the mail library refuses fails alone: it never holds up the rest.
"""

from __future__ import annotations

import logging
import smtplib
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, getaddresses
from urllib.parse import unquote, urlsplit

from prometheus_client import Counter
from sqlmodel import col, update

from marketplace.clock import utcnow
from marketplace.db import UnitOfWork, UnitOfWorkFactory
from marketplace.notifications.letters import render_row
from marketplace.notifications.models import Notification
from marketplace.outgoing import Answered, LeasedSender, Outcome, Refused, TryLater, Unreachable, default_retry_at

log = logging.getLogger(__name__)

SENT = Counter("floorboard_notifications_sent_total", "Notifications delivered", ["channel"])
RETRIED = Counter("floorboard_notifications_retried_total", "Notification deliveries to try again", ["channel"])
FAILED = Counter("floorboard_notifications_failed_total", "Notifications refused for good", ["channel"])

LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(days=3)


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
    subject, text, html = render_row(row)  # a kept letter is rendered now
    message["Subject"] = subject_line(subject)
    message["Message-ID"] = f"<notification-{row.id}@floorboard>"
    message["Date"] = format_datetime(row.created_at)
    message["X-Floorboard-Kind"] = row.kind
    if row.unsubscribe_url:  # RFC 8058: one click, a POST to the link, no sign-in
        message["List-Unsubscribe"] = f"<{row.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def wire(message: EmailMessage) -> tuple[str, list[str], bytes, tuple[str, ...]]:
    """(envelope sender, recipients, bytes, MAIL options) of a message as it goes over SMTP, with
    CRLF line ends and every line as written: smtplib's `send_message` flattens with a generator
    that writes a line starting with "From " as ">From " (mbox quoting), which inboxes then show.
    An address beyond ASCII asks for SMTPUTF8, as `send_message` does."""
    sender = getaddresses([str(message["From"])])[0][1]
    recipients = [address for _, address in getaddresses([str(message["To"])])]
    if "".join([sender, *recipients]).isascii():
        return sender, recipients, message.as_bytes(policy=SMTP.clone(mangle_from_=False)), ()
    utf8 = SMTPUTF8.clone(mangle_from_=False)
    return sender, recipients, message.as_bytes(policy=utf8), ("SMTPUTF8", "BODY=8BITMIME")


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=15 * 2 ** max(0, attempts - 1)), MAX_BACKOFF)


def subject_line(text: str) -> str:
    """A Subject the mail library accepts: line breaks and other control characters folded to
    spaces (titles are refused with them where they enter; rows written before are folded)."""
    return " ".join("".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).split())


class _Conversation:
    """One SMTP conversation for a round, opened at the first row and reopened after a break."""

    def __init__(self, server: SmtpServer):
        self.server = server
        self.client: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        if self.client is None:
            try:
                self.client = self.server.connect()
            except (smtplib.SMTPException, OSError) as exc:  # refused, timed out, a greeting that is not 2xx
                raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
        sender, recipients, data, options = wire(message)
        if options:
            self.client.ehlo_or_helo_if_needed()
        if options and not self.client.has_extn("smtputf8"):
            raise smtplib.SMTPNotSupportedError("an address needs SMTPUTF8, which the server does not offer")
        self.client.sendmail(sender, recipients, data, options)

    def drop(self) -> None:
        if self.client is not None:
            _quit(self.client)
            self.client = None

    def __enter__(self) -> _Conversation:
        return self

    def __exit__(self, *exc) -> None:
        self.drop()


class Mail:
    """The email channel of marketplace/outgoing.py: a 2xx is sent; a 5xx is failed with the
    server's words; a 4xx is tried again after a capped backoff (for up to 3 days); a server that
    cannot be reached is an outage; a row the mail library refuses (a bad header) fails alone."""

    name = "email"
    model = Notification

    def __init__(self, server: SmtpServer, mail_from: str):
        self.server = server
        self.mail_from = mail_from

    def connection(self) -> _Conversation:
        return _Conversation(self.server)

    def call(self, row: Notification, conversation: _Conversation) -> Outcome:
        message = message_for(row, self.mail_from)  # a ValueError here is this row's own: it fails alone
        try:
            conversation.send(message)
        except smtplib.SMTPRecipientsRefused as exc:  # the conversation is still good
            error = f"{type(exc).__name__}: {exc}"[:500]
            return Refused(error) if _permanent(exc) else TryLater(error)
        except smtplib.SMTPResponseException as exc:
            conversation.drop()
            error = f"{type(exc).__name__}: {exc}"[:500]
            return Refused(error) if _permanent(exc) else TryLater(error)
        except (smtplib.SMTPException, OSError) as exc:  # the server went away mid-conversation
            conversation.drop()
            raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
        return Answered()

    def record(self, uow: UnitOfWork, row: Notification, outcome: Outcome) -> None:
        if isinstance(outcome, Answered):
            uow.session.exec(update(Notification).where(col(Notification.id) == row.id).values(sent_at=utcnow()))
            SENT.labels("email").inc()
        elif isinstance(outcome, Refused):
            FAILED.labels("email").inc()
            log.warning("mailer: notification %d to %s refused for good: %s", row.id, row.to_address, outcome.reason)
        else:
            RETRIED.labels("email").inc()
            log.info("mailer: notification %d will be tried again: %s", row.id, outcome.reason)

    def retry_at(self, row: Notification, now: datetime) -> datetime | None:
        return default_retry_at(row, now, GIVE_UP_AFTER, timedelta(seconds=15), MAX_BACKOFF)


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def send_due(uow_factory: UnitOfWorkFactory, server: SmtpServer, mail_from: str, batch: int = 50) -> int:
    """One round of the mailer: send what is due now; how many rows were sent."""
    return LeasedSender(Mail(server, mail_from), uow_factory, lease=LEASE, batch=batch).run_once()


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()

"""The email that carries a data archive's download link: account mail (never switched off),
written in the transaction that finishes the archive and sent by the mailer after commit. The
link works once and expires; its token is in this email alone (the export keeps its hash)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork, insert_if_absent
from marketplace.floors.zones import UTC, zone_name, zone_of
from marketplace.notifications.letters import Draft, Letter, kept
from marketplace.notifications.models import Notification
from marketplace.taskers.models import TaskerRegion
from marketplace.tasks.models import Task

EXPORT_READY = "account.data_export_ready"
API_EXPORTS = "GET /api/v1/me/data-exports"


class ExportLinks(Protocol):
    """The pages this letter sends its reader to (links.Links has them too)."""

    def data_download(self, token: str) -> str:
        """The one-time download of a data archive (a page with the button that downloads it)."""
        ...


def reader_clock(session: Session, user: User) -> ZoneInfo:
    """A tasker's first region's clock, a client's latest task's; UTC (named) for anyone else."""
    if user.role == "tasker":
        query = select(TaskerRegion.region).where(col(TaskerRegion.tasker_id) == user.id).order_by(TaskerRegion.region)
    else:
        query = select(Task.region).where(col(Task.client_id) == user.id).order_by(col(Task.id).desc())
    region = session.exec(query.limit(1)).first()
    return zone_of(session, region) if region else UTC


def export_ready(links: ExportLinks, token: str, until: str) -> Draft:
    return Draft(
        "Your Floorboard data is ready to download",
        [
            "The archive of your data you asked for is ready: a zip of JSON files, one per kind.",
            f"The link below works once, and until {until}. After that, ask for a new archive on your data page.",
            "If you did not ask for it, change your password: someone signed in to your account asked for it.",
        ],
        links.data_download(token),
        "Download your data",
        API_EXPORTS,
    )


def mail_export_ready(
    uow: UnitOfWork, links: ExportLinks, user: User, export_id: int, token: str, until: datetime
) -> None:
    tz = reader_clock(uow.session, user)
    said = f"{until.astimezone(tz):%Y-%m-%d %H:%M} {zone_name(tz, until)}"
    letter = Letter.to(user.id, EXPORT_READY, export_ready(links, token, said))
    now = utcnow()
    insert_if_absent(
        uow.session,
        Notification,
        event_id=f"data-export:{export_id}",
        recipient_id=user.id,
        channel="email",
        kind=EXPORT_READY,
        to_address=user.email,
        subject=letter.subject,
        text_body="",
        html_body="",
        letter=kept(letter, user),
        status="pending",
        attempts=0,
        next_attempt_at=now,
        last_error="",
        unsubscribe_url="",
        created_at=now,
    )
    uow.wake_on_commit(Notification.__tablename__)  # the mailer

"""The export's use cases: ask for one, build it kind by kind (the progress committed after each,
so the page shows it), hand the archive over once, and let it expire.

The link's token is made when the archive is ready and written only into the email row (sent by
the mailer after commit); the export keeps its SHA-256. A download is a conditional update (ready,
not downloaded, not expired), so two clicks at once hand it over once; the bytes go with it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, or_, select

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.data_export.archive import KINDS, zipped
from marketplace.data_export.models import WAITING, DataExport, ExportStatus
from marketplace.db import UnitOfWork
from marketplace.errors import Conflict, NotFound
from marketplace.notifications.kinds.data_export import ExportLinks, mail_export_ready

log = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(days=3)
BUILD_LEASE = timedelta(minutes=10)  # a builder that died mid-way lets another take the export after this
KEPT = 20  # the exports a person's page lists


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_export(uow: UnitOfWork, user: User) -> DataExport:
    """A new export for `user`, queued for the exports worker; a Conflict while one is on its way."""
    waiting = uow.session.exec(
        select(DataExport).where(col(DataExport.user_id) == user.id, col(DataExport.status).in_(WAITING))
    ).first()
    if waiting is not None:
        raise Conflict("An archive of your data is being built already: it is on this page when it is ready.")
    export = DataExport(user_id=user.id, steps=len(KINDS))
    uow.session.add(export)
    uow.session.flush()
    uow.wake_on_commit(DataExport.__tablename__)  # the exports worker
    return export


def exports_of(session: Session, user_id: int, now: datetime | None = None) -> list[DataExport]:
    """The person's exports, newest first; a ready one past its time reads as expired."""
    rows = session.exec(
        select(DataExport).where(col(DataExport.user_id) == user_id).order_by(col(DataExport.id).desc()).limit(KEPT)
    ).all()
    return [_as_of(row, now or utcnow()) for row in rows]


def export_of(session: Session, user_id: int, export_id: int) -> DataExport:
    export = session.get(DataExport, export_id)
    if export is None or export.user_id != user_id:
        raise NotFound(f"No data export {export_id} of yours.")
    return _as_of(export, utcnow())


def _as_of(export: DataExport, now: datetime) -> DataExport:
    if export.status == ExportStatus.ready and export.expires_at is not None and export.expires_at <= now:
        export.status = ExportStatus.expired  # the sweep drops its bytes soon; it reads as what it is now
    return export


# Building ---------------------------------------------------------------------------------------


def claim_next(uow: UnitOfWork, now: datetime) -> int | None:
    """Take the oldest queued export (or one whose builder let its lease lapse); its id, or None."""
    session = uow.session
    candidate = session.exec(
        select(DataExport.id)
        .where(
            or_(
                col(DataExport.status) == ExportStatus.queued,
                (col(DataExport.status) == ExportStatus.building) & (col(DataExport.lease_until) < now),
            )
        )
        .order_by(col(DataExport.id))
        .limit(1)
    ).first()
    if candidate is None:
        return None
    taken = session.execute(
        update(DataExport)
        .where(col(DataExport.id) == candidate, col(DataExport.status).in_(WAITING))
        .where(or_(col(DataExport.status) == ExportStatus.queued, col(DataExport.lease_until) < now))
        .values(
            status=ExportStatus.building,
            started_at=now,
            lease_until=now + BUILD_LEASE,
            progress=0,
            steps=len(KINDS),
            step=KINDS[0][0],
        )
    )
    return candidate if taken.rowcount == 1 else None  # type: ignore[attr-defined]


def write_part(uow: UnitOfWork, export_id: int, index: int) -> tuple[str, Any]:
    """Read the `index`th kind for the export's person, and mark it written."""
    session = uow.session
    export = session.get_one(DataExport, export_id)
    user = session.get_one(User, export.user_id)
    name, read = KINDS[index]
    part = read(session, user)
    export.progress = index + 1
    export.step = KINDS[index + 1][0] if index + 1 < len(KINDS) else "archive"
    export.lease_until = utcnow() + BUILD_LEASE
    session.add(export)
    return name, part


@dataclass(frozen=True)
class Ready:
    export_id: int
    size_bytes: int


def finish(uow: UnitOfWork, links: ExportLinks, export_id: int, parts: dict[str, Any]) -> Ready:
    """Zip the parts into the export's row, make its one-time link, and write the email carrying it."""
    session = uow.session
    now = utcnow()
    export = session.get_one(DataExport, export_id)
    user = session.get_one(User, export.user_id)
    archive = zipped(parts, now)
    token = secrets.token_urlsafe(32)
    export.archive, export.size_bytes, export.token_hash = archive, len(archive), token_hash(token)
    export.status, export.finished_at, export.expires_at = ExportStatus.ready, now, now + LINK_LIFETIME
    export.progress, export.step, export.lease_until = len(KINDS), "", None
    session.add(export)
    mail_export_ready(uow, links, user, export.id, token, export.expires_at)
    return Ready(export.id, len(archive))


def fail(uow: UnitOfWork, export_id: int, reason: str) -> None:
    export = uow.session.get_one(DataExport, export_id)
    export.status, export.error, export.lease_until = ExportStatus.failed, reason[:300], None
    export.finished_at = utcnow()
    uow.session.add(export)


def expire_due(uow: UnitOfWork, now: datetime) -> int:
    """Drop the archives of ready exports past their time; how many."""
    done = uow.session.execute(
        update(DataExport)
        .where(col(DataExport.status) == ExportStatus.ready, col(DataExport.expires_at) <= now)
        .values(status=ExportStatus.expired, archive=None)
    )
    return int(done.rowcount or 0)  # type: ignore[attr-defined]


# Handing it over --------------------------------------------------------------------------------


class LinkUsed(Exception):
    """The link was used already, or its time passed: the archive is gone (a 410)."""


def peek(session: Session, token: str) -> DataExport:
    """The export a link's token names, for the page that offers the download (NotFound if none)."""
    export = session.exec(select(DataExport).where(col(DataExport.token_hash) == token_hash(token))).first()
    if export is None:
        raise NotFound("No such download link.")
    return _as_of(export, utcnow())


def take(uow: UnitOfWork, export_id: int, user_id: int) -> bytes:
    """The archive, once: marks it downloaded and drops it from the row in the same transaction.
    NotFound for an export not the person's; LinkUsed when it was taken, expired or is not ready."""
    session = uow.session
    export = session.get(DataExport, export_id)
    if export is None or export.user_id != user_id:
        raise NotFound(f"No data export {export_id} of yours.")
    archive = export.archive
    now = utcnow()
    taken = session.execute(
        update(DataExport)
        .where(
            col(DataExport.id) == export_id,
            col(DataExport.status) == ExportStatus.ready,
            col(DataExport.downloaded_at).is_(None),
            col(DataExport.expires_at) > now,
        )
        .values(status=ExportStatus.downloaded, downloaded_at=now, archive=None)
    )
    if taken.rowcount != 1 or archive is None:  # type: ignore[attr-defined]
        if export.status in WAITING:
            raise Conflict("The archive is not ready yet: its progress is on your data page.")
        raise LinkUsed("This archive was downloaded already, or its link expired: ask for a new one.")
    return archive

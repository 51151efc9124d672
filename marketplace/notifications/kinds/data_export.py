"""The email that carries a data archive's download link: account mail (never switched off),
written in the transaction that finishes the archive and sent by the mailer after commit. The
link works once and expires; its token is in this email alone (the export keeps its hash)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from marketplace.accounts.models import User
from marketplace.db import UnitOfWork
from marketplace.floors.zones import zone_name
from marketplace.notifications.kinds.account import write_account_mail
from marketplace.notifications.letters import Draft
from marketplace.tasks.reader_clock import reader_clock

EXPORT_READY = "account.data_export_ready"
API_EXPORTS = "GET /api/v1/me/data-exports"


class ExportLinks(Protocol):
    """The pages this letter sends its reader to (links.Links has them too)."""

    def data_download(self, token: str) -> str:
        """The one-time download of a data archive (a page with the button that downloads it)."""
        ...


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
    write_account_mail(uow, user, EXPORT_READY, export_ready(links, token, said), f"data-export:{export_id}")

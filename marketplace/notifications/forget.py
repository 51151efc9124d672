"""What notifications deletes when a person closes their account (marketplace/privacy asks):
the deliveries to their webhook endpoints, and the copies of their words held for other people
(email rows and webhook deliveries quoting their name, email, an address or a message)."""

from __future__ import annotations

import html
import re

import orjson
from sqlalchemy import Table, delete, or_
from sqlmodel import Session, SQLModel, col, select

from marketplace.notifications.models import Notification
from marketplace.notifications.webhooks import WebhookDelivery, WebhookEndpoint

TEXT_COLUMNS = ["subject", "text_body", "html_body", "letter"]


def delete_deliveries_to(session: Session, tasker_id: int) -> None:
    """The deliveries to a tasker's own endpoints (before the endpoints themselves go)."""
    endpoints = select(WebhookEndpoint.id).where(col(WebhookEndpoint.tasker_id) == tasker_id)
    session.execute(delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id).in_(endpoints)))


def delete_copies(session: Session, who: list[str], words: list[str]) -> None:
    """Delete the email rows and webhook deliveries that quote `who` (a name, an email, text the
    person wrote on a task), and the message letters and digests that quote their `words`."""
    _delete_copies(session, Notification, TEXT_COLUMNS, who)
    _delete_copies(session, Notification, TEXT_COLUMNS, words, kinds=["message.sent", "digest"])
    _delete_copies(session, WebhookDelivery, ["payload"], who)
    _delete_copies(session, WebhookDelivery, ["payload"], words, kinds=["message.sent"])


def _forms(needle: str) -> set[str]:
    """How a piece of text may be written in a stored copy: as it is, inside JSON, inside HTML."""
    return {needle, orjson.dumps(needle).decode()[1:-1], html.escape(needle, quote=False), html.escape(needle)}


def _like(needle: str) -> str:
    return "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _mentions(text: str, needles: list[str]) -> bool:
    return any(
        re.search(r"(?<!\w)" + re.escape(form) + r"(?!\w)", text) for needle in needles for form in _forms(needle)
    )


def _delete_copies(session: Session, model: type[SQLModel], columns: list[str], needles: list[str], kinds=None) -> int:
    """Delete the rows of `model` whose `columns` mention a needle as a whole word (a name is not
    found inside another word), optionally only rows of `kinds`: a prefilter in SQL, the check here."""
    if not needles:
        return 0
    table: Table = model.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes
    forms = {form for needle in needles for form in _forms(needle)}
    prefilter = or_(*(table.c[c].like(_like(form), escape="\\") for c in columns for form in forms))
    query = select(table.c.id, *(table.c[c] for c in columns)).where(prefilter)
    if kinds is not None:
        query = query.where(table.c.kind.in_(kinds))
    doomed = [row[0] for row in session.execute(query).all() if _mentions(" ".join(map(str, row[1:])), needles)]
    for start in range(0, len(doomed), 500):
        session.execute(delete(table).where(table.c.id.in_(doomed[start : start + 500])))
    return len(doomed)

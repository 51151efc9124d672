"""Endorsements, and the mentored unlock they can open.

A tasker endorses a connection for a category in which the endorser has completed at least 3
tasks (plain text, at most 500 characters; one per endorser, endorsee and category). The endorser
withdraws it; an operator revokes it with a reason that stays on the row and in the log.

The mentored unlock those endorsements can open is the taskers' own projection
(marketplace/taskers/mentoring.py): this module writes the endorsements and their events.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from events.payloads import (
    EndorsementEvent,
    EndorsementGiven,
    EndorsementHead,
    EndorsementRevoked,
    EndorsementWithdrawn,
)
from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.community.models import Reputation
from marketplace.db import UnitOfWork
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.floors.models import Category
from marketplace.network.connections import are_connected, blocked_either_way, tasker_or_404
from marketplace.network.models import Endorsement
from marketplace.taskers.models import MentorSlot

MIN_COMPLETED_TO_ENDORSE = 3
MENTOR_MONTHLY_CAP = 3  # the default of settings.mentor_monthly_cap
MAX_TEXT = 500


def _completed_in(session: Session, tasker_id: int, category: str) -> tuple[str, int]:
    rep = session.get(Reputation, (tasker_id, category))
    return (rep.tier, rep.completed) if rep is not None else ("newcomer", 0)


def _head(row: Endorsement, at: datetime) -> EndorsementHead:
    return EndorsementHead(
        endorsement_id=row.id, endorser_id=row.endorser_id, endorsee_id=row.endorsee_id, category=row.category, at=at
    )


def _emit(uow: UnitOfWork, event: EndorsementEvent) -> None:
    """Emit an endorsement's event, keyed by its endorser (their events stay in order)."""
    uow.emit(event.event(subject=event.endorser_id), key=str(event.endorser_id))


def endorse(
    uow: UnitOfWork, endorser: User, endorsee_id: int, category: str, text: str, mentor_cap: int = MENTOR_MONTHLY_CAP
) -> Endorsement:
    session = uow.session
    if endorsee_id == endorser.id:
        raise Invalid("You cannot endorse yourself.", {"tasker_id": ["That is you."]})
    tasker_or_404(session, endorsee_id)
    if blocked_either_way(session, endorser.id, endorsee_id):
        raise Forbidden("You cannot endorse this tasker.")
    if not are_connected(session, endorser.id, endorsee_id):
        raise Forbidden(f"Connect with tasker {endorsee_id} before you endorse them.")
    if session.get(Category, category) is None:
        raise Invalid("Check the category.", {"category": [f"Unknown category {category!r}."]})
    text = (text or "").strip()
    if not text:
        raise Invalid("Say what you vouch for.", {"text": ["Write a few words."]})
    if len(text) > MAX_TEXT:
        raise Invalid("Check the text.", {"text": [f"At most {MAX_TEXT} characters."]})
    tier, completed = _completed_in(session, endorser.id, category)
    if completed < MIN_COMPLETED_TO_ENDORSE:
        raise Forbidden(
            f"You can endorse for {category} once you have completed {MIN_COMPLETED_TO_ENDORSE} tasks in it "
            f"(you have {completed})."
        )
    now = utcnow()
    row = session.exec(
        select(Endorsement)
        .where(
            col(Endorsement.endorser_id) == endorser.id,
            col(Endorsement.endorsee_id) == endorsee_id,
            col(Endorsement.category) == category,
        )
        .with_for_update()
    ).first()
    if row is not None and row.active:
        raise Conflict(f"You already endorse tasker {endorsee_id} for {category}.")
    if row is not None and row.revoked_at is not None:
        raise Forbidden("An operator revoked your endorsement of this tasker for this category.")
    if row is None:
        row = Endorsement(endorser_id=endorser.id, endorsee_id=endorsee_id, category=category, text=text)
    row.text, row.given_at, row.active, row.withdrawn_at = text, now, True, None
    session.add(row)
    session.flush()
    _emit(
        uow,
        EndorsementGiven(**_head(row, now), endorser_tier=tier, endorser_completed=completed, mentor_cap=mentor_cap),
    )
    return row


def endorsable_categories(session: Session, endorser_id: int, endorsee_id: int) -> list[str]:
    """The categories `endorse` would take from this endorser for this tasker now: those the endorser
    completed enough tasks in, less the ones they already endorse them for (or an operator revoked).
    Empty unless the two are connected and neither blocked the other."""
    if (
        endorser_id == endorsee_id
        or blocked_either_way(session, endorser_id, endorsee_id)
        or not are_connected(session, endorser_id, endorsee_id)
    ):
        return []
    worked = session.exec(
        select(Reputation.category)
        .where(col(Reputation.tasker_id) == endorser_id, col(Reputation.completed) >= MIN_COMPLETED_TO_ENDORSE)
        .order_by(col(Reputation.category))
    ).all()
    taken = set(
        session.exec(
            select(Endorsement.category).where(
                col(Endorsement.endorser_id) == endorser_id,
                col(Endorsement.endorsee_id) == endorsee_id,
                or_(col(Endorsement.active).is_(True), col(Endorsement.revoked_at).is_not(None)),
            )
        )
    )
    return [c for c in worked if c not in taken]


def withdraw(uow: UnitOfWork, endorser: User, endorsement_id: int) -> Endorsement:
    session = uow.session
    row = session.get(Endorsement, endorsement_id)
    if row is None or row.endorser_id != endorser.id:
        raise NotFound(f"No endorsement {endorsement_id} of yours.")
    if not row.active:
        raise Conflict("This endorsement is no longer active.")
    now = utcnow()
    row.active, row.withdrawn_at = False, now
    session.add(row)
    session.flush()
    _emit(uow, EndorsementWithdrawn(**_head(row, now), revoked_by=None))
    return row


def revoke(uow: UnitOfWork, operator: User, endorsement_id: int, reason: str) -> Endorsement:
    session = uow.session
    row = session.get(Endorsement, endorsement_id)
    if row is None:
        raise NotFound(f"No endorsement {endorsement_id}.")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Give a reason: it is kept for the audit.", {"reason": ["Required."]})
    if len(reason) > 300:
        raise Invalid("Check the reason.", {"reason": ["At most 300 characters."]})
    if row.revoked_at is not None:
        raise Conflict("This endorsement was already revoked.")
    now = utcnow()
    was_active = row.active
    row.active, row.revoked_at, row.revoked_by, row.revoke_reason = False, now, operator.id, reason
    session.add(row)
    session.flush()
    if was_active:  # a withdrawn one is already out of the projection; the row keeps the ruling
        _emit(uow, EndorsementRevoked(**_head(row, now), revoked_by=operator.id))  # the reason stays in the row
    return row


def endorsements_for(session: Session, tasker_id: int, active_only: bool = True) -> list[dict]:
    """Endorsements a tasker holds, newest first, with the endorser's name and whether each counts
    towards a mentored unlock."""
    query = select(Endorsement).where(col(Endorsement.endorsee_id) == tasker_id)
    if active_only:
        query = query.where(col(Endorsement.active).is_(True))
    rows = session.exec(query.order_by(col(Endorsement.given_at).desc(), col(Endorsement.id).desc())).all()
    return _views(session, list(rows))


def endorsements_given(session: Session, tasker_id: int) -> list[dict]:
    rows = session.exec(
        select(Endorsement)
        .where(col(Endorsement.endorser_id) == tasker_id)
        .order_by(col(Endorsement.given_at).desc(), col(Endorsement.id).desc())
    ).all()
    return _views(session, list(rows))


def all_endorsements(session: Session, limit: int = 200, offset: int = 0) -> tuple[list[dict], int]:
    total = session.exec(select(func.count()).select_from(Endorsement)).one()
    rows = session.exec(
        select(Endorsement)
        .order_by(col(Endorsement.given_at).desc(), col(Endorsement.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return _views(session, list(rows)), total


def endorsement_view(session: Session, endorsement_id: int) -> dict:
    row = session.get(Endorsement, endorsement_id)
    if row is None:
        raise NotFound(f"No endorsement {endorsement_id}.")
    return _views(session, [row])[0]


def _views(session: Session, rows: list[Endorsement]) -> list[dict]:
    ids = {r.endorser_id for r in rows} | {r.endorsee_id for r in rows}
    names = (
        dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(sorted(ids)))).all()) if ids else {}
    )
    counting = set()
    if rows:
        counting = set(
            session.exec(
                select(MentorSlot.endorsement_id).where(
                    col(MentorSlot.endorsement_id).in_([r.id for r in rows]),
                    col(MentorSlot.counts).is_(True),
                    col(MentorSlot.active).is_(True),
                )
            )
        )
    return [
        {
            "id": r.id,
            "endorser_id": r.endorser_id,
            "endorser_name": names.get(r.endorser_id, ""),
            "endorsee_id": r.endorsee_id,
            "endorsee_name": names.get(r.endorsee_id, ""),
            "category": r.category,
            "text": r.text,
            "given_at": r.given_at,
            "active": r.active,
            "counts_for_mentoring": r.id in counting,
            "withdrawn_at": r.withdrawn_at,
            "revoked_at": r.revoked_at,
            "revoke_reason": r.revoke_reason or None,
        }
        for r in rows
    ]

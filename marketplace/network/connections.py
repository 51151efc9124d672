"""Connections between taskers: asked by one, accepted or declined by the other, removed by either;
and blocks, after which the blocked tasker can send the blocker no request, offer or endorsement
(and the blocker sends them none either)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, func, select

from events.payloads import ConnectionAccepted, ConnectionEvent, ConnectionRemoved, ConnectionRequested
from marketplace.accounts.models import Role, User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork, insert_if_absent
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.network.models import Block, Connection
from marketplace.taskers.models import TaskerRegion, TaskerSkill
from marketplace.taskers.profile import public_reputation


def pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def tasker_or_404(session: Session, tasker_id: int) -> User:
    user = session.get(User, tasker_id)
    if user is None or user.role != Role.tasker or not user.is_active:
        raise NotFound(f"No tasker {tasker_id}.")
    return user


def blocked_either_way(session: Session, a: int, b: int) -> bool:
    return (
        session.exec(
            select(func.count())
            .select_from(Block)
            .where(
                or_(
                    and_(col(Block.blocker_id) == a, col(Block.blocked_id) == b),
                    and_(col(Block.blocker_id) == b, col(Block.blocked_id) == a),
                )
            )
        ).one()
        > 0
    )


def blocked_ids(session: Session, tasker_id: int) -> set[int]:
    """Everyone this tasker blocked or was blocked by."""
    out = set(session.exec(select(Block.blocked_id).where(col(Block.blocker_id) == tasker_id)))
    return out | set(session.exec(select(Block.blocker_id).where(col(Block.blocked_id) == tasker_id)))


def connection_of(session: Session, a: int, b: int) -> Connection | None:
    return session.get(Connection, pair(a, b))


def are_connected(session: Session, a: int, b: int) -> bool:
    row = connection_of(session, a, b)
    return row is not None and row.status == "accepted"


def connected_ids(session: Session, tasker_id: int) -> list[int]:
    rows = session.exec(
        select(Connection.low_id, Connection.high_id).where(
            col(Connection.status) == "accepted",
            or_(col(Connection.low_id) == tasker_id, col(Connection.high_id) == tasker_id),
        )
    )
    return sorted(high if low == tasker_id else low for low, high in rows)


def relationship(session: Session, viewer_id: int, other_id: int) -> dict:
    """Where a tasker stands with another, for the buttons on the other's profile: `connection` is
    none, requested (you asked), asked_you (they asked) or connected; `you_blocked` whether you
    blocked them (whether they blocked you is not told)."""
    row = connection_of(session, viewer_id, other_id)
    if row is None:
        state = "none"
    elif row.status == "accepted":
        state = "connected"
    else:
        state = "requested" if row.requested_by == viewer_id else "asked_you"
    return {"connection": state, "you_blocked": session.get(Block, (viewer_id, other_id)) is not None}


def announce(uow: UnitOfWork, event: ConnectionEvent) -> None:
    """Emit a connection's event, keyed by the tasker who acted (their events stay in order)."""
    uow.emit(event.event(subject=event.tasker_id), key=str(event.tasker_id))


def request_connection(uow: UnitOfWork, tasker: User, other_id: int) -> Connection:
    """Ask `other_id` to connect. If they already asked you, this accepts their request."""
    session = uow.session
    if other_id == tasker.id:
        raise Invalid("You cannot connect with yourself.", {"tasker_id": ["That is you."]})
    tasker_or_404(session, other_id)
    if blocked_either_way(session, tasker.id, other_id):
        raise Forbidden("You cannot connect with this tasker.")
    existing = connection_of(session, tasker.id, other_id)
    if existing is not None and existing.status == "accepted":
        raise Conflict(f"You are already connected with tasker {other_id}.")
    if existing is not None and existing.requested_by == tasker.id:
        raise Conflict(f"You have already asked tasker {other_id} to connect.")
    if existing is not None:  # they asked first: asking back accepts
        return accept_connection(uow, tasker, other_id)
    low, high = pair(tasker.id, other_id)
    now = utcnow()
    if not insert_if_absent(
        session, Connection, low_id=low, high_id=high, requested_by=tasker.id, status="pending", requested_at=now
    ):
        raise Conflict(f"A request between you and tasker {other_id} was just made.")
    announce(uow, ConnectionRequested(tasker_id=tasker.id, other_id=other_id, at=now))
    return session.get_one(Connection, (low, high))


def accept_connection(uow: UnitOfWork, tasker: User, other_id: int) -> Connection:
    session = uow.session
    row = connection_of(session, tasker.id, other_id)
    if row is None or (row.requested_by == tasker.id and row.status == "pending"):
        raise NotFound(f"No request from tasker {other_id} to you.")
    if row.status == "accepted":
        raise Conflict(f"You are already connected with tasker {other_id}.")
    now = utcnow()
    row.status, row.accepted_at = "accepted", now
    session.add(row)
    session.flush()
    announce(uow, ConnectionAccepted(tasker_id=tasker.id, other_id=other_id, at=now))
    return row


def decline_connection(uow: UnitOfWork, tasker: User, other_id: int) -> None:
    session = uow.session
    row = connection_of(session, tasker.id, other_id)
    if row is None or row.status != "pending" or row.requested_by == tasker.id:
        raise NotFound(f"No request from tasker {other_id} to you.")
    session.delete(row)
    session.flush()


def remove_connection(uow: UnitOfWork, tasker: User, other_id: int) -> None:
    """End a connection, or take back a request you made."""
    session = uow.session
    row = connection_of(session, tasker.id, other_id)
    if row is None or (row.status == "pending" and row.requested_by != tasker.id):
        raise NotFound(f"No connection or request of yours with tasker {other_id}.")
    session.delete(row)
    session.flush()
    announce(uow, ConnectionRemoved(tasker_id=tasker.id, other_id=other_id, at=utcnow()))


def unblock(uow: UnitOfWork, tasker: User, other_id: int) -> None:
    session = uow.session
    row = session.get(Block, (tasker.id, other_id))
    if row is None:
        raise NotFound(f"You have not blocked tasker {other_id}.")
    session.delete(row)
    session.flush()


def blocks_of(session: Session, tasker_id: int) -> list[Block]:
    return list(session.exec(select(Block).where(col(Block.blocker_id) == tasker_id).order_by(col(Block.created_at))))


def _card(session: Session, user_id: int, since: datetime | None) -> dict:
    rep = public_reputation(session, user_id)
    return {
        "id": user_id,
        "display_name": rep["display_name"],
        "tier": rep["tier"],
        "score": rep["score"],
        "completed": rep["completed"],
        "levels": rep["levels"],
        "reputation": rep["categories"],  # per category: rating, reliability, karma, score, tier
        "categories": sorted(session.exec(select(TaskerSkill.category).where(col(TaskerSkill.tasker_id) == user_id))),
        "regions": sorted(session.exec(select(TaskerRegion.region).where(col(TaskerRegion.tasker_id) == user_id))),
        "since": since,
    }


def connections_view(session: Session, tasker_id: int) -> dict:
    """Connections with each one's public reputation, tier, categories and regions; requests in and out."""
    rows = session.exec(
        select(Connection).where(or_(col(Connection.low_id) == tasker_id, col(Connection.high_id) == tasker_id))
    ).all()
    connections, incoming, outgoing = [], [], []
    for row in rows:
        other = row.high_id if row.low_id == tasker_id else row.low_id
        if row.status == "accepted":
            connections.append(_card(session, other, row.accepted_at))
        elif row.requested_by == tasker_id:
            outgoing.append(_card(session, other, row.requested_at))
        else:
            incoming.append(_card(session, other, row.requested_at))
    by_name = lambda c: (c["display_name"].casefold(), c["id"])  # noqa: E731
    return {
        "connections": sorted(connections, key=by_name),
        "incoming": sorted(incoming, key=by_name),
        "outgoing": sorted(outgoing, key=by_name),
        "blocked": [b.blocked_id for b in blocks_of(session, tasker_id)],
    }


def network_summary(session: Session, tasker_id: int, viewer: User | None) -> dict:
    """For a public profile: how many connections, and (to a signed-in tasker) those you share."""
    theirs = set(connected_ids(session, tasker_id))
    shared: list[dict] = []
    if viewer is not None and viewer.role == Role.tasker and viewer.id != tasker_id:
        common = theirs & set(connected_ids(session, viewer.id))
        names = (
            dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(sorted(common)))).all())
            if common
            else {}
        )
        shared = [{"id": i, "display_name": names.get(i, "")} for i in sorted(common)]
    return {"connections": len(theirs), "shared": shared}

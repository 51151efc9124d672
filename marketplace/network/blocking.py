"""Blocking a tasker: it ends the connection (connections) and withdraws the open hand-off offers
between the two (handoffs), so it sits above both; unblocking and the list of blocks are the
connections'."""

from __future__ import annotations

from sqlmodel import col, delete

from events.payloads import ConnectionBlocked
from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork, insert_if_absent
from marketplace.errors import Conflict, Invalid
from marketplace.network.connections import announce, pair, tasker_or_404
from marketplace.network.handoffs import withdraw_between
from marketplace.network.models import Block, Connection


def block(uow: UnitOfWork, tasker: User, other_id: int) -> Block:
    """Block a tasker: the connection or request between you ends, and open hand-off offers
    between you are withdrawn, in the same unit of work."""
    session = uow.session
    if other_id == tasker.id:
        raise Invalid("You cannot block yourself.", {"tasker_id": ["That is you."]})
    tasker_or_404(session, other_id)
    now = utcnow()
    if not insert_if_absent(session, Block, blocker_id=tasker.id, blocked_id=other_id, created_at=now):
        raise Conflict(f"You have already blocked tasker {other_id}.")
    low, high = pair(tasker.id, other_id)
    session.exec(delete(Connection).where(col(Connection.low_id) == low, col(Connection.high_id) == high))
    withdraw_between(uow, tasker.id, other_id, now)
    announce(uow, ConnectionBlocked(tasker_id=tasker.id, other_id=other_id, at=now))
    return session.get_one(Block, (tasker.id, other_id))

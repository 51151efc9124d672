"""The tips boards: a projection of tips.activity (group "tips"), ranked when read by the Wilson
lower bound of the helpful share with time decay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from events.envelope import CloudEvent
from events.payloads import TipPosted
from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.community import tip_activity
from marketplace.community.models import BoardEntry, Reputation
from marketplace.community.scoring import board_rank
from marketplace.db import UnitOfWork
from marketplace.errors import NotFound
from marketplace.floors.models import Category


def project_tip_event(uow: UnitOfWork, event: CloudEvent) -> None:
    """Apply one tips.activity event to the boards. Counts change by SQL increments, so two
    workers on other partitions never lose an update; a redelivery is stopped by the runner."""
    project_tip_events(uow, [event])


def project_tip_events(uow: UnitOfWork, events: list[CloudEvent]) -> None:
    """Apply a run of tips.activity events, in a few statements, exactly as one at a time."""
    tip_activity.apply(uow.session, BoardEntry, tip_activity.fold(events), _board_entry, "the board")


def _board_entry(posted: TipPosted) -> dict:
    return {
        "tip_id": posted.tip_id,
        "category": posted.category,
        "author_id": posted.author_id,
        "title": posted.title,
        "body_html": posted.body_html,
        "posted_at": posted.at,
    }


@dataclass(frozen=True)
class RankedTip:
    entry: BoardEntry
    rank: float


def ranked_board(
    session: Session, category: str, now: datetime, limit: int = 50, offset: int = 0, include_hidden: bool = False
) -> tuple[list[RankedTip], int]:
    """One page of a board, best first (newest first among equals), and the board's size."""
    query = select(BoardEntry).where(col(BoardEntry.category) == category)
    if not include_hidden:
        query = query.where(col(BoardEntry.hidden) == False)  # noqa: E712 - SQL, not Python
    entries = session.exec(query).all()
    ranked = sorted(
        (RankedTip(e, board_rank(e.helpful, e.unhelpful, e.posted_at, now)) for e in entries),
        key=lambda t: (-t.rank, -t.entry.posted_at.timestamp(), -t.entry.tip_id),
    )
    return ranked[offset : offset + limit], len(ranked)


def board_page(session: Session, category: str, page: int, page_size: int) -> dict:
    """One page of a category's board as readers see it, each tip with its rank."""
    if session.get(Category, category) is None:
        raise NotFound(f"No board {category!r}.")
    ranked, total = ranked_board(session, category, utcnow(), page_size, (page - 1) * page_size)
    authors = {r.entry.author_id for r in ranked}
    names = {u.id: u.display_name for u in session.exec(select(User).where(col(User.id).in_(authors)))}
    tiers = {
        rep.tasker_id: rep.tier
        for rep in session.exec(
            select(Reputation).where(col(Reputation.category) == category, col(Reputation.tasker_id).in_(authors))
        )
    }
    tips = [
        {
            **r.entry.model_dump(),
            "rank": round(r.rank, 6),
            "author": names.get(r.entry.author_id) or f"Tasker {r.entry.author_id}",
            "author_tier": tiers.get(r.entry.author_id, "newcomer"),
        }
        for r in ranked
    ]
    return {"category": category, "total": total, "page": page, "page_size": page_size, "tips": tips}

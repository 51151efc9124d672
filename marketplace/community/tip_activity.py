"""tips.activity folded into per-tip counts, for both projections of it: the boards (`BoardEntry`)
and reputation's own vote counts (`KarmaTip`).

A run of events becomes one insert of the tips posted, one check that every tip voted on or hidden
was posted first, and one batched increment per tip touched; the rows end exactly as if each event
had been applied alone, in order. A vote for a tip never posted ahead of it raises LookupError, as
applying that one vote alone would: the caller then applies the run one event at a time to find it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, or_, select

from events.envelope import CloudEvent
from events.payloads import TipPosted, TipVoted, view_of
from marketplace.db import insert_many_if_absent

TIP_TYPES = ("tip.posted", "tip.voted", "tip.hidden")


@dataclass
class TipCounts:
    helpful: int = 0
    unhelpful: int = 0
    hidden: bool = False


@dataclass
class TipChanges:
    posted: dict[int, TipPosted] = field(default_factory=dict)  # tip id -> its tip.posted
    counts: dict[int, TipCounts] = field(default_factory=dict)  # tip id -> what its votes and hides add
    # Tips voted on or hidden before any tip.posted of theirs in this run: they must be stored
    # already. The event type is kept for the error message.
    must_exist: dict[int, str] = field(default_factory=dict)


def fold(events: Iterable[CloudEvent]) -> TipChanges:
    changes = TipChanges()
    for event in events:
        if event.type not in TIP_TYPES:
            continue
        view = view_of(event)
        tip_id = view.tip_id
        if isinstance(view, TipPosted):
            changes.posted.setdefault(tip_id, view)
            continue
        if tip_id not in changes.posted:
            changes.must_exist.setdefault(tip_id, event.type)
        counts = changes.counts.setdefault(tip_id, TipCounts())
        if isinstance(view, TipVoted):
            if view.helpful:
                counts.helpful += 1
            else:
                counts.unhelpful += 1
        else:
            counts.hidden = True
    return changes


def apply(session, model, changes: TipChanges, row_for: Callable[[TipPosted], dict[str, Any]], who: str) -> None:
    """Write `changes` to `model`'s table (a row per tip: tip_id, helpful, unhelpful, hidden);
    `row_for(posted)` is the new row for a tip.posted. `who` names the projection in errors."""
    table = model.__table__
    if changes.must_exist:
        stored = set(
            session.connection()
            .execute(select(table.c.tip_id).where(table.c.tip_id.in_(list(changes.must_exist))))
            .scalars()
            .all()
        )
        for tip_id, event_type in changes.must_exist.items():
            if tip_id not in stored:
                # tip.posted travels ahead of its votes on the same key, so this is a broken log.
                raise LookupError(f"{event_type} for tip {tip_id}, which {who} has never seen posted")
    if changes.posted:
        insert_many_if_absent(session, model, [row_for(d) for d in changes.posted.values()])
    if changes.counts:
        increment = (
            table.update()
            .where(table.c.tip_id == bindparam("b_tip"))
            .values(
                helpful=table.c.helpful + bindparam("b_helpful"),
                unhelpful=table.c.unhelpful + bindparam("b_unhelpful"),
                hidden=or_(table.c.hidden, bindparam("b_hidden")),
            )
        )
        session.connection().execute(
            increment,
            [
                {"b_tip": tip_id, "b_helpful": c.helpful, "b_unhelpful": c.unhelpful, "b_hidden": c.hidden}
                for tip_id, c in changes.counts.items()
            ],
        )

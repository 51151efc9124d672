"""The batch projection: a run of events becomes, per reputation row, the counts it adds (accepted,
completed, cancelled by the tasker, ratings, hand-offs), written in a few statements, each figure
derived again from the counts by `scoring`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from events.envelope import CloudEvent
from events.payloads import (
    AnswerEvent,
    HandedOff,
    ReviewRevealed,
    ReviewSubmitted,
    TaskCancelled,
    TipEvent,
    view_of,
)
from marketplace.community.models import HandoffCredit, Reputation
from marketplace.community.reputation.karma import apply_tips, karma_for
from marketplace.community.reputation.keys import Key, covering
from marketplace.community.scoring import reputation_score, tier_for
from marketplace.db import UnitOfWork, insert_many_if_absent


@dataclass
class Change:
    """What a run of events adds to one reputation row."""

    at: datetime  # the latest event's time
    accepted: int = 0
    completed: int = 0
    tasker_cancelled: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    late_handoffs: int = 0
    handoffs_completed: int = 0
    karma: bool = False  # a vote or a hide changed this tasker's tip counts: sum the karma again

    def absorb(self, other: "Change") -> None:
        """Add what a later run changes to this row."""
        self.at = max(self.at, other.at)
        self.accepted += other.accepted
        self.completed += other.completed
        self.tasker_cancelled += other.tasker_cancelled
        self.rating_sum += other.rating_sum
        self.rating_count += other.rating_count
        self.late_handoffs += other.late_handoffs
        self.handoffs_completed += other.handoffs_completed
        self.karma = self.karma or other.karma


COUNTED = (
    "tip.voted",
    "tip.hidden",
    "answer.voted",
    "answer.accepted",
    "answer.hidden",
    "task.accepted",
    "task.completed",
    "task.cancelled",
    "task.handed_off",
    "review.submitted",  # only those from before double-blind reviews carry a rating
    "review.revealed",
)


def _key(event: CloudEvent, view: Any) -> Key | None:
    """Whose reputation this event changes, or None if it changes no one's."""
    if isinstance(view, (TipEvent, AnswerEvent)):
        return view.author_id, view.category
    if isinstance(view, TaskCancelled) and view.cancelled_by != "tasker":
        return None  # a client's cancellation says nothing about the tasker
    if view.tasker_id is None:
        return None
    return view.tasker_id, view.category


def _credits(session: Session, events: list[CloudEvent]) -> dict[int, int | None]:
    """Who passed on each task these events complete or give back (None: nobody), from the
    projection's own table; changes_in keeps it current as hand-offs pass."""
    ids = sorted({e.data["task_id"] for e in events if e.type in ("task.completed", "task.cancelled")})
    held = dict.fromkeys(ids)
    if ids:
        held.update(
            session.exec(
                select(HandoffCredit.task_id, HandoffCredit.passed_by).where(col(HandoffCredit.task_id).in_(ids))
            ).all()
        )
    return held


def _save_credits(session: Session, written: dict[int, tuple[int, str] | None]) -> None:
    for task_id, credit in sorted(written.items()):
        row = session.get(HandoffCredit, task_id)
        if credit is None:
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            row = HandoffCredit(task_id=task_id, passed_by=credit[0], category=credit[1])
        row.passed_by, row.category = credit
        session.add(row)
    session.flush()


def changes_in(session: Session, events: list[CloudEvent]) -> dict[Key, Change]:
    changes: dict[Key, Change] = {}
    passed = _credits(session, events)
    written: dict[int, tuple[int, str] | None] = {}  # the credits these events change
    for event in events:
        if event.type not in COUNTED:  # tip.posted: a tip without votes adds no karma; others share topics
            continue
        view = view_of(event)
        if isinstance(view, ReviewSubmitted) and view.rating is None:
            continue  # a review written, still hidden: it counts once revealed
        if isinstance(view, ReviewRevealed) and view.tasker_rating is None:
            continue  # only the tasker reviewed the client
        if isinstance(view, HandedOff):
            assert view.tasker_id is not None  # a hand-off always has a winner
            changes.setdefault((view.tasker_id, view.category), Change(at=view.at)).accepted += 1
            passer = changes.setdefault((view.from_tasker_id, view.category), Change(at=view.at))
            passer.late_handoffs += int(view.late)
            passed[view.task_id] = view.from_tasker_id
            written[view.task_id] = (view.from_tasker_id, view.category)
            for change in (changes[(view.tasker_id, view.category)], passer):
                change.at = max(change.at, view.at)
            continue
        if event.type == "task.completed" and passed.get(view.task_id) is not None:
            credited = passed[view.task_id]
            assert credited is not None
            credit = changes.setdefault((credited, view.category), Change(at=view.at))
            credit.handoffs_completed += 1
            credit.at = max(credit.at, view.at)
        if event.type in ("task.completed", "task.cancelled") and passed.get(view.task_id) is not None:
            passed[view.task_id] = None  # done, cancelled or given back: nothing more to credit
            written[view.task_id] = None
        key = _key(event, view)
        if key is None:
            continue
        change = changes.setdefault(key, Change(at=view.at))
        change.at = max(change.at, view.at)
        if event.type == "task.accepted":
            change.accepted += 1
        elif event.type == "task.completed":
            change.completed += 1
        elif event.type == "task.cancelled":
            change.tasker_cancelled += 1
        elif isinstance(view, ReviewSubmitted | ReviewRevealed):
            rating = view.rating if isinstance(view, ReviewSubmitted) else view.tasker_rating
            assert rating is not None  # skipped above otherwise
            change.rating_sum += rating
            change.rating_count += 1
        else:
            change.karma = True
    _save_credits(session, written)
    return changes


def _locked(session: Session, changes: dict[Key, Change]) -> dict[Key, Reputation]:
    """The rows, created if new, locked for this transaction (in key order, so two workers
    serialise on them without deadlocking)."""
    insert_many_if_absent(
        session,
        Reputation,
        [{"tasker_id": t, "category": c, "updated_at": change.at} for (t, c), change in sorted(changes.items())],
    )
    rows = session.exec(
        select(Reputation)
        .where(*covering(Reputation, changes))
        .order_by(col(Reputation.tasker_id), col(Reputation.category))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {key: r for r in rows if (key := (r.tasker_id, r.category)) in changes}


def project_reputation_events(
    uow: UnitOfWork, events: list[CloudEvent]
) -> dict[Key, tuple[tuple[int, str], Reputation]]:
    """Apply a run of events, in a few statements, leaving every row exactly as applying them one
    at a time would (each figure is a function of counts, and karma of the final vote counts).
    Returns each changed row with its (score, tier) before."""
    session = uow.session
    apply_tips(session, events)
    return write(session, changes_in(session, events))


def write(session: Session, changes: dict[Key, Change], per_statement: int = 1000):
    """Add `changes` to their rows (created if new), a thousand rows to a statement."""
    changed: dict[Key, tuple[tuple[int, str], Reputation]] = {}
    keys = sorted(changes)
    for start in range(0, len(keys), per_statement):
        part = {key: changes[key] for key in keys[start : start + per_statement]}
        reps = _locked(session, part)
        karma = karma_for(session, [key for key, change in part.items() if change.karma])
        for key, change in part.items():
            rep = reps[key]
            before = (rep.score, rep.tier)
            rep.accepted += change.accepted
            rep.completed += change.completed
            rep.tasker_cancelled += change.tasker_cancelled
            rep.rating_sum += change.rating_sum
            rep.rating_count += change.rating_count
            rep.late_handoffs += change.late_handoffs
            rep.handoffs_completed += change.handoffs_completed
            if change.karma:
                rep.tip_karma = karma[key]
            rep.score = reputation_score(
                rep.rating_sum,
                rep.rating_count,
                rep.completed,
                rep.tasker_cancelled,
                rep.tip_karma,
                rep.late_handoffs,
                rep.handoffs_completed,
            )
            rep.tier = tier_for(rep.score)
            rep.updated_at = max(rep.updated_at, change.at)  # the latest event's time, whatever the order
            session.add(rep)
            changed[key] = (before, rep)
    return changed

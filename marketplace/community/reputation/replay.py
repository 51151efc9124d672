"""`floorboard replay reputation`: the projection rebuilt from the log, its rows held in memory and
written once."""

from __future__ import annotations

from sqlmodel import col, select

from events.envelope import CloudEvent
from marketplace.accounts.models import User
from marketplace.community.models import HandoffCredit, KarmaAnswer, KarmaTip, Reputation
from marketplace.community.reputation.counts import Change, changes_in, write
from marketplace.community.reputation.karma import apply_tips
from marketplace.community.reputation.keys import Key
from marketplace.db import UnitOfWork


class HeldReputation:
    """`floorboard replay reputation`'s way to apply chunks: per-tip vote counts are written as
    each chunk comes, and each reputation row's counts are added up in memory and written once,
    when `flush` is called (at the end, or when `full`). The replay is one transaction, in which
    PostgreSQL can prune no row version; written once, a row leaves no trail of versions for its
    later lookups to step over, however long the log.

    The rows come out as applying the events one at a time would: `add` refuses a run holding an
    event that would fail alone (a vote for a tip never posted, a tasker who is not a user) before
    it changes anything, so the replay applies that run one event at a time and skips just it.
    Memory: one small record per (tasker, category) held, at most `max_keys` of them."""

    def __init__(self, max_keys: int = 100_000):
        self.max_keys = max_keys
        self.held: dict[Key, Change] = {}

    @property
    def full(self) -> bool:
        return len(self.held) >= self.max_keys

    def add(self, uow: UnitOfWork, events: list[CloudEvent]) -> None:
        session = uow.session
        changes = changes_in(session, events)
        taskers = sorted({tasker for tasker, _ in changes})
        if taskers:
            users = set(session.exec(select(User.id).where(col(User.id).in_(taskers))))
            for tasker in taskers:
                if tasker not in users:
                    raise LookupError(f"reputation for tasker {tasker}, who is not a user")
        apply_tips(session, events)
        for key, change in changes.items():  # only once nothing above refused the run
            if key in self.held:
                self.held[key].absorb(change)
            else:
                self.held[key] = change

    def flush(self, uow: UnitOfWork) -> None:
        write(uow.session, self.held)
        self.held = {}


PROJECTION_TABLES = (Reputation, KarmaTip, KarmaAnswer, HandoffCredit)

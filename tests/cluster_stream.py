"""The stream the member-kill test feeds every consumer group it reaches, written in-process to the
outbox (the relay publishes it): postings (pricing, then market and notifications on the prices),
tips and votes across the categories' boards (tips, reputation, market, notifications), and floor
changes (tasker-rates). Written in two halves, so that each group has events left to take over
after one of its members is killed."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, func, select

from events.tables import EventLogRow, ProcessedEvent
from events.topics import CONSUMER_GROUPS
from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.community.tips import post_tip, vote_tip
from marketplace.floors.versions import FloorChange, set_floor
from marketplace.tasks.posting import TaskDraft, post_task

# The groups this stream reaches. payments (tasks.lifecycle only), reviews (reviews.submitted) and
# network (community.activity) hear of tasks taken, done and reviewed, which need taskers working.
STREAM_GROUPS = ("pricing", "market", "notifications", "tips", "reputation", "tasker-rates")
BOARDS = ("furniture-assembly", "moving-help", "yard-work", "mounting", "electrical")  # 4 partitions of 6


class Stream:
    def __init__(self, platform, taskers: int = 12):
        self.platform = platform
        self.task_ids: set[int] = set()
        self.helpful_votes = 0
        self.floor_changes = 0
        with platform.uow() as uow:
            self.client = create_user(uow.session, "client@example.test", "a long password", "client").id
            self.people = [
                create_user(uow.session, f"tasker-{i}@example.test", "a long password", "tasker").id
                for i in range(taskers)
            ]
            uow.commit()

    def write_half(self, postings: int) -> None:
        starts_at = utcnow() + timedelta(days=2)
        for _ in range(postings):
            with self.platform.uow() as uow:
                n = len(self.task_ids)
                draft = TaskDraft("yard-work", "springfield", f"Rake leaves #{n}", "", 30 + n % 240, starts_at)
                self.task_ids.add(post_task(uow, self.client, draft).id)
                uow.commit()
        self._tips_and_votes()
        self._floor_changes(20)

    def _tips_and_votes(self) -> None:
        for author_id in self.people:
            with self.platform.uow() as uow:
                author = uow.session.get(User, author_id)
                board = BOARDS[(author_id + len(self.task_ids)) % len(BOARDS)]
                tip = post_tip(uow, author, board, f"A tip from {author_id}", "Keep the rake **dry**.")
                for voter_id in self.people:
                    if voter_id != author_id:
                        vote_tip(uow, uow.session.get(User, voter_id), tip.id, helpful=True)
                        self.helpful_votes += 1
                uow.commit()

    def _floor_changes(self, n: int) -> None:
        for _ in range(n):
            hourly = 2500 if self.floor_changes % 2 == 0 else 2450
            with self.platform.uow() as uow:
                change = FloorChange("moving-help", "nyc", "member-kill stream", {"hourly_floor": hourly})
                set_floor(uow, change, None, "system (test)")
                uow.commit()
            self.floor_changes += 1

    def events_for(self, group: str) -> int:
        """How many events the log holds on the group's topics: each is processed once by the group."""
        statement = (
            select(func.count()).select_from(EventLogRow).where(col(EventLogRow.topic).in_(CONSUMER_GROUPS[group]))
        )
        return self._count(statement)

    def processed(self, group: str) -> int:
        statement = select(func.count()).select_from(ProcessedEvent).where(col(ProcessedEvent.consumer) == group)
        return self._count(statement)

    def _count(self, statement) -> int:
        with self.platform.uow() as uow:
            return uow.session.exec(statement).one()

"""The stream the member-kill test feeds every consumer group, written in-process to the outbox (the
relay publishes it) through the domain's use cases: postings (pricing, then market and
notifications on the prices), tips and votes across the categories' boards (tips, reputation,
market, notifications), floor changes (tasker-rates), priced tasks booked with a hold on
localstripe, accepted, started and completed (payments, and everyone on tasks.lifecycle), reviewed
by both sides (reviews), and taskers connecting and endorsing each other (network). Written in two
halves, so that each group has events left to take over after one of its members is killed."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, func, select

from events.tables import EventLogRow, ProcessedEvent
from events.topics import CONSUMER_GROUPS
from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.community.models import Reputation
from marketplace.community.tips import post_tip, vote_tip
from marketplace.floors.versions import FloorChange, set_floor
from marketplace.network.connections import request_connection
from marketplace.network.endorsements import MIN_COMPLETED_TO_ENDORSE, endorse
from marketplace.payments.holds import book_task
from marketplace.payments.payouts import onboard_tasker
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.lifecycle import accept_task, complete_task, start_task
from marketplace.tasks.models import Task, TaskStatus
from marketplace.tasks.posting import TaskDraft, post_task
from marketplace.tasks.reviews import review_task

STREAM_GROUPS = (
    "pricing",
    "market",
    "notifications",
    "tips",
    "reputation",
    "tasker-rates",
    "payments",
    "reviews",
    "network",
)
BOARDS = ("furniture-assembly", "moving-help", "yard-work", "mounting", "electrical")  # 4 partitions of 6
EVERY_TIER_AT_ONCE = (("elite", 0), ("trusted", 0), ("newcomer", 0))
ANY_TIME = timedelta(days=3)  # the tasks start in two days: the stream works them now


class Stream:
    def __init__(self, platform, taskers: int = 12):
        self.platform = platform
        self.task_ids: set[int] = set()
        self.helpful_votes = 0
        self.floor_changes = 0
        self.completed: set[int] = set()
        self.reviewed: set[int] = set()
        self.endorsements = 0
        with platform.uow() as uow:
            self.client = create_user(uow.session, "client@example.test", "a long password", "client").id
            self.people = [
                create_user(uow.session, f"tasker-{i}@example.test", "a long password", "tasker").id
                for i in range(taskers)
            ]
            uow.commit()
        for person in self.people:  # each does yard work, and is paid out to a connected account
            with platform.uow() as uow:
                set_skills(uow, person, ["springfield"], [SkillSpec("yard-work", 2400)])
                uow.commit()
                tasker = uow.session.get_one(User, person)
            onboard_tasker(platform.uow, platform.gateway, tasker, "https://example.test/r", "https://example.test/d")

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

    def work(self, tasks: int) -> None:
        """Book, take, do and review `tasks` priced tasks of the stream, a tasker each in turn."""
        with self.platform.uow() as uow:
            ids = uow.session.exec(
                select(Task.id)
                .where(col(Task.id).in_(self.task_ids), col(Task.status) == TaskStatus.priced)
                .order_by(col(Task.id))
                .limit(tasks)
            ).all()
            client = uow.session.get_one(User, self.client)
        assert len(ids) == tasks, f"only {len(ids)} of {tasks} tasks priced"
        for task_id in ids:
            tasker_id = self.people[len(self.completed) % len(self.people)]
            payment, _ = book_task(self.platform.uow, self.platform.gateway, client, task_id, "pm_card_visa")
            assert payment.status == "authorized", payment
            with self.platform.uow() as uow:
                tasker = uow.session.get_one(User, tasker_id)
                accept_task(uow, tasker, task_id, EVERY_TIER_AT_ONCE)
                uow.commit()
            with self.platform.uow() as uow:
                start_task(uow, uow.session.get_one(User, tasker_id), task_id, early=ANY_TIME)
                uow.commit()
            with self.platform.uow() as uow:
                complete_task(uow, uow.session.get_one(User, tasker_id), task_id, 30, tolerance=ANY_TIME)
                uow.commit()
            self.completed.add(task_id)
            for author_id in (self.client, tasker_id):
                with self.platform.uow() as uow:
                    review_task(uow, uow.session.get_one(User, author_id), task_id, 5, "On time, tidy work.")
                    uow.commit()
            self.reviewed.add(task_id)

    def connect(self, step: int) -> None:
        """Each tasker asks the one `step` places on to connect, and that one accepts (asking back)."""
        for i, person in enumerate(self.people):
            other = self.people[(i + step) % len(self.people)]
            for asker, asked in ((person, other), (other, person)):
                with self.platform.uow() as uow:
                    request_connection(uow, uow.session.get_one(User, asker), asked)
                    uow.commit()

    def can_endorse(self) -> bool:
        """Every tasker has three yard-work tasks done in the reputation projection (which endorse reads)."""
        statement = select(func.count()).where(
            col(Reputation.tasker_id).in_(self.people),
            col(Reputation.category) == "yard-work",
            col(Reputation.completed) >= MIN_COMPLETED_TO_ENDORSE,
        )
        return self._count(statement) == len(self.people)

    def endorse(self, step: int) -> None:
        """Each tasker endorses the one `step` places on for yard work (both connected, and having
        done three tasks of it)."""
        for i, person in enumerate(self.people):
            other = self.people[(i + step) % len(self.people)]
            with self.platform.uow() as uow:
                endorse(uow, uow.session.get_one(User, person), other, "yard-work", "Careful with the rake.")
                uow.commit()
            self.endorsements += 1

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

"""What a notice reads beside its event: the task, the people, a question, hand-off offers, the
clock and currency of the task's region, and where to send the reader (`Links`). Each row is read
once per unit of work, so a batch of events about the same people reads them once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from events.envelope import CloudEvent
from events.payloads import view_of
from marketplace.accounts.models import User
from marketplace.community.models import Question
from marketplace.conversations.models import Message
from marketplace.floors.models import Category, Region
from marketplace.floors.zones import label, zone_of
from marketplace.network.models import Endorsement, HandoffOffer
from marketplace.notifications.links import Links
from marketplace.tasks.models import ClientReview, Review, Task, TaskQuote
from pricing.money import format_cents

T = TypeVar("T")


def held(session: Session, key: tuple, load: Callable[[], T]) -> T:
    """`load()` once per unit of work: the identity map holds rows weakly, so a batch of events
    about the same people would otherwise read them again for every event. Changes made in other
    transactions during the batch are not seen, as they would not be by a batch that read first."""
    cache: dict[tuple, Any] = session.info.setdefault("notifications", {})
    if key not in cache:
        cache[key] = load()
    return cache[key]


class Facts:
    def __init__(self, session: Session, links: Links | None = None, test_mode: bool = False):
        self.session = session
        self._links = links
        # No payment provider is configured (the null gateway): money letters say that no card was
        # charged and nothing reached a bank, as the pages do. The entrypoint knows its gateway.
        self.test_mode = test_mode

    @property
    def links(self) -> Links:
        """Where letters send their readers (webhook payloads carry no links)."""
        assert self._links is not None, "a letter needs the Links its entrypoint built"
        return self._links

    def load(self, task_ids: set[int | None], user_ids: set[int | None]) -> None:
        """Read these tasks and people (and the people their tasks name) in one query a table, for
        a batch of events; the lookups below then find them held. A None (an event about no task,
        or naming nobody) is left out."""
        cache: dict[tuple, Any] = self.session.info.setdefault("notifications", {})
        wanted = {i for i in task_ids if i is not None and ("task", i) not in cache}
        for task in self.session.exec(select(Task).where(col(Task.id).in_(wanted))) if wanted else ():
            cache[("task", task.id)] = task
        for task_id in wanted:
            cache.setdefault(("task", task_id), None)
        named = set(user_ids)
        for named_task in wanted | {i for i in task_ids if i is not None}:
            task = cache[("task", named_task)]
            if task is not None:
                named |= {task.client_id, task.tasker_id, task.addressed_to_id}
        people = {i for i in named if i is not None and ("user", i) not in cache}
        for user in self.session.exec(select(User).where(col(User.id).in_(people))) if people else ():
            cache[("user", user.id)] = user
        for user_id in people:
            cache.setdefault(("user", user_id), None)

    def view(self, event: CloudEvent) -> Any:
        """The event's typed view (events.payloads), read once however many kinds read it."""
        return held(self.session, ("view", event.id), lambda: view_of(event))

    def task(self, task_id: int) -> Task | None:
        return held(self.session, ("task", task_id), lambda: self.session.get(Task, task_id))

    def message(self, message_id: int) -> Message | None:
        """A message's row: its words are there, never in its event (None once it is deleted)."""
        return held(self.session, ("message", message_id), lambda: self.session.get(Message, message_id))

    def endorsement(self, endorsement_id: int) -> Endorsement | None:
        """An endorsement's row, with what its endorser wrote (never in its event)."""
        return held(
            self.session, ("endorsement", endorsement_id), lambda: self.session.get(Endorsement, endorsement_id)
        )

    def load_payouts(self, task_ids: set[int]) -> None:
        """Read what these tasks pay, in one query (a sweep's letters each name theirs)."""
        cache: dict[tuple, Any] = self.session.info.setdefault("notifications", {})
        wanted = {i for i in task_ids if ("payout", i) not in cache}
        if not wanted:
            return
        query = select(TaskQuote.task_id, TaskQuote.payout).where(
            col(TaskQuote.task_id).in_(wanted), col(TaskQuote.kind) == "posted"
        )
        found = dict(self.session.exec(query).all())
        for task_id in wanted:
            cache[("payout", task_id)] = found.get(task_id)

    def payout(self, task_id: int) -> int | None:
        """What the task pays its tasker, as it was booked (None before it is priced)."""
        query = select(TaskQuote.payout).where(col(TaskQuote.task_id) == task_id, col(TaskQuote.kind) == "posted")
        return held(self.session, ("payout", task_id), lambda: self.session.exec(query).first())

    def has_reviewed(self, task_id: int, side: str) -> bool:
        """Whether this side of the task ("client" or "tasker") has written its review of it."""
        model: type[Review] | type[ClientReview] = Review if side == "client" else ClientReview
        query = select(model.id).where(col(model.task_id) == task_id)
        return held(self.session, ("reviewed", task_id, side), lambda: self.session.exec(query).first() is not None)

    def question(self, question_id: int) -> Question | None:
        """A question on a board, or None if it is not there or an operator hid it."""
        found = held(self.session, ("question", question_id), lambda: self.session.get(Question, question_id))
        return found if found is not None and not found.hidden else None

    def offer(self, offer_id: int) -> HandoffOffer | None:
        return held(self.session, ("offer", offer_id), lambda: self.session.get(HandoffOffer, offer_id))

    def offers_made_with(self, offer: HandoffOffer) -> list[HandoffOffer]:
        """The hand-off offers made at once with this one (the same task, tasker and moment: one
        each to several peers), this one among them, by id."""
        query = (
            select(HandoffOffer)
            .where(
                col(HandoffOffer.task_id) == offer.task_id,
                col(HandoffOffer.from_tasker_id) == offer.from_tasker_id,
                col(HandoffOffer.offered_at) == offer.offered_at,
            )
            .order_by(col(HandoffOffer.id))
        )
        return held(self.session, ("offers made with", offer.id), lambda: list(self.session.exec(query)))

    def user(self, user_id: int | None) -> User | None:
        if user_id is None:
            return None
        return held(self.session, ("user", user_id), lambda: self.session.get(User, user_id))

    def name(self, user_id: int | None, unnamed: str = "a tasker") -> str:
        """How a letter names someone: their display name, or `unnamed`."""
        user = self.user(user_id) if user_id else None
        return (user.display_name if user else "") or unnamed

    def title(self, task_id: int) -> str:
        """A task as a letter names it: its title in quotes."""
        task = self.task(task_id)
        return f"“{task.title}”" if task is not None else f"task {task_id}"

    def when(self, task: Task, at: datetime) -> str:
        """A moment on the clock of the task's region, with the zone's abbreviation."""
        zone = held(self.session, ("zone", task.region), lambda: zone_of(self.session, task.region))
        return label(at, zone)

    def money(self, task: Task, cents: int) -> str:
        """An amount in the currency of the task's region."""
        return format_cents(cents, self.currency(task.region))

    def currency(self, region: str) -> str:
        found = self._region(region)
        return found.currency if found is not None else "USD"

    def region_name(self, region: str) -> str:
        found = self._region(region)
        return found.name if found is not None else region

    def category_name(self, category: str) -> str:
        found = held(self.session, ("category", category), lambda: self.session.get(Category, category))
        return found.name if found is not None else category

    def _region(self, region: str) -> Region | None:
        return held(self.session, ("region", region), lambda: self.session.get(Region, region))

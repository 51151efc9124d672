"""`floorboard replay` leaves exactly the rows the live workers leave, applying one event at a time.

The replay applies a chunk of events in one call (reputation holds each row's counts in memory and
writes it once, when it holds too many or at the end), and falls back to one at a time for a chunk
holding an event that fails. Generated histories (votes before their tip, unknown tips, hidden
tips, a tasker who is not a user, client and tasker cancellations, hand-offs early and late and
the completions that credit them, events out of time order) are
applied by the live handlers one event at a time, each in a savepoint of its own as the runner
does, and then replayed in chunks of several sizes: every reputation, karma and board row must
come out equal, and so must the count of events skipped.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select

from bench.replay_bench import QUOTE  # a valid quote, whatever its figures
from events.envelope import CloudEvent
from events.tables import EventLogRow
from marketplace.accounts.models import User
from marketplace.community.boards import project_tip_event
from marketplace.community.models import BoardEntry, HandoffCredit, KarmaTip, Reputation
from marketplace.community.reputation import HeldReputation, project_reputation_event
from workers import replay as replay_module
from workers.replay import PROJECTIONS, replay

START = datetime(2026, 3, 1, tzinfo=UTC)
TASKERS = (901, 902, 903)
NOT_A_USER = 999
CATEGORIES = ("yard-work", "moving")

tip_ids = st.integers(1, 6)
task_nos = st.integers(1, 4)  # a few tasks, so that hand-offs and completions meet
taskers = st.sampled_from([*TASKERS, NOT_A_USER])
categories = st.sampled_from(CATEGORIES)
steps = st.one_of(
    st.tuples(st.just("tip.posted"), tip_ids),
    st.tuples(st.just("tip.voted"), tip_ids, st.booleans()),
    st.tuples(st.just("tip.hidden"), tip_ids),
    st.tuples(st.sampled_from(["task.accepted", "task.completed"]), taskers, categories, task_nos),
    st.tuples(st.just("task.cancelled"), st.sampled_from([*TASKERS, None]), categories, st.booleans(), task_nos),
    st.tuples(st.just("task.handed_off"), taskers, categories, task_nos, taskers, st.booleans()),
    st.tuples(st.just("review.submitted"), taskers, categories, st.integers(1, 5)),
)
histories = st.lists(st.tuples(steps, st.integers(0, 500)), max_size=40)


def event_for(n: int, step: tuple, minute: int) -> tuple[CloudEvent, str]:
    at = START + timedelta(minutes=minute)
    kind = step[0]
    if kind.startswith("tip."):
        tip = step[1]
        author = NOT_A_USER if tip == 6 else TASKERS[tip % 3]
        data = {"tip_id": tip, "category": CATEGORIES[tip % 2], "author_id": author, "at": at}
        if kind == "tip.posted":
            data |= {"title": f"tip {tip}", "body_html": "<p>ok</p>"}
        elif kind == "tip.voted":
            data |= {"voter_id": TASKERS[(tip + 1) % 3], "helpful": step[2]}
        else:
            data |= {"hidden_by": 1, "reason": "spam"}
        return CloudEvent(type=kind, subject=str(tip), data=data), data["category"]
    if kind == "review.submitted":
        _, tasker, category, rating = step
        data = {"review_id": n, "task_id": n, "tasker_id": tasker, "client_id": 1, "category": category}
        data |= {"rating": rating, "at": at}
        return CloudEvent(type=kind, subject=str(n), data=data), str(tasker)
    tasker, category, task_id = step[1], step[2], 1000 + step[-1] if kind != "task.handed_off" else 1000 + step[3]
    data = {"task_id": task_id, "client_id": 1, "tasker_id": tasker, "category": category}
    data |= {"region": "springfield", "at": at}
    if kind == "task.handed_off":
        data |= {"offer_id": n, "from_tasker_id": step[4], "late": step[5]}
    elif kind == "task.completed":
        data |= {"minutes_worked": 60, "quote": QUOTE}
    elif kind == "task.cancelled":
        by_tasker = step[3] and tasker is not None
        data |= {"cancelled_by": "tasker" if by_tasker else "client", "fee": None, "reopened": True}
    return CloudEvent(type=kind, subject=str(task_id), data=data), str(task_id)


def snapshot(platform) -> dict[str, list[dict]]:
    with platform.uow() as uow:
        return {
            model.__name__: [row.model_dump() for row in uow.session.exec(select(model).order_by(*order))]
            for model, order in (
                (Reputation, [Reputation.tasker_id, Reputation.category]),
                (KarmaTip, [KarmaTip.tip_id]),
                (BoardEntry, [BoardEntry.tip_id]),
                (HandoffCredit, [HandoffCredit.task_id]),
            )
        }


def live(platform, events: list[CloudEvent]) -> int:
    """Apply each event alone with the live handlers, as the runner does; the number that failed
    (the runner dead-letters those) for each projection."""
    failed = 0
    with platform.uow() as uow:
        for model in (Reputation, KarmaTip, BoardEntry, HandoffCredit):
            uow.session.exec(delete(model))
        for event in events:
            for handler in (lambda u, e: project_reputation_event(u, e, emit=False), project_tip_event):
                if handler is project_tip_event and not event.type.startswith("tip."):
                    continue
                try:
                    with uow.session.begin_nested():
                        handler(uow, event)
                except (LookupError, IntegrityError):
                    failed += 1
        uow.commit()
    return failed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories, chunk=st.integers(1, 12), max_keys=st.integers(1, 8))
def test_replay_in_chunks_equals_the_live_handlers_one_event_at_a_time(platform, history, chunk, max_keys):
    events = []
    with platform.uow() as uow:
        if uow.session.get(User, TASKERS[0]) is None:
            for tasker in TASKERS:
                uow.session.add(User(id=tasker, email=f"t{tasker}@example.com", password_hash="-", role="tasker"))
        uow.session.exec(delete(EventLogRow).where(col(EventLogRow.topic) != "pricing.floors"))
        for n, (step, minute) in enumerate(history, 1):
            event, key = event_for(n, step, minute)
            uow.emit(event, key=key)
            events.append(event)
        uow.commit()

    failed = live(platform, events)
    expected = snapshot(platform)
    held = replace(PROJECTIONS["reputation"], applier=lambda: HeldReputation(max_keys=max_keys))
    original = PROJECTIONS["reputation"]
    replay_module.PROJECTIONS["reputation"] = held  # flushes midway too, not only at the end
    try:
        results = [replay(platform, name, chunk=chunk) for name in ("reputation", "tips")]
    finally:
        replay_module.PROJECTIONS["reputation"] = original
    assert snapshot(platform) == expected
    assert sum(r.skipped for r in results) == failed

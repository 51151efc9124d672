"""The people and steps the network's service tests share: taskers with skills, connections, a task
held by Ann, hand-off offers, a tasker's record in a category, and the network worker drained."""

from __future__ import annotations

import json

from sqlmodel import col, select

from events.tables import EventLogRow
from marketplace.accounts.users import create_user
from marketplace.community.models import Reputation
from marketplace.network import connections as conn
from marketplace.network.handoffs import offer_handoff
from marketplace.network.models import HandoffOffer
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.lifecycle import accept_task
from tests.service.test_task_use_cases import priced_and_booked, run, who
from tests.support import NO_WINDOW, Pipeline


def tasker(platform, name: str, skills: dict[str, int] | None = None, regions=("springfield",)) -> int:
    with platform.uow() as uow:
        user = create_user(uow.session, f"{name}@example.test", "correct horse battery", "tasker")
        specs = [SkillSpec(c, r) for c, r in (skills or {"yard-work": 2400}).items()]
        set_skills(uow, user.id, list(regions), specs)
        uow.commit()
        return user.id


def connect(platform, a: int, b: int) -> None:
    run(platform, conn.request_connection, who(platform, a), b)
    run(platform, conn.accept_connection, who(platform, b), a)


def held_by_ann(market, **changes) -> int:
    platform, _, people = market
    task_id = priced_and_booked(market, **changes)
    run(platform, accept_task, who(platform, people["ann"]), task_id, NO_WINDOW)
    return task_id


def offer(platform, holder: int, task_id: int, peers: list[int], **kw) -> list[HandoffOffer]:
    return run(platform, offer_handoff, who(platform, holder), task_id, peers, "", NO_WINDOW, *kw.values())


def events_of(platform, kind: str) -> list[EventLogRow]:
    with platform.uow() as uow:
        rows = uow.session.exec(select(EventLogRow).where(col(EventLogRow.topic) == "tasks.lifecycle")).all()
    return [r for r in rows if json.loads(r.value)["type"] == kind]


def worked(platform, tasker_id: int, category: str, completed: int, tier: str = "newcomer") -> None:
    """A tasker's record in a category, as the reputation projection would hold it."""
    with platform.uow() as uow:
        row = uow.session.get(Reputation, (tasker_id, category)) or Reputation(tasker_id=tasker_id, category=category)
        row.completed, row.accepted, row.tier = completed, completed, tier
        uow.session.add(row)
        uow.commit()


def project(platform) -> None:
    network = Pipeline(platform, ["network"])
    try:
        network.drain()
    finally:
        network.close()


def mentors(platform, n: int, prefix: str = "mentor") -> list[int]:
    ids = []
    for i in range(n):
        mentor = tasker(platform, f"{prefix}{i}", {"mounting": 3800, "yard-work": 2400})
        worked(platform, mentor, "mounting", 12, "elite")
        ids.append(mentor)
    return ids


def offer_status(platform, offer_id: int) -> str:
    with platform.uow() as uow:
        return uow.session.get_one(HandoffOffer, offer_id).status

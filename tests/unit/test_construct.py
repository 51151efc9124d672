"""marketplace.db.construct builds the same object as a table model's constructor, without one
instrumented __setattr__ per field (the posting's Task and the token check's User)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import inspect

from marketplace.accounts.models import User
from marketplace.db import construct
from marketplace.tasks.models import Task, TaskStatus

TASK = {
    "client_id": 7,
    "category": "yard-work",
    "region": "springfield",
    "title": "Rake the leaves",
    "description": "Front and back.",
    "estimated_minutes": 95,
    "starts_at": datetime(2030, 1, 1, 9, tzinfo=timezone.utc),
    "offered_rate": None,
    "status": TaskStatus.posted,
    "posted_at": datetime(2026, 12, 7, 23, tzinfo=timezone.utc),  # given: its default is the clock
}


def _same(made, built) -> None:
    assert type(made) is type(built)
    assert built.model_dump() == made.model_dump()
    assert built.__pydantic_fields_set__ == made.__pydantic_fields_set__
    assert set(built.__dict__) == set(made.__dict__)
    assert inspect(built).transient and inspect(made).transient


def test_a_task_is_the_one_its_constructor_makes_defaults_included():
    made, built = Task(**TASK), construct(Task, **TASK)
    _same(made, built)
    assert built.payment_status == made.payment_status and built.tasker_id is None  # defaults filled
    built.id = 41  # an instrumented attribute still works as on any instance
    assert built.id == 41 and built.model_dump()["id"] == 41


def test_a_user_snapshot_is_the_one_its_constructor_makes():
    values = {"id": 3, "email": "a@example.test", "password_hash": "x", "role": "client", "display_name": "A"}
    values["created_at"] = datetime(2026, 12, 1, tzinfo=timezone.utc)  # its default is the clock
    _same(User(**values), construct(User, **values))


def test_a_default_from_a_factory_is_called_for_each_instance():
    first, second = construct(Task, **{k: v for k, v in TASK.items() if k != "posted_at"}), construct(Task, **TASK)
    assert first.posted_at is not None and first.posted_at != second.posted_at

"""A task's stored quotes (estimate, final, claimed, cancellation fee) and the floor rule a task is
priced by."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from marketplace.floors.versions import to_rule, versions_of
from marketplace.tasks.models import Task, TaskQuote
from pricing import Quote
from pricing.rules import FloorRule


def task_rule(session: Session, task: Task) -> FloorRule:
    """The rule version the task was priced with: it travels with the task forever."""
    for row in versions_of(session, task.category, task.region):
        if row.version == task.rule_version:
            return to_rule(row)
    raise LookupError(f"task {task.id}: rule version {task.rule_version} of {task.category}/{task.region} is missing")


def save_quote(session: Session, task: Task, kind: str, result: Quote) -> None:
    session.add(TaskQuote(task_id=task.id, kind=kind, **quote_fields(result)))


def replace_quote(session: Session, task_id: int, kind: str, result: Quote) -> None:
    """Change what a task's quote of this kind says (an upheld claim becomes the final price)."""
    row = session.exec(select(TaskQuote).where(col(TaskQuote.task_id) == task_id, col(TaskQuote.kind) == kind)).one()
    for name, value in quote_fields(result).items():
        setattr(row, name, value)
    session.add(row)


def quote_fields(result: Quote) -> dict[str, Any]:
    """A quote's figures as a quote row's columns."""
    return dict(result.as_dict())


def quote_dict(row: TaskQuote) -> dict:
    return {name: getattr(row, name) for name in Quote._fields}


def as_price(row: TaskQuote) -> Quote:
    return Quote(**quote_dict(row))


def quotes_for(session: Session, task_ids: list[int]) -> dict[int, dict[str, TaskQuote]]:
    """Every quote of these tasks by kind (posted, final, cancellation), in one query."""
    quotes: dict[int, dict[str, TaskQuote]] = {task_id: {} for task_id in task_ids}
    for q in session.exec(select(TaskQuote).where(col(TaskQuote.task_id).in_(task_ids))):
        quotes[q.task_id][q.kind] = q
    return quotes


def quotes_of(session: Session, task_id: int) -> dict[str, TaskQuote]:
    return quotes_for(session, [task_id])[task_id]

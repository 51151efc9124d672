"""The pricing stage: price a posted task from the floor table (group "pricing"), and preview a quote
before posting."""

from __future__ import annotations

from events.envelope import CloudEvent
from events.payloads import TaskPosted, TaskPriced
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork
from marketplace.errors import Invalid
from marketplace.floors.table import FloorTable
from marketplace.floors.versions import current_rule
from marketplace.tasks.models import Task
from marketplace.tasks.quotes import save_quote
from marketplace.tasks.steps import record_step
from marketplace.tasks.transitions import Action, allowed, move
from pricing import Quote, QuoteError, quote
from pricing.money import format_cents


def price_posted_task(uow: UnitOfWork, event: CloudEvent, floors: FloorTable) -> None:
    """The pricing stage: price with the rule in force at posting time, or reject with a reason."""
    posted = TaskPosted.of(event)
    task = uow.session.get(Task, posted.task_id)
    if task is None:
        raise LookupError(f"task {posted.task_id} is on tasks.posted but not in the database")
    if not allowed(task.status, Action.price):
        return  # already priced (or moved on): pricing twice must change nothing
    rule = floors.rule_in_force(posted.category, posted.region, posted.posted_at)
    now = utcnow()
    result, reason = None, None
    if rule is None:
        reason = f"No fee floor is set for {posted.category} in {posted.region} at the posting time."
    else:
        try:
            result = quote(rule, posted.estimated_minutes, posted.offered_rate)
        except QuoteError as exc:
            reason = f"{exc.field}: {exc.message}"
    task.priced_at = now
    if result is None:
        move(task, Action.reject)
        task.rejection_reason = reason
    else:
        move(task, Action.price)
        task.rule_version = result.rule_version
        save_quote(uow.session, task, "posted", result)
    uow.session.add(task)
    record_step(uow.session, task.id, task.status, now, note=reason or "")
    priced = TaskPriced(
        task_id=task.id,
        status=task.status,
        category=task.category,
        region=task.region,
        quote=result.as_dict() if result else None,
        reason=reason,
        priced_at=now,
    )
    uow.emit(priced.event(subject=task.id), key=str(task.id))


def preview_quote(session, category: str, region: str, estimated_minutes: int, offered_rate: int | None) -> Quote:
    """What a posting would cost now, from the same engine and the rule in force now."""
    rule = current_rule(session, category, region)
    if rule is None:
        raise Invalid("No floor applies.", {"category": [f"No fee floor is set for {category!r} in {region!r}."]})
    try:
        return quote(rule, estimated_minutes, offered_rate)
    except QuoteError as exc:
        raise Invalid("The quote was refused.", {exc.field: [exc.message]}) from None


def offer_notes(offered_rate: int | None, result: Quote) -> list[str]:
    """What the preview must say about the client's offer: one below the floor is not used."""
    if offered_rate is not None and offered_rate < result.rate:
        return [
            f"Your offer of {format_cents(offered_rate)}/h is below the floor of {format_cents(result.rate)}/h, "
            f"so the floor applies: the task is priced at {format_cents(result.rate)}/h."
        ]
    return []

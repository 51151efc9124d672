"""Work beyond the booked amount. A tasker who completes past what the client booked files a claim
(`lifecycle.complete_task`); the client approves it (the difference is charged) or disputes it (the
booked amount is captured and an operator rules); unanswered, it lapses to the booked amount.
Nothing beyond the booking moves until the client or an operator said yes.

The legal minimum outlives every later step: a ruling for the client is refused, with the figures,
when the booked amount pays the tasker under the region's legal minimum for the minutes worked,
and an unanswered claim in that case does not lapse to the booked amount but waits for an
operator's ruling (it is listed with the disputes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from events.payloads import TaskAdjustmentDecided
from marketplace.accounts.models import Role, User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.floors.legal import history as legal_history
from marketplace.floors.legal import in_force, required_pay
from marketplace.floors.models import LegalMinimumVersion, Region
from marketplace.tasks.events import emit_task_event, task_head
from marketplace.tasks.lifecycle import MAX_REASON, settle_task
from marketplace.tasks.models import Adjustment, AdjustmentStatus, Task, TaskQuote
from marketplace.tasks.quotes import as_price, quotes_of, replace_quote
from marketplace.tasks.steps import record_step
from marketplace.tasks.transitions import Action, allowed
from pricing.money import format_cents


def _claim(session, task_id: int) -> tuple[Task, Adjustment]:
    task = session.get(Task, task_id)
    claim = session.get(Adjustment, task_id)
    if task is None or claim is None:
        raise NotFound(f"Task {task_id} has no claim for extra time.")
    return task, claim


def _decided(
    uow: UnitOfWork, task: Task, claim: Adjustment, status: str, by: int | None, note: str, role: str = ""
) -> None:
    now = utcnow()
    claim.status, claim.decided_at, claim.decided_by, claim.note = status, now, by, note
    uow.session.add(claim)
    record_step(uow.session, task.id, f"claim_{status}", now, by, role, note)
    quotes = quotes_of(uow.session, task.id)
    emit_task_event(
        uow,
        TaskAdjustmentDecided(
            **task_head(task, now),
            minutes_worked=claim.minutes_claimed,
            booked=as_price(quotes["posted"]).as_dict(),
            claimed=as_price(quotes["claimed"]).as_dict(),
            status=status,
            due_at=claim.due_at,
        ),
    )


def _pending_for_client(session, client: User, task_id: int) -> tuple[Task, Adjustment]:
    task = session.get(Task, task_id)
    if task is None or task.client_id != client.id:
        raise NotFound(f"No task {task_id} of yours.")
    task, claim = _claim(session, task_id)
    if not allowed(task.status, Action.approve) or claim.status != AdjustmentStatus.pending:
        raise Conflict(f"The claim on task {task_id} was already decided ({claim.status}).")
    return task, claim


def approve_adjustment(uow: UnitOfWork, client: User, task_id: int) -> Task:
    """The client agrees to the extra: the claimed price becomes the final price, charged in full."""
    task, claim = _pending_for_client(uow.session, client, task_id)
    _decided(uow, task, claim, AdjustmentStatus.approved, client.id, "", "client")
    settle_task(uow, task, as_price(quotes_of(uow.session, task.id)["claimed"]), Action.approve)
    return task


def dispute_adjustment(uow: UnitOfWork, client: User, task_id: int, reason: str) -> Task:
    """The client does not agree: the booked amount is settled now, and an operator rules on the rest."""
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise Invalid(
            "Say why you dispute the extra time.", {"reason": [f"Required, at most {MAX_REASON} characters."]}
        )
    task, claim = _pending_for_client(uow.session, client, task_id)
    _decided(uow, task, claim, AdjustmentStatus.disputed, client.id, reason, "client")
    settle_task(uow, task, as_price(quotes_of(uow.session, task.id)["posted"]), Action.dispute)
    return task


@dataclass(frozen=True)
class RulingFigures:
    """What an operator reads before ruling on a claim: the time, the money on each side, and the
    region's legal minimum in force when the task was completed, applied to the minutes worked
    (the minutes the compliance report checks)."""

    task_id: int
    region: str
    region_name: str
    currency: str
    started_at: datetime | None
    completed_at: datetime | None
    elapsed_minutes: int | None  # from the start to the completion, as the platform saw them
    estimated_minutes: int  # what the client booked
    booked_minutes: int  # what the booking billed (at least the floor's minimum billable time)
    claimed_minutes: int  # the minutes worked, as the tasker claims them
    booked_total: int
    booked_payout: int
    claimed_total: int
    claimed_payout: int
    minimum: LegalMinimumVersion | None  # the legal minimum in force at the completion
    required: int | None  # the most it asks for the minutes worked (cents of payout)
    required_rule: str  # which part of it asks that: per minute, per hour or per task

    @property
    def client_ruling_short_by(self) -> int:
        """How far a ruling for the client (the booked amount) falls under the legal minimum."""
        return max(0, (self.required or 0) - self.booked_payout)

    def money(self, cents: int) -> str:
        return format_cents(cents, self.currency)

    def refusal(self) -> str:
        """Why a ruling for the client cannot stand, with the figures."""
        assert self.minimum is not None and self.required is not None
        return (
            f"A ruling for the client would pay the tasker {self.money(self.booked_payout)} (the booked amount) for "
            f"{self.claimed_minutes} minutes worked, {self.money(self.client_ruling_short_by)} under "
            f"{self.region_name}'s legal minimum of {self.money(self.required)} ({self.required_rule}; "
            f"{self.minimum.source}). Rule for the tasker, whose claim pays {self.money(self.claimed_payout)}."
        )


def ruling_figures(session: Session, task: Task, claim: Adjustment) -> RulingFigures:
    quotes: dict[str, TaskQuote] = quotes_of(session, task.id)
    booked, claimed = quotes["posted"], quotes.get("claimed") or quotes["posted"]
    place = session.get(Region, task.region)
    elapsed = None
    if task.started_at is not None and task.completed_at is not None:
        elapsed = max(0, int((task.completed_at - task.started_at).total_seconds() // 60))
    minutes = task.minutes_worked or claim.minutes_claimed
    minimum = in_force(legal_history(session, task.region), task.completed_at or claim.requested_at)
    required, rule = None, ""
    if minimum is not None:
        asked = required_pay(minutes, minimum.per_minute, minimum.per_hour, minimum.per_task)
        if asked:  # the part that asks the most (the compliance report checks each part alike)
            rule, required = max(asked, key=lambda part: part[1])
    return RulingFigures(
        task_id=task.id,
        region=task.region,
        region_name=place.name if place else task.region,
        currency=place.currency if place else "USD",
        started_at=task.started_at,
        completed_at=task.completed_at,
        elapsed_minutes=elapsed,
        estimated_minutes=task.estimated_minutes,
        booked_minutes=booked.billable_minutes,
        claimed_minutes=minutes,
        booked_total=booked.total,
        booked_payout=booked.payout,
        claimed_total=claimed.total,
        claimed_payout=claimed.payout,
        minimum=minimum,
        required=required,
        required_rule=rule,
    )


def _awaits_operator(session: Session, task: Task, claim: Adjustment, now: datetime) -> bool:
    """An unanswered claim past its due time whose booked amount pays under the legal minimum:
    it does not lapse, an operator rules on it."""
    return (
        claim.status == AdjustmentStatus.pending
        and claim.due_at <= now
        and ruling_figures(session, task, claim).client_ruling_short_by > 0
    )


def resolve_dispute(uow: UnitOfWork, operator: User, task_id: int, for_tasker: bool, note: str) -> Adjustment:
    """An operator's ruling. For the tasker, the claimed price becomes the task's final price (the
    one every page, list and event shows), and the difference is charged to the client's saved
    card and paid on by the payments worker; for the client, the booked amount stands, unless it
    pays the tasker under the legal minimum for the minutes worked: then the ruling is refused
    with the figures. Also rules on an unanswered claim that could not lapse for that reason."""
    if operator.role != Role.operator:
        raise Forbidden("Only operators rule on disputes.")
    note = (note or "").strip()
    if not note or len(note) > MAX_REASON:
        raise Invalid("Give the ruling's reason.", {"note": [f"Required, at most {MAX_REASON} characters."]})
    session = uow.session
    task, claim = _claim(session, task_id)
    unanswered = _awaits_operator(session, task, claim, utcnow())
    if claim.status != AdjustmentStatus.disputed and not unanswered:
        raise Conflict(f"Task {task_id}'s claim is {claim.status}, not disputed.")
    if not for_tasker:
        figures = ruling_figures(session, task, claim)
        if figures.client_ruling_short_by > 0:
            raise Invalid(figures.refusal(), {"decision": [figures.refusal()]})
    claimed = as_price(quotes_of(session, task.id)["claimed"])
    if unanswered:  # (so for the tasker) nothing was settled yet: the claimed price is settled in full
        _decided(uow, task, claim, AdjustmentStatus.upheld, operator.id, note, "operator")
        settle_task(uow, task, claimed, Action.approve)
        return claim
    if for_tasker:
        replace_quote(session, task.id, "final", claimed)
    status = AdjustmentStatus.upheld if for_tasker else AdjustmentStatus.rejected
    _decided(uow, task, claim, status, operator.id, note, "operator")
    return claim


def expire_adjustments(uow: UnitOfWork, now: datetime) -> int:
    """Claims the client left unanswered past their due time settle at the booked amount, except
    those whose booked amount pays the tasker under the legal minimum for the minutes worked: they
    wait for an operator's ruling (`disputes` lists them). Returns how many lapsed."""
    session = uow.session
    overdue = session.exec(
        select(Adjustment).where(col(Adjustment.status) == AdjustmentStatus.pending, col(Adjustment.due_at) <= now)
    ).all()
    lapsed = 0
    for claim in overdue:
        task = session.get_one(Task, claim.task_id)
        if ruling_figures(session, task, claim).client_ruling_short_by > 0:
            continue
        _decided(uow, task, claim, AdjustmentStatus.expired, None, "No answer in time: the booked amount stands.")
        settle_task(uow, task, as_price(quotes_of(session, task.id)["posted"]), Action.lapse)
        lapsed += 1
    return lapsed


@dataclass(frozen=True)
class OpenClaim:
    """A claim an operator rules on: disputed by the client, or unanswered past its due time with a
    booked amount under the legal minimum."""

    claim: Adjustment
    task: Task
    figures: RulingFigures
    unanswered: bool


def disputes(session: Session, now: datetime | None = None) -> list[OpenClaim]:
    """Claims waiting for an operator's ruling, oldest first, each with its figures."""
    now = now or utcnow()
    rows = session.exec(
        select(Adjustment, Task)
        .join(Task, col(Task.id) == Adjustment.task_id)
        .where(
            (col(Adjustment.status) == AdjustmentStatus.disputed)
            | ((col(Adjustment.status) == AdjustmentStatus.pending) & (col(Adjustment.due_at) <= now))
        )
        .order_by(col(Adjustment.requested_at), col(Adjustment.task_id))
    )
    found = []
    for claim, task in rows:
        figures = ruling_figures(session, task, claim)
        unanswered = claim.status == AdjustmentStatus.pending
        if unanswered and figures.client_ruling_short_by == 0:
            continue  # it lapses to the booked amount on the payments worker's next round
        found.append(OpenClaim(claim, task, figures, unanswered))
    return found

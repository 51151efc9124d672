"""A priced task's life: accept (atomic), start, complete (final price from the engine; beyond the
booking, a claim for the client), and cancel (free more than 24 h ahead, then one billable hour).
Each step changes the task and emits its tasks.lifecycle event in one unit of work. Starting and
cancelling take the task from its holder: the entry points call them through network/holding.py,
which also withdraws the hand-off offers still open on the task."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from events.payloads import TaskAccepted, TaskAdjustmentRequested, TaskCancelled, TaskCompleted, TaskStarted
from marketplace.accounts.models import Role, User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.floors.zones import UTC, label, zone_of
from marketplace.policy import DEFAULTS
from marketplace.taskers.levels import Window
from marketplace.tasks.events import emit_task_event, task_head
from marketplace.tasks.feed import is_open_to, opens_to_you_at
from marketplace.tasks.models import Adjustment, Task, TaskStatus
from marketplace.tasks.quotes import quote_dict, quotes_of, save_quote, task_rule
from marketplace.tasks.steps import record_step
from marketplace.tasks.transitions import Action, allowed, compare_and_set, move, target
from pricing import Quote, cancellation_fee, quote
from pricing.quote import MAX_ESTIMATED_MINUTES

FREE_CANCELLATION = timedelta(hours=24)
# After a hand-off the client may cancel free this long, even inside the 24 h: they did not choose
# the new tasker. These defaults are the policy's (marketplace/policy.py): the settings' defaults.
HANDOFF_FREE_CANCELLATION = DEFAULTS.handoff_free_cancel
START_EARLY = DEFAULTS.start_early
START_LATE = DEFAULTS.start_late

ADJUSTMENT_WINDOW = DEFAULTS.adjustment_window
# Minutes worked may exceed the time since the start by this much (a clock set a little wrong, a
# task started in the app a few minutes late).
COMPLETION_TOLERANCE = DEFAULTS.completion_tolerance

MAX_REASON = 500


def get_task(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"No task {task_id}.")
    return task


def _held_by(session: Session, task_id: int, tasker_id: int) -> Task:
    task = get_task(session, task_id)
    if task.tasker_id != tasker_id:
        raise Forbidden(f"Task {task_id} is not held by you.")
    return task


class NotOpenYet(Conflict):
    """The task matches the tasker, but their tier's window has not passed: it opens at `opens_at`."""

    def __init__(self, message: str, opens_at: datetime):
        super().__init__(message)
        self.opens_at = opens_at


def accept_task(uow: UnitOfWork, tasker: User, task_id: int, window: Window) -> Task:
    """Exactly one tasker wins: the UPDATE only matches while the task is still `priced`, and the
    database lets one transaction through; everyone else sees no row changed and gets a 409.
    A task for this tasker whose tier's window has not passed is refused with the moment it opens
    to them (NotOpenYet); one that is not for them at all (skills, regions, level, rate) is Forbidden."""
    session = uow.session
    task = get_task(session, task_id)
    now = utcnow()
    if not allowed(task.status, Action.accept):
        raise Conflict(f"This task is no longer open (it is {task.status}).")  # no title: not theirs to read
    if not is_open_to(session, tasker.id, task_id, window, now, unclaimed=False):
        waiting = opens_to_you_at(session, tasker.id, task_id, window, now)
        if waiting is not None:  # for them, but not yet: say when, on the region's clock
            first = " (higher tiers see it first)" if waiting.higher_tiers_first else ""
            raise NotOpenYet(
                f"“{task.title}” is not open to you yet: it opens to you at "
                f"{label(waiting.opens_at, zone_of(session, task.region))}{first}.",
                waiting.opens_at,
            )
        raise Forbidden(
            "This task is not open to you: check your skills, regions, level and rate against your feed of open tasks."
        )
    if not compare_and_set(session, task, Action.accept, tasker_id=tasker.id, accepted_at=now):
        raise Conflict(f"“{task.title}” was just taken by another tasker.")
    emit_task_event(uow, TaskAccepted(**task_head(task, now)))
    record_step(session, task.id, "accepted", now, tasker.id, "tasker")
    return task


def start_window(task: Task, early: timedelta = START_EARLY, late: timedelta = START_LATE) -> tuple[datetime, datetime]:
    """When the tasker may start: from `early` before the start to `late` after it, in elapsed
    time (on the night the clocks change, 24 h after 10:00 is 09:00 or 11:00 on the local clock)."""
    return task.starts_at - early, task.starts_at + late


def start_task(
    uow: UnitOfWork, tasker: User, task_id: int, early: timedelta = START_EARLY, late: timedelta = START_LATE
) -> Task:
    """Start a held task, from `early` before its start time until `late` after it."""
    task = _held_by(uow.session, task_id, tasker.id)
    target(task.status, Action.start)  # refuses what the table does not allow
    now = utcnow()
    opens, closes = start_window(task, early, late)
    if not opens <= now <= closes:
        when = "not be started yet" if now < opens else "no longer be started"
        tz = zone_of(uow.session, task.region)
        raise Conflict(
            f"“{task.title}” can {when}: its start window runs from {label(opens, tz)} "
            f"to {label(closes, tz)} (it starts at {label(task.starts_at, tz)})."
        )
    move(task, Action.start)
    task.started_at = now
    uow.session.add(task)
    emit_task_event(uow, TaskStarted(**task_head(task, now)))
    record_step(uow.session, task.id, "started", now, tasker.id, "tasker")
    return task


def complete_task(
    uow: UnitOfWork,
    tasker: User,
    task_id: int,
    minutes_worked: int,
    reason: str = "",
    answer_within: timedelta = ADJUSTMENT_WINDOW,
    tolerance: timedelta = COMPLETION_TOLERANCE,
) -> Task:
    """The final price is the engine's quote for the minutes worked, under the task's own rule
    version, so it is never below the floor for the billable time. Within the booked amount it
    settles at once. Beyond it, nothing more is charged or paid yet: the completion becomes a
    claim (with the tasker's reason) that the client approves or disputes, and that lapses to the
    booked amount if the client does not answer in `answer_within`."""
    session = uow.session
    task = _held_by(session, task_id, tasker.id)
    target(task.status, Action.complete)
    if not 1 <= minutes_worked <= MAX_ESTIMATED_MINUTES:
        raise Invalid(
            "Check the minutes worked.", {"minutes_worked": [f"Must be between 1 and {MAX_ESTIMATED_MINUTES}."]}
        )
    now = utcnow()
    _check_time_passed(session, task, minutes_worked, now, tolerance)
    final = quote(task_rule(session, task), minutes_worked, task.offered_rate)
    booked = quotes_of(session, task.id)["posted"]
    if final.total > booked.total:
        reason = (reason or "").strip()
        if not reason or len(reason) > MAX_REASON:  # the client reads it before answering the claim
            raise Invalid(
                "Say why the task took longer than booked.",
                {
                    "reason": [
                        f"{minutes_worked} minutes come to more than the {task.estimated_minutes} the client booked: "
                        f"say why, in at most {MAX_REASON} characters (the client reads it before answering)."
                    ]
                },
            )
        move(task, Action.claim)
        task.completed_at, task.minutes_worked = now, minutes_worked
        session.add(task)
        save_quote(session, task, "claimed", final)
        claim = Adjustment(
            task_id=task.id,
            tasker_id=tasker.id,
            minutes_claimed=minutes_worked,
            reason=reason,
            booked_total=booked.total,
            claimed_total=final.total,
            requested_at=now,
            due_at=now + answer_within,
        )
        session.add(claim)
        emit_task_event(
            uow,
            TaskAdjustmentRequested(
                **task_head(task, now),
                minutes_worked=minutes_worked,
                booked=quote_dict(booked),
                claimed=final.as_dict(),
                status=claim.status,
                due_at=claim.due_at,
            ),
        )
        record_step(session, task.id, "claimed", now, tasker.id, "tasker", reason)
        return task
    task.completed_at, task.minutes_worked = now, minutes_worked
    settle_task(uow, task, final, Action.complete)
    record_step(session, task.id, "completed", now, tasker.id, "tasker")
    return task


def _check_time_passed(session: Session, task: Task, minutes_worked: int, now: datetime, tolerance: timedelta) -> None:
    """Nobody works longer than the time since they started (give or take `tolerance`). The start
    is named on the clock of the task's region."""
    if task.started_at is None:
        return
    since = now - task.started_at
    if timedelta(minutes=minutes_worked) > since + tolerance:
        elapsed = int(since.total_seconds() // 60)
        allowed = int((since + tolerance).total_seconds() // 60)
        raise Invalid(
            "Check the minutes worked.",
            {
                "minutes_worked": [
                    f"The task started {_duration(elapsed)} ago "
                    f"(at {label(task.started_at, zone_of(session, task.region))}), so at most "
                    f"{allowed} minutes can be claimed now, not {minutes_worked}."
                ]
            },
        )


def _duration(minutes: int) -> str:
    if minutes < 1:
        return "less than a minute"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} minute{'s' if rest != 1 else ''}"
    return f"{hours} h {rest:02d} min"


def settle_task(uow: UnitOfWork, task: Task, final: Quote, action: Action) -> None:
    """The task is done and its price decided (`action`: completed within the booking, or a claim
    approved, disputed or lapsed): record the final quote and tell the payments worker."""
    move(task, action)
    uow.session.add(task)
    save_quote(uow.session, task, "final", final)
    assert task.minutes_worked is not None  # recorded when the tasker marked it done
    done = TaskCompleted(**task_head(task, utcnow()), minutes_worked=task.minutes_worked, quote=final.as_dict())
    emit_task_event(uow, done)


def free_cancellation_ends(task: Task) -> datetime:
    """The last moment a client's cancellation is free: 24 hours of elapsed time before the start,
    whatever the local clocks do in between (across a change to summer time, 24 h before 10:00
    on Sunday is 09:00 on Saturday)."""
    return task.starts_at - FREE_CANCELLATION


def cancellation_terms(
    task: Task, now: datetime, handoff_grace: timedelta = HANDOFF_FREE_CANCELLATION, tz: ZoneInfo = UTC
) -> tuple[bool, str]:
    """(is a fee due, the policy as the client reads it, times in `tz`) for a client cancelling now."""
    if task.status in (TaskStatus.posted, TaskStatus.priced, TaskStatus.rejected) or task.tasker_id is None:
        return False, "No tasker holds this task now, so cancelling is free."
    if now < free_cancellation_ends(task):
        return False, (
            "The start is more than 24 hours away, so cancelling is free until "
            f"{label(free_cancellation_ends(task), tz)}."
        )
    if task.handed_off_at is not None and now - task.handed_off_at <= handoff_grace:
        until = task.handed_off_at + handoff_grace
        return False, (
            "Your task was handed to another tasker, whom you did not choose, so cancelling is free "
            f"until {label(until, tz)}."
        )
    return True, (
        "The start is less than 24 hours away and a tasker has accepted, so cancelling pays "
        "the tasker one billable hour at the task's rate."
    )


def cancel_by_client(
    uow: UnitOfWork,
    client: User,
    task_id: int,
    reason: str = "",
    handoff_grace: timedelta = HANDOFF_FREE_CANCELLATION,
) -> tuple[Task, Quote | None]:
    session = uow.session
    task = get_task(session, task_id)
    if task.client_id != client.id:
        raise NotFound(f"No task {task_id} of yours.")
    target(task.status, Action.client_cancels)
    now = utcnow()
    fee_due, _ = cancellation_terms(task, now, handoff_grace, zone_of(session, task.region))
    fee = cancellation_fee(task_rule(session, task), task.offered_rate) if fee_due else None
    if fee is not None:
        save_quote(session, task, "cancellation", fee)
    move(task, Action.client_cancels)
    task.cancelled_at, task.cancelled_by = now, Role.client
    session.add(task)
    cancelled = TaskCancelled(
        **task_head(task, now), cancelled_by="client", fee=fee.as_dict() if fee else None, reopened=False
    )
    emit_task_event(uow, cancelled)
    record_step(session, task.id, "cancelled", now, client.id, "client", reason.strip())
    return task, fee


def cancel_by_tasker(uow: UnitOfWork, tasker: User, task_id: int, reason: str = "") -> Task:
    """The tasker steps back: the task goes back on offer to others, and the tasker's
    reliability counts it against them (the reputation projector sees `cancelled_by: tasker`)."""
    session = uow.session
    task = _held_by(session, task_id, tasker.id)
    target(task.status, Action.tasker_cancels)
    reason = (reason or "").strip()
    now = utcnow()
    move(task, Action.tasker_cancels)
    task.tasker_id, task.accepted_at, task.started_at = None, None, None
    task.priced_at = now  # back in the feed, behind the priority window again
    session.add(task)
    emit_task_event(
        uow, TaskCancelled(**task_head(task, now, tasker_id=tasker.id), cancelled_by="tasker", fee=None, reopened=True)
    )
    record_step(session, task.id, "cancelled", now, tasker.id, "tasker", reason)
    record_step(session, task.id, "reopened", now)
    return task

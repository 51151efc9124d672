"""Announcing tasks as they open (`task.available`: webhooks, and emails to the taskers who asked
for them), at a cost that grows with the tasks that open, not with every subscriber's whole feed.

A task opens to a tasker when it is open to anyone (priced, its hold authorized, not started)
and that tasker's tier's window for it has passed (a rebooking: at once, to its addressee alone).
So between two sweeps a (task, tasker) pair opens in one of two ways, and a sweep looks only at
those:

1. the task itself opened: priced, booked, reopened by a tasker's cancel or a lapsed rebooking
   (each of which restarts its windows). These are the open tasks the announcer has not seen
   open under their present pricing time and addressee (`AnnouncedTask`, the tasks found open at
   the last sweep). It tells everyone to whom such a task is open now.
2. a tier's window opened: a seen task priced between `last - delay` and `now - delay` for some
   tier's delay, where `last` is the previous sweep (`AnnouncementSweep`, the cursor). It tells
   the taskers of those tiers.

Each task batch is one set-based query (`taskers_open_to`: the feed's own rule for every
subscribed tasker at once), and one delivery row per endpoint and task, written once ever
(`available:{task_id}`, as before). Both the cursor and the seen tasks are rows, written in the
sweep's own transaction: a restart re-announces nothing, and whatever opened while the sender was
down is announced at its first sweep, if still open. A tasker who subscribes, or gains a skill or
a tier, hears of tasks that open from then on; their feed shows the rest.

The emails follow the same rule (`FeedMail`): an email row per tasker and task, written once ever
(the row's key is (`available:{task_id}`, tasker, email)) in the same transaction, to the taskers
who turned the kind on (it is off by default: the query starts from their preference rows), each
at most `per_day` a UTC day. The last of a day says so, with how many more this sweep found; the
rest wait in the feed, and are never emailed later. Instant rows go to the mailer; digest rows wait
for the daily digest, like any kind's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import and_, delete, exists, func, or_, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, Session, SQLModel, col, select

from events.sqltypes import UTCDateTime
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork
from marketplace.notifications.facts import Facts
from marketplace.notifications.kinds import AVAILABLE, webhook_body
from marketplace.notifications.kinds.feed import Opening
from marketplace.notifications.links import Links
from marketplace.notifications.models import Mode, Notification, NotificationPref
from marketplace.notifications.plans import email_row, letters_of
from marketplace.notifications.webhooks import EndpointStatus, WebhookDelivery, WebhookEndpoint
from marketplace.taskers.levels import Window
from marketplace.tasks.feed import taskers_open_to
from marketplace.tasks.models import Task, TaskStatus

KIND = AVAILABLE.name
BATCH = 500  # tasks per set-based query
NEW_PER_SWEEP = 5_000  # newly open tasks a sweep takes on; the rest are the next sweep's


@dataclass(frozen=True)
class FeedMail:
    """What the sweep needs to write "a task in your feed" emails: where their links lead, the
    secret that signs their unsubscribe links, and how many a tasker gets a day at most."""

    links: Links
    secret: str
    per_day: int = 10  # settings.feed_emails_per_day


class AnnouncedTask(SQLModel, table=True):
    """A task open at the announcer's last sweep, as it was then: its pricing time (which its
    tiers' windows run from) and its addressee. A task that moved on (taken, cancelled, started,
    its hold gone, reopened) is dropped at the next sweep; open again, it is new again."""

    __tablename__ = "announced_tasks"
    task_id: int = Field(primary_key=True)
    priced_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    addressed_to_id: int | None = None


class AnnouncementSweep(SQLModel, table=True):
    """The announcer's cursor: the moment its last sweep looked at. The windows that opened after
    it are the next sweep's work."""

    __tablename__ = "announcement_sweeps"
    kind: str = Field(primary_key=True, max_length=48)
    swept_at: datetime = Field(sa_type=UTCDateTime)


def available_data(task: Task) -> dict:
    """What a `task.available` delivery says of the task: its public fields."""
    return {
        "task_id": task.id,
        "title": task.title,
        "category": task.category,
        "region": task.region,
        "area": task.area,
        "starts_at": task.starts_at.isoformat(),
        "estimated_minutes": task.estimated_minutes,
    }


def _body(data: dict) -> str:
    """The delivery's body, in the versioned envelope every kind's deliveries carry
    (kinds.webhook_body, as `webhooks.queue` writes it: a test holds the two equal)."""
    return webhook_body(KIND, data, utcnow())


def announce_available(uow: UnitOfWork, window: Window, now: datetime, mail: FeedMail | None = None) -> int:
    """One sweep: a delivery for each subscribed endpoint and each task that opened to its tasker
    since the last sweep (and is open now), and with `mail` an email to each tasker who asked for
    them (within the day's cap); how many rows were queued. Sweeps queue behind each other on the
    cursor's row, so two senders never announce the same opening twice."""
    session = uow.session
    cursor, last = _cursor(session, now)
    if last is not None:
        now = max(now, last)  # another process's clock ran behind: no window is left out
    _forget_moved_on(session, now)
    crossed = _windows_opened(session, window, last, now) if last is not None else []
    fresh = _newly_open(session, now)
    queued = sum(_announce(uow, batch, window, now, None, mail) for batch in _batches([t for t, _, _ in fresh]))
    if fresh:
        seen = [{"task_id": t, "priced_at": p, "addressed_to_id": a} for t, p, a in fresh]
        session.connection().execute(AnnouncedTask.__table__.insert(), seen)  # type: ignore[attr-defined]
    queued += sum(_announce(uow, batch, window, now, last, mail) for batch in _batches(crossed))
    cursor.swept_at = now
    session.add(cursor)
    session.flush()
    return queued


def _cursor(session: Session, now: datetime) -> tuple[AnnouncementSweep, datetime | None]:
    """The cursor's row, locked for this sweep, and the moment the last sweep looked at (None if
    there was none: the row is made at `now`)."""
    query = select(AnnouncementSweep).where(col(AnnouncementSweep.kind) == KIND).with_for_update()
    cursor = session.exec(query).first()
    if cursor is not None:
        return cursor, cursor.swept_at
    made = _insert_new(session, AnnouncementSweep, [{"kind": KIND, "swept_at": now}])
    cursor = session.exec(query).one()  # another sweep's, if it made the row first
    return cursor, None if made else cursor.swept_at


def _open_now(now: datetime):
    """Open to someone, or to come (the tiers' windows aside): what the feed asks of every task."""
    return and_(
        col(Task.status) == TaskStatus.priced, col(Task.payment_status) == "authorized", col(Task.starts_at) > now
    )


def _forget_moved_on(session: Session, now: datetime) -> None:
    still_open = exists().where(
        col(Task.id) == AnnouncedTask.task_id,
        _open_now(now),
        col(Task.priced_at).is_not_distinct_from(AnnouncedTask.priced_at),
        col(Task.addressed_to_id).is_not_distinct_from(AnnouncedTask.addressed_to_id),
    )
    session.exec(delete(AnnouncedTask).where(~still_open))


def _newly_open(session: Session, now: datetime) -> list[tuple[int, datetime | None, int | None]]:
    seen = exists().where(col(AnnouncedTask.task_id) == Task.id)
    return list(
        session.exec(
            select(Task.id, Task.priced_at, Task.addressed_to_id)
            .where(_open_now(now), ~seen)
            .order_by(col(Task.priced_at), col(Task.id))
            .limit(NEW_PER_SWEEP)
        )
    )


def _windows_opened(session: Session, window: Window, last: datetime, now: datetime) -> list[int]:
    """Seen tasks for which some tier's window opened after `last`, up to `now` (on the index of
    their pricing times: one range per distinct delay). A rebooking has no windows."""
    ranges = []
    for delay_s in sorted({s for _, s in window} | {0}):
        delay = timedelta(seconds=delay_s)
        ranges.append(and_(col(AnnouncedTask.priced_at) > last - delay, col(AnnouncedTask.priced_at) <= now - delay))
    query = select(AnnouncedTask.task_id).where(col(AnnouncedTask.addressed_to_id).is_(None), or_(*ranges))
    return list(session.exec(query.order_by(col(AnnouncedTask.task_id))))


def _announce(
    uow: UnitOfWork, task_ids: list[int], window: Window, now: datetime, opened_after, mail: FeedMail | None
) -> int:
    """The rows for these tasks: the webhook deliveries, and with `mail` the emails."""
    queued = _deliveries(uow.session, task_ids, window, now, opened_after)
    if mail is not None:
        queued += _emails(uow, task_ids, window, now, opened_after, mail)
    return queued


def _deliveries(session: Session, task_ids: list[int], window: Window, now: datetime, opened_after) -> int:
    """The deliveries for these tasks: one query finds each subscribed endpoint whose tasker the
    task is open to (since `opened_after`, if given), one writes the rows."""
    pairs = taskers_open_to(task_ids, window, now, opened_after).subquery()
    subscribed = and_(
        col(WebhookEndpoint.status) == EndpointStatus.active,
        ("," + col(WebhookEndpoint.kinds) + ",").contains(f",{KIND},"),  # as WebhookEndpoint.wants
    )
    found = session.exec(
        select(pairs.c.id, WebhookEndpoint.id)
        .join(WebhookEndpoint, col(WebhookEndpoint.tasker_id) == pairs.c.tasker_id)
        .where(subscribed)
    ).all()
    if not found:
        return 0
    tasks = session.exec(select(Task).where(col(Task.id).in_(sorted({task_id for task_id, _ in found}))))
    bodies = {task.id: _body(available_data(task)) for task in tasks}
    at = utcnow()  # due from now on, whatever moment the sweep looked at
    if session.get_bind().dialect.name == "postgresql":  # one statement: the pairs, then each task's body once
        params = {
            "kind": KIND,
            "at": at,
            "endpoints": [endpoint_id for _, endpoint_id in found],
            "pair_tasks": [task_id for task_id, _ in found],
            "tasks": list(bodies),
            "events": [_event_id(task_id) for task_id in bodies],
            "bodies": list(bodies.values()),
        }
        return len(session.connection().execute(_QUEUE_PG, params).all())
    rows = [
        {
            "endpoint_id": endpoint_id,
            "event_id": _event_id(task_id),
            "kind": KIND,
            "payload": bodies[task_id],
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": at,
            "last_error": "",
            "created_at": at,
        }
        for task_id, endpoint_id in found
    ]
    return _insert_new(session, WebhookDelivery, rows)


def _emails(uow: UnitOfWork, task_ids: list[int], window: Window, now: datetime, opened_after, mail: FeedMail) -> int:
    """The emails for these tasks: one query finds each tasker who asked for them (instant or in
    the digest) to whom a task is open (since `opened_after`, if given); then, per tasker, what the
    day's cap leaves, soonest start first; one query a table reads the rest, one writes the rows."""
    assert AVAILABLE.default == Mode.off  # so only the taskers with a preference row want them
    session = uow.session
    pairs = taskers_open_to(task_ids, window, now, opened_after).subquery()
    wanted = session.exec(
        select(pairs.c.id, pairs.c.tasker_id, NotificationPref.mode).join(
            NotificationPref,
            and_(
                col(NotificationPref.user_id) == pairs.c.tasker_id,
                col(NotificationPref.kind) == KIND,
                col(NotificationPref.mode).in_([Mode.instant.value, Mode.digest.value]),
            ),
        )
    ).all()
    if not wanted:
        return 0
    taskers = {tasker_id for _, tasker_id, _ in wanted}
    facts = Facts(session, mail.links)
    facts.load({task_id for task_id, _, _ in wanted}, set(taskers))
    facts.load_payouts({task_id for task_id, _, _ in wanted})
    at = utcnow()
    day = datetime.combine(at.date(), time(), tzinfo=timezone.utc)
    sent_today = dict(
        session.exec(
            select(Notification.recipient_id, func.count(col(Notification.id)))
            .where(
                col(Notification.kind) == KIND,
                col(Notification.recipient_id).in_(taskers),
                col(Notification.created_at) >= day,
            )
            .group_by(col(Notification.recipient_id))
        ).all()
    )
    already = set(  # a task that opened again (reopened, or its rebooking lapsed) is emailed once ever
        session.exec(
            select(Notification.event_id, Notification.recipient_id).where(
                col(Notification.event_id).in_({_event_id(task_id) for task_id, _, _ in wanted}),
                col(Notification.recipient_id).in_(taskers),
                col(Notification.channel) == "email",
            )
        ).all()
    )
    by_tasker: dict[int, list[int]] = {}
    modes: dict[int, Mode] = {}
    for task_id, tasker_id, mode in wanted:
        if (_event_id(task_id), tasker_id) not in already:
            by_tasker.setdefault(tasker_id, []).append(task_id)
            modes[tasker_id] = Mode(mode)
    rows = []
    for tasker_id, found in sorted(by_tasker.items()):
        user = facts.user(tasker_id)
        if user is None or not user.email or not user.is_active:
            continue
        left = mail.per_day - sent_today.get(tasker_id, 0)
        found.sort(key=lambda task_id: (_task(facts, task_id).starts_at, task_id))
        for n, task_id in enumerate(found[: max(0, left)], start=1):
            last = n == left
            more = len(found) - n if last else 0
            opening = Opening(_task(facts, task_id), tasker_id, mail.per_day if last else None, more)
            for letter in letters_of(facts, KIND, opening):
                rows.append(email_row(_event_id(task_id), letter, user, modes[tasker_id], mail.links, mail.secret, at))
    if not rows:
        return 0
    if any(row["status"] == "pending" for row in rows):
        uow.wake_on_commit(Notification.__tablename__)  # the mailer
    return _insert_new(session, Notification, rows)


def _task(facts: Facts, task_id: int) -> Task:
    task = facts.task(task_id)
    assert task is not None  # found open by the query above, in this transaction
    return task


def _event_id(task_id: int) -> str:
    return f"available:{task_id}"  # once per endpoint and task, ever


# A delivery row per (endpoint, task), as `webhooks.queue` writes one. The pairs travel as two
# integer arrays and each task's body once, so tens of thousands of rows are one statement.
_QUEUE_PG = text(
    "INSERT INTO webhook_deliveries (endpoint_id, event_id, kind, payload, status, attempts, next_attempt_at, "
    "last_error, created_at) "
    "SELECT pair.endpoint_id, task.event_id, :kind, task.body, 'pending', 0, :at, '', :at "
    "FROM unnest(CAST(:endpoints AS integer[]), CAST(:pair_tasks AS integer[])) AS pair(endpoint_id, task_id) "
    "JOIN unnest(CAST(:tasks AS integer[]), CAST(:events AS varchar[]), CAST(:bodies AS text[])) "
    "AS task(task_id, event_id, body) ON task.task_id = pair.task_id "
    "ON CONFLICT (endpoint_id, event_id) DO NOTHING RETURNING id"
)


def _insert_new(session: Session, model, rows: list[dict]) -> int:
    """INSERT .. ON CONFLICT DO NOTHING for many rows; how many were new (one statement, compiled
    once: a VALUES list compiled per batch took most of a sweep's time)."""
    insert_for = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = model.__table__
    statement = insert_for(table).on_conflict_do_nothing().returning(*table.primary_key.columns)
    return len(session.connection().execute(statement, rows).all())


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]

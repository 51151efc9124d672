"""`floorboard audit`: the invariants that must hold across the database and the event log.

- every posted task has exactly one tasks.priced (a task still `posted` past the sweeper's age
  is a miss, and so is a task priced twice), except one its client cancelled before the pricing
  stage reached it, which has none;
- every priced task has one posted quote;
- every task's ledger sums to zero;
- every event a group marked processed is in the log, unless retention removed it by design;
- a compacted topic (pricing.floors) holds, for every key, a newest row that carries the newest
  version the database has;
- every booked task waiting for a tasker can be seen by some tasker (none is stranded);
- every open hand-off offer is for an accepted task still held by whoever offered it, and none is
  left open long past its time (the network worker's sweep lapses them);
- no dead letter waits unreplayed longer than the allowed age.

The log keeps a window (retention prunes older published rows), so the checks that read it look
only at what the window still holds: tasks posted since its oldest row, and events of each topic
newer than that topic's retention. A group that reads only compacted topics loses superseded
events to compaction as designed: its processed marks are not looked up in the log; the
compacted topic's own check above covers it instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, func, select

from events.contracts import decode
from events.dlq import DeadLetterView, list_dead_letters
from events.envelope import InvalidEvent
from events.retention import RetentionPolicy, pruned_before
from events.tables import EventLogRow, ProcessedEvent
from events.topics import CONSUMER_GROUPS, TOPICS
from events.transport import Transport
from marketplace.clock import utcnow
from marketplace.floors.models import FloorRuleVersion
from marketplace.network.models import HandoffOffer, OfferStatus
from marketplace.payments.ledger import task_totals
from marketplace.tasks.models import Task, TaskQuote, TaskStatus
from marketplace.tasks.reach import stranded_tasks


@dataclass
class Check:
    name: str
    checked: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.misses


def log_horizon(session) -> datetime | None:
    """When the oldest row the log still holds was written (None: the log is empty)."""
    return session.exec(select(func.min(col(EventLogRow.created_at)))).one()


def check_pricing(session, horizon: datetime | None, posted_grace_s: int) -> Check:
    check = Check("every posted task has exactly one tasks.priced")
    priced = Counter(
        dict(
            session.exec(
                select(EventLogRow.key, func.count())
                .where(col(EventLogRow.topic) == "tasks.priced")
                .group_by(col(EventLogRow.key))
            ).all()
        )
    )
    query = select(Task.id, Task.status, Task.posted_at, Task.priced_at)
    if horizon is not None:
        query = query.where(col(Task.posted_at) >= horizon)
    overdue = utcnow() - timedelta(seconds=posted_grace_s)
    for task_id, status, posted_at, priced_at in session.exec(query):
        check.checked += 1
        n = priced.get(str(task_id), 0)
        if status == TaskStatus.posted or (status == TaskStatus.cancelled and priced_at is None):
            # A client may cancel a posting the pricing stage has not reached: it is never priced.
            if n:
                state = "posted" if status == TaskStatus.posted else "cancelled before it was priced"
                check.misses.append(f"task {task_id} is {state} but has {n} tasks.priced")
            elif status == TaskStatus.posted and posted_at < overdue:
                check.misses.append(f"task {task_id} is still posted, {_age(posted_at)} after posting")
        elif n != 1:
            check.misses.append(f"task {task_id} ({status}) has {n} tasks.priced, not 1")
    return check


def check_quotes(session) -> Check:
    check = Check("every priced task has one posted quote")
    posted_quotes = dict(
        session.exec(
            select(TaskQuote.task_id, func.count())
            .where(col(TaskQuote.kind) == "posted")
            .group_by(col(TaskQuote.task_id))
        ).all()
    )
    for task_id, status in session.exec(select(Task.id, Task.status).where(col(Task.rule_version).is_not(None))):
        check.checked += 1
        n = posted_quotes.get(task_id, 0)
        if n != 1:
            check.misses.append(f"task {task_id} ({status}) has {n} posted quotes, not 1")
    return check


def check_ledgers(session) -> Check:
    check = Check("every ledger sums to zero")
    for task_id, total in task_totals(session).items():
        check.checked += 1
        if total != 0:
            check.misses.append(f"task {task_id}'s ledger sums to {total} cents")
    return check


def _created_at(event_id: str) -> datetime | None:
    """A UUIDv7 event id's creation time (its first 48 bits are Unix milliseconds)."""
    if len(event_id) != 32 or event_id[12] != "7":
        return None
    try:
        millis = int(event_id[:12], 16)
    except ValueError:
        return None
    return datetime.fromtimestamp(millis / 1000, tz=utcnow().tzinfo)


def _may_be_pruned(policy: RetentionPolicy, transport_name: str, now: datetime) -> dict[str, datetime | None]:
    """Per consumer group: events created before this may have left the log by design. A group
    that reads only compacted topics maps to `now` (compaction may drop any superseded event)."""
    cutoffs: dict[str, datetime | None] = {}
    for group, topics in CONSUMER_GROUPS.items():
        if all(TOPICS[t].compacted for t in topics):
            cutoffs[group] = now
            continue
        times = [t for t in (pruned_before(policy, transport_name, topic, now) for topic in topics) if t is not None]
        cutoffs[group] = max(times, default=None)
    return cutoffs


def check_processed(session, horizon: datetime | None, cutoffs: dict[str, datetime | None] | None = None) -> Check:
    check = Check("every processed event is in the log")
    cutoffs = cutoffs or {}
    check.checked = session.exec(select(func.count()).select_from(ProcessedEvent)).one()
    missing = session.exec(
        select(ProcessedEvent.consumer, ProcessedEvent.event_id)
        .outerjoin(EventLogRow, col(EventLogRow.event_id) == col(ProcessedEvent.event_id))
        .where(col(EventLogRow.seq).is_(None))
    )
    for consumer, event_id in missing:
        if "/" in event_id:  # an undecodable record, keyed by its place in the topic: it has no id
            continue
        created = _created_at(event_id)
        if created is not None and horizon is not None and created < horizon:
            continue  # older than the log's window: pruned by retention, as it should be
        cutoff = cutoffs.get(consumer)
        if created is not None and cutoff is not None and created < cutoff:
            continue  # its topic's retention (or compaction) removed it, as designed
        check.misses.append(f"{consumer} processed {event_id}, which the log does not hold")
    return check


def check_compacted(session) -> Check:
    """A compacted topic is read from its newest row per key: that row must carry the newest
    version of its key. Keys whose rows the window no longer holds (Kafka's outbox) are skipped."""
    check = Check("pricing.floors holds every floor's newest version")
    newest = {
        f"{category}/{region}": version
        for category, region, version in session.exec(
            select(
                FloorRuleVersion.category, FloorRuleVersion.region, func.max(col(FloorRuleVersion.version))
            ).group_by(col(FloorRuleVersion.category), col(FloorRuleVersion.region))
        )
    }
    last_seq = (
        select(EventLogRow.key, func.max(col(EventLogRow.seq)).label("seq"))
        .where(col(EventLogRow.topic) == "pricing.floors")
        .group_by(col(EventLogRow.key))
        .subquery()
    )
    rows = session.exec(select(EventLogRow).join(last_seq, col(EventLogRow.seq) == last_seq.c.seq)).all()
    for row in rows:
        check.checked += 1
        try:
            versions = [v["version"] for v in decode(row.value).data["versions"]]
        except InvalidEvent as exc:
            check.misses.append(f"pricing.floors {row.key}: its newest row cannot be read ({exc})")
            continue
        want = newest.get(row.key)
        if want is not None and max(versions) != want:
            check.misses.append(f"pricing.floors {row.key}: newest row carries version {max(versions)}, not {want}")
    return check


def check_stranded(session) -> Check:
    check = Check("every booked open task is visible to some tasker")
    check.checked = session.exec(
        select(func.count()).where(col(Task.status) == TaskStatus.priced, col(Task.payment_status) == "authorized")
    ).one()
    for task, reach in stranded_tasks(session, utcnow()):
        why = (
            "its start time has passed"
            if reach.start_passed
            else f"{reach.asking_more} tasker(s) with the skill all ask more than its rate"
            if reach.asking_more
            else "no tasker has its skill in its region"
        )
        check.misses.append(f"task {task.id} ({task.category} in {task.region}) is stranded: {why}")
    return check


HANDOFF_SWEEP_SLACK = timedelta(minutes=10)  # the sweep runs every 30 s while the worker is idle


def check_handoffs(session) -> Check:
    check = Check("every open hand-off offer is for a task its offerer still holds, and none is overdue")
    now = utcnow()
    rows = session.exec(
        select(HandoffOffer, Task)
        .join(Task, col(Task.id) == HandoffOffer.task_id)
        .where(col(HandoffOffer.status) == OfferStatus.open)
    ).all()
    for offer, task in rows:
        check.checked += 1
        if task.status != TaskStatus.accepted or task.tasker_id != offer.from_tasker_id:
            check.misses.append(
                f"offer {offer.id} of task {task.id} is open, but the task is {task.status} "
                f"and held by {task.tasker_id or 'nobody'}, not by tasker {offer.from_tasker_id}"
            )
        elif offer.expires_at < now - HANDOFF_SWEEP_SLACK:
            check.misses.append(
                f"offer {offer.id} of task {task.id} should have lapsed {_age(offer.expires_at)} ago: "
                "is the network worker running?"
            )
    return check


def check_dead_letters(session, letters: dict[str, list[DeadLetterView]], max_age_h: float) -> Check:
    check = Check(f"no dead letter older than {max_age_h:g} h")
    cutoff = utcnow() - timedelta(hours=max_age_h)
    for topic, topic_letters in letters.items():
        for letter in topic_letters:
            check.checked += 1
            if session.get(ProcessedEvent, (f"dlq-replay:{topic}", letter.dlq_event_id)) is not None:
                continue  # replayed
            if datetime.fromisoformat(letter.failed_at) < cutoff:
                where = f"{topic}: {letter.consumer} dead-lettered key {letter.key} at {letter.failed_at}"
                check.misses.append(f"{where}: {letter.error[:100]}")
    return check


def audit(
    uow_factory: Callable[[], Any],
    transport: Transport,
    posted_grace_s: int,
    dlq_max_age_h: float,
    progress: Callable[[str], None] | None = None,
    retention: RetentionPolicy | None = None,
) -> list[Check]:
    """Every check, each reading the database in a unit of work of its own."""
    if progress is not None:
        progress("reading the dead-letter topics")
    letters = {topic: list_dead_letters(transport, topic) for topic in TOPICS}  # before any transaction opens
    with uow_factory() as uow:
        horizon = log_horizon(uow.session)
    cutoffs = _may_be_pruned(retention or RetentionPolicy(), transport.name, utcnow())
    steps: list[tuple[str, Callable[[Any], Check]]] = [
        ("pricing", lambda session: check_pricing(session, horizon, posted_grace_s)),
        ("quotes", check_quotes),
        ("ledgers", check_ledgers),
        ("processed events", lambda session: check_processed(session, horizon, cutoffs)),
        ("compacted topics", check_compacted),
        ("stranded tasks", check_stranded),
        ("hand-off offers", check_handoffs),
        ("dead letters", lambda session: check_dead_letters(session, letters, dlq_max_age_h)),
    ]
    checks = []
    for name, step in steps:
        if progress is not None:
            progress(name)
        with uow_factory() as uow:
            checks.append(step(uow.session))
    return checks


def _age(then: datetime) -> str:
    seconds = int((utcnow() - then).total_seconds())
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"

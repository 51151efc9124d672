"""Hand-offs: a tasker holding an accepted task (not started) offers it to up to five eligible peers
at once. The first peer to accept takes the task, atomically: every other open offer is withdrawn.
An offer nobody answers lapses (the network worker's sweep), never later than the start; the task
then stays with the first tasker. The price never changes: the task keeps its quote and rule
version, and settlement pays whoever completes it.

Over 400 lines on purpose: offering, taking, declining, withdrawing and lapsing are one state
machine of the offer rows; issue 32's task-row owner (marketplace/tasks) will take its task write
out of it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, col, func, select, update

from events.payloads import HandedOff, HandoffClosed, HandoffDeclined, HandoffLapsed, HandoffOffered, HandoffWithdrawn
from marketplace.accounts.models import Role, User
from marketplace.clock import utcnow
from marketplace.community.models import Reputation
from marketplace.db import UnitOfWork
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.floors.zones import label, zone_of
from marketplace.network.connections import blocked_either_way, blocked_ids, connected_ids
from marketplace.network.models import HandoffOffer, OfferStatus
from marketplace.policy import DEFAULTS
from marketplace.taskers.levels import Window
from marketplace.taskers.models import TaskerRegion, TaskerSkill
from marketplace.taskers.rates import own_rates_in
from marketplace.tasks.events import emit_task_event, task_head
from marketplace.tasks.feed import is_open_to
from marketplace.tasks.models import Task, TaskQuote, TaskStatus
from marketplace.tasks.shared_writes import hand_over
from marketplace.tasks.steps import record_step
from marketplace.tasks.transitions import Action, target

MAX_PEERS = 5  # open offers for one task at once
OFFER_TTL = DEFAULTS.handoff_offer_ttl
LATE = timedelta(hours=24)  # a hand-off closer to the start than this counts half a cancellation
MAX_NOTE = 500


# How an offer closed, as its event (any other way out of `open` but acceptance is a withdrawal).
_CLOSED: dict[OfferStatus, type[HandoffClosed]] = {
    OfferStatus.declined: HandoffDeclined,
    OfferStatus.lapsed: HandoffLapsed,
}


def _close(uow: UnitOfWork, task: Task, offer: HandoffOffer, status: OfferStatus, reason: str, now: datetime) -> bool:
    """Close one open offer (only if it is still open: two closers never both announce it)."""
    closed = uow.session.exec(
        update(HandoffOffer)
        .where(col(HandoffOffer.id) == offer.id, col(HandoffOffer.status) == OfferStatus.open)
        .values(status=status, decided_at=now, reason=reason[:300])
    )
    if closed.rowcount != 1:
        return False
    closing = _CLOSED.get(status, HandoffWithdrawn)
    held_by = task_head(task, now, tasker_id=offer.from_tasker_id)  # the reason stays in the row
    emit_task_event(uow, closing(**held_by, offer_id=offer.id, to_tasker_id=offer.to_tasker_id))
    return True


def open_offers(session: Session, task_id: int) -> list[HandoffOffer]:
    return list(
        session.exec(
            select(HandoffOffer)
            .where(col(HandoffOffer.task_id) == task_id, col(HandoffOffer.status) == OfferStatus.open)
            .order_by(col(HandoffOffer.id))
        )
    )


def offers_of_task(session: Session, task_id: int) -> list[HandoffOffer]:
    return list(
        session.exec(select(HandoffOffer).where(col(HandoffOffer.task_id) == task_id).order_by(col(HandoffOffer.id)))
    )


def has_open_offer(session: Session, tasker_id: int, task_id: int) -> bool:
    return (
        session.exec(
            select(func.count())
            .select_from(HandoffOffer)
            .where(
                col(HandoffOffer.task_id) == task_id,
                col(HandoffOffer.to_tasker_id) == tasker_id,
                col(HandoffOffer.status) == OfferStatus.open,
            )
        ).one()
        > 0
    )


def why_not_eligible(
    session: Session, task: Task, holder_id: int, peer_id: int, window: Window, now: datetime, to_peer: bool = False
) -> str | None:
    """None if the peer may take this task exactly as their feed would show it; else why not (told
    to the holder, or with `to_peer` to the peer)."""
    peer = session.get(User, peer_id)
    if peer is None or peer.role != Role.tasker or not peer.is_active:
        return f"No tasker {peer_id}."
    if peer_id == holder_id:
        return "That is you."
    if blocked_either_way(session, holder_id, peer_id):
        return "one of you blocked the other." if to_peer else "You cannot offer tasks to this tasker."
    if not is_open_to(session, peer_id, task.id, window, now, unclaimed=False):
        if to_peer:
            return (
                "this task is not open to you: your skills, regions, level or own rate do not match it "
                "(or your tier's window has not opened)."
            )
        return (
            "This task would not be open to them: their skills, regions, level or own rate do not match it "
            "(or their tier's window has not opened)."
        )
    return None


def offer_handoff(
    uow: UnitOfWork,
    tasker: User,
    task_id: int,
    peer_ids: list[int],
    note: str,
    window: Window,
    ttl: timedelta = OFFER_TTL,
) -> list[HandoffOffer]:
    """Offer a task you hold to 1 to 5 peers; each offer lapses after `ttl`, and never after the start."""
    session = uow.session
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"No task {task_id}.")
    if task.tasker_id != tasker.id:
        raise Forbidden(f"Task {task_id} is not held by you.")
    target(task.status, Action.hand_off)
    now = utcnow()
    if not task.handoffs_allowed:
        raise Conflict("The client asked for this task not to be handed on: do it yourself, or give it back.")
    if task.starts_at <= now:
        raise Conflict(
            f"Task {task_id} was due to start at {label(task.starts_at, zone_of(session, task.region))}: "
            "too late to hand on."
        )
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise Invalid("Check the note.", {"note": [f"At most {MAX_NOTE} characters."]})
    if not 1 <= len(peer_ids) <= MAX_PEERS:
        raise Invalid("Check the peers.", {"tasker_ids": [f"Offer the task to 1 to {MAX_PEERS} taskers at once."]})
    if len(set(peer_ids)) != len(peer_ids):
        raise Invalid("Check the peers.", {"tasker_ids": ["List each tasker once."]})
    current = open_offers(session, task_id)
    already = {o.to_tasker_id for o in current}
    errors: dict[str, list[str]] = {}
    for i, peer_id in enumerate(peer_ids):
        why = "There is already an open offer to them." if peer_id in already else None
        why = why or why_not_eligible(session, task, tasker.id, peer_id, window, now)
        if why:
            errors[str(i)] = [why]
    if errors:
        raise Invalid("Some of these taskers cannot take this task.", {"tasker_ids": errors})
    if len(current) + len(peer_ids) > MAX_PEERS:
        raise Conflict(
            f"Task {task_id} already has {len(current)} open offer(s); at most {MAX_PEERS} at once. "
            "Withdraw one, or wait for an answer."
        )
    expires = min(now + ttl, task.starts_at)
    offers = [
        HandoffOffer(
            task_id=task_id, from_tasker_id=tasker.id, to_tasker_id=p, note=note, offered_at=now, expires_at=expires
        )
        for p in peer_ids
    ]
    session.add_all(offers)
    session.flush()
    held_by = task_head(task, now, tasker_id=tasker.id)
    for offer in offers:
        offered = HandoffOffered(**held_by, offer_id=offer.id, to_tasker_id=offer.to_tasker_id, expires_at=expires)
        emit_task_event(uow, offered)
    return offers


def _offer_to(session: Session, peer: User, offer_id: int) -> HandoffOffer:
    offer = session.get(HandoffOffer, offer_id)
    if offer is None or offer.to_tasker_id != peer.id:
        raise NotFound(f"No hand-off offer {offer_id} to you.")
    return offer


def _still_open(session: Session, offer: HandoffOffer, task: Task, now: datetime) -> None:
    if offer.status != OfferStatus.open:
        raise Conflict(f"This offer is no longer open: it was {offer.status}.")
    if offer.expires_at <= now:
        raise Conflict(f"This offer lapsed at {label(offer.expires_at, zone_of(session, task.region))}.")


def accept_handoff(uow: UnitOfWork, peer: User, offer_id: int, window: Window) -> Task:
    """Take the task. Exactly one peer wins: the task's UPDATE matches only while the first tasker
    still holds it, so the database lets one transaction through (it locks the task row before
    any offer row, so racing acceptances queue on the task and never deadlock); the others see no
    row changed and get a 409. Every other open offer for the task is then withdrawn."""
    session = uow.session
    offer = _offer_to(session, peer, offer_id)
    now = utcnow()
    task = session.get_one(Task, offer.task_id)
    _still_open(session, offer, task, now)
    target(task.status, Action.hand_off)
    why = why_not_eligible(session, task, offer.from_tasker_id, peer.id, window, now, to_peer=True)
    if why:
        raise Forbidden(f"You cannot take task {task.id} now: {why}")
    if not hand_over(session, task, offer.from_tasker_id, peer.id, now):
        raise Conflict(f"“{task.title}” was just taken by another tasker, or its holder gave it up.")
    taken = session.exec(
        update(HandoffOffer)
        .where(col(HandoffOffer.id) == offer.id, col(HandoffOffer.status) == OfferStatus.open)
        .values(status=OfferStatus.accepted, decided_at=now, reason="Accepted.")
    )
    if taken.rowcount != 1:  # withdrawn or lapsed a moment ago: the task UPDATE rolls back with this
        raise Conflict("This offer was just withdrawn or lapsed.")
    session.refresh(offer)
    for other in open_offers(session, task.id):
        _close(uow, task, other, OfferStatus.withdrawn, "Another tasker took the task.", now)
    late = task.starts_at - now < LATE
    taken_by = task_head(task, now, tasker_id=peer.id)
    emit_task_event(uow, HandedOff(**taken_by, offer_id=offer.id, from_tasker_id=offer.from_tasker_id, late=late))
    names = dict(
        session.exec(select(User.id, User.display_name).where(col(User.id).in_([offer.from_tasker_id, peer.id]))).all()
    )
    record_step(
        session,
        task.id,
        "handed_off",
        now,
        peer.id,
        "tasker",
        f"Handed by {names.get(offer.from_tasker_id) or 'tasker ' + str(offer.from_tasker_id)} "
        f"to {names.get(peer.id) or 'tasker ' + str(peer.id)}",
    )
    return task


def decline_handoff(uow: UnitOfWork, peer: User, offer_id: int, reason: str = "") -> HandoffOffer:
    session = uow.session
    offer = _offer_to(session, peer, offer_id)
    now = utcnow()
    task = session.get_one(Task, offer.task_id)
    _still_open(session, offer, task, now)
    reason = (reason or "").strip()
    if len(reason) > 300:
        raise Invalid("Check the reason.", {"reason": ["At most 300 characters."]})
    if not _close(uow, task, offer, OfferStatus.declined, reason or "Declined.", now):
        raise Conflict("This offer is no longer open.")
    session.refresh(offer)
    return offer


def withdraw_handoff(uow: UnitOfWork, tasker: User, offer_id: int) -> HandoffOffer:
    """The first tasker takes back an open offer."""
    session = uow.session
    offer = session.get(HandoffOffer, offer_id)
    if offer is None or offer.from_tasker_id != tasker.id:
        raise NotFound(f"No hand-off offer {offer_id} of yours.")
    if offer.status != OfferStatus.open:
        raise Conflict(f"This offer is no longer open: it was {offer.status}.")
    task = session.get_one(Task, offer.task_id)
    if not _close(uow, task, offer, OfferStatus.withdrawn, "Withdrawn by the tasker who offered it.", utcnow()):
        raise Conflict("This offer is no longer open.")
    session.refresh(offer)
    return offer


def close_open_offers(uow: UnitOfWork, task: Task, reason: str, now: datetime) -> int:
    """The task moved on (started, cancelled, given back): its open offers are withdrawn."""
    return sum(_close(uow, task, o, OfferStatus.withdrawn, reason, now) for o in open_offers(uow.session, task.id))


def withdraw_between(uow: UnitOfWork, a: int, b: int, now: datetime) -> int:
    """A block: open offers between these two taskers, either way, are withdrawn."""
    session = uow.session
    rows = session.exec(
        select(HandoffOffer).where(
            col(HandoffOffer.status) == OfferStatus.open,
            or_(
                and_(col(HandoffOffer.from_tasker_id) == a, col(HandoffOffer.to_tasker_id) == b),
                and_(col(HandoffOffer.from_tasker_id) == b, col(HandoffOffer.to_tasker_id) == a),
            ),
        )
    ).all()
    return sum(
        _close(uow, session.get_one(Task, o.task_id), o, OfferStatus.withdrawn, "One of you blocked the other.", now)
        for o in rows
    )


def lapse_offers(uow: UnitOfWork, now: datetime, limit: int = 500) -> int:
    """The network worker's sweep: open offers past their time lapse; the task stays put."""
    session = uow.session
    due = session.exec(
        select(HandoffOffer)
        .where(col(HandoffOffer.status) == OfferStatus.open, col(HandoffOffer.expires_at) <= now)
        .order_by(col(HandoffOffer.expires_at), col(HandoffOffer.id))
        .limit(limit)
    ).all()
    tasks: dict[int, Task] = {}
    lapsed = 0
    for offer in due:
        task = tasks.get(offer.task_id) or tasks.setdefault(offer.task_id, session.get_one(Task, offer.task_id))
        lapsed += _close(uow, task, offer, OfferStatus.lapsed, "Nobody answered in time.", now)
    return lapsed


def my_offers(session: Session, tasker_id: int) -> dict[str, list[HandoffOffer]]:
    """Offers made to you that are still open, and every offer you made that is still open."""
    incoming = session.exec(
        select(HandoffOffer)
        .where(col(HandoffOffer.to_tasker_id) == tasker_id, col(HandoffOffer.status) == OfferStatus.open)
        .order_by(col(HandoffOffer.expires_at))
    ).all()
    outgoing = session.exec(
        select(HandoffOffer)
        .where(col(HandoffOffer.from_tasker_id) == tasker_id, col(HandoffOffer.status) == OfferStatus.open)
        .order_by(col(HandoffOffer.expires_at))
    ).all()
    return {"incoming": list(incoming), "outgoing": list(outgoing)}


def candidates(
    session: Session, tasker: User, task: Task, window: Window, now: datetime, limit: int = 20
) -> list[dict]:
    """Peers who could take the task now: connections first, then others by reputation in the
    task's category. The pool is narrowed in SQL (skill, region, their own rate in the task's
    region); each one kept is then checked exactly as their feed would be (level, tier window,
    blocks)."""
    rate = session.exec(
        select(TaskQuote.rate).where(col(TaskQuote.task_id) == task.id, col(TaskQuote.kind) == "posted")
    ).first()
    if rate is None:
        return []
    skilled = session.exec(
        select(TaskerSkill)
        .join(TaskerRegion, col(TaskerRegion.tasker_id) == TaskerSkill.tasker_id)
        .where(col(TaskerSkill.category) == task.category, col(TaskerRegion.region) == task.region)
    ).all()
    excluded = blocked_ids(session, tasker.id) | {tasker.id}
    theirs = own_rates_in(session, task.region, skilled)  # each one's rate in the task's region
    pool = {t for (t, _), own in theirs.items() if own <= rate and t not in excluded}
    if not pool:
        return []
    friends = set(connected_ids(session, tasker.id))
    scores = dict(
        session.exec(
            select(Reputation.tasker_id, Reputation.score).where(
                col(Reputation.category) == task.category, col(Reputation.tasker_id).in_(sorted(pool))
            )
        ).all()
    )
    ordered = sorted(pool, key=lambda t: (t not in friends, -scores.get(t, 0), t))
    offered = {o.to_tasker_id for o in open_offers(session, task.id)}
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(ordered[: limit * 5])))}
    out = []
    for peer_id in ordered[: limit * 5]:  # a bounded number of feed checks
        user = users.get(peer_id)
        if (
            user is None
            or not user.is_active
            or not is_open_to(session, peer_id, task.id, window, now, unclaimed=False)
        ):
            continue
        out.append(
            {
                "id": peer_id,
                "display_name": user.display_name,
                "connected": peer_id in friends,
                "score": scores.get(peer_id, 0),
                "offered": peer_id in offered,
            }
        )
        if len(out) == limit:
            break
    return out


# Reading offers, for the people they are between.

PUBLIC_TASK_FIELDS = ("id", "title", "description", "area", "category", "region", "starts_at", "estimated_minutes")


def shown_status(offer: HandoffOffer, now: datetime) -> str:
    """An open offer past its time has lapsed, whether or not the sweep has closed it yet."""
    return OfferStatus.lapsed if offer.status == OfferStatus.open and offer.expires_at <= now else offer.status


def _offer_views(session: Session, offers: list[HandoffOffer], now: datetime) -> list[dict]:
    """Offers with their task's public fields (never the address or access notes), the payout the
    task's booked quote gives its tasker, and both taskers' names."""
    task_ids = sorted({o.task_id for o in offers})
    user_ids = sorted({o.from_tasker_id for o in offers} | {o.to_tasker_id for o in offers})
    tasks = {t.id: t for t in session.exec(select(Task).where(col(Task.id).in_(task_ids)))} if task_ids else {}
    quotes = (
        {
            q.task_id: q
            for q in session.exec(
                select(TaskQuote).where(col(TaskQuote.task_id).in_(task_ids), col(TaskQuote.kind) == "posted")
            )
        }
        if task_ids
        else {}
    )
    names = (
        dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(user_ids))).all())
        if user_ids
        else {}
    )
    views = []
    for o in offers:
        task, quote = tasks[o.task_id], quotes.get(o.task_id)
        status = shown_status(o, now)
        views.append(
            {
                "offer": o,
                "status": status,
                "open": status == OfferStatus.open,
                "lapsed": status == OfferStatus.lapsed,
                "task": {name: getattr(task, name) for name in PUBLIC_TASK_FIELDS},
                "payout": quote.payout if quote is not None else None,
                "billable_minutes": quote.billable_minutes if quote is not None else None,
                "from_name": names.get(o.from_tasker_id, ""),
                "to_name": names.get(o.to_tasker_id, ""),
            }
        )
    return views


def offers_view(session: Session, tasker_id: int, now: datetime, closed_limit: int = 50) -> dict[str, list[dict]]:
    """Offers to you and from you: the open ones first (the soonest deadline first), then the most
    recent closed ones with their outcome."""

    def side(column) -> list[dict]:
        still_open = session.exec(
            select(HandoffOffer)
            .where(column == tasker_id, col(HandoffOffer.status) == OfferStatus.open)
            .order_by(col(HandoffOffer.expires_at), col(HandoffOffer.id))
        ).all()
        closed = session.exec(
            select(HandoffOffer)
            .where(column == tasker_id, col(HandoffOffer.status) != OfferStatus.open)
            .order_by(col(HandoffOffer.decided_at).desc(), col(HandoffOffer.id).desc())
            .limit(closed_limit)
        ).all()
        views = _offer_views(session, [*still_open, *closed], now)
        # Open ones past their time (the sweep has not closed them yet) are shown with the closed.
        return [v for v in views if v["open"]] + [v for v in views if not v["open"]]

    return {"incoming": side(col(HandoffOffer.to_tasker_id)), "outgoing": side(col(HandoffOffer.from_tasker_id))}


def offer_view(session: Session, viewer: User, offer_id: int, window: Window, now: datetime) -> dict:
    """One offer, for its recipient or its sender (to anyone else it does not exist). For an open
    offer, the recipient also reads why they could not take it now, if they could not."""
    offer = session.get(HandoffOffer, offer_id)
    if offer is None or viewer.id not in (offer.to_tasker_id, offer.from_tasker_id):
        raise NotFound(f"No hand-off offer {offer_id} to you or from you.")
    [view] = _offer_views(session, [offer], now)
    task = session.get_one(Task, offer.task_id)
    view["recipient"] = viewer.id == offer.to_tasker_id
    view["holds_task"] = task.tasker_id == viewer.id and task.status in (TaskStatus.accepted, TaskStatus.in_progress)
    view["why_not"] = (
        why_not_eligible(session, task, offer.from_tasker_id, viewer.id, window, now, to_peer=True)
        if view["recipient"] and view["open"]
        else None
    )
    return view

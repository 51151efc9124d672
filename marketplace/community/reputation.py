"""Reputation: a projection (group "reputation") of tasks.lifecycle, reviews.submitted and
tips.activity, kept per tasker and category. It holds only counts, and every figure is derived
from counts by `scoring`, so `floorboard replay reputation` reproduces it exactly.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select, update

from events.envelope import CloudEvent
from marketplace.accounts.models import Role, User
from marketplace.community.models import KarmaTip, Reputation
from marketplace.community.scoring import bayesian_rating, reliability, reputation_score, tier_for, tip_karma
from marketplace.db import insert_if_absent
from marketplace.errors import NotFound
from marketplace.taskers.levels import standing


def _locked(session: Session, tasker_id: int, category: str, at: datetime) -> Reputation:
    """The row, created if new, locked for this transaction so two workers serialise on it."""
    insert_if_absent(session, Reputation, tasker_id=tasker_id, category=category, updated_at=at)
    return session.exec(
        select(Reputation)
        .where(col(Reputation.tasker_id) == tasker_id, col(Reputation.category) == category)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _karma_for(session: Session, tasker_id: int, category: str) -> float:
    rows = session.exec(
        select(KarmaTip).where(
            col(KarmaTip.tasker_id) == tasker_id, col(KarmaTip.category) == category, col(KarmaTip.hidden).is_(False)
        )
    )
    return tip_karma([(r.tip_id, r.helpful, r.unhelpful) for r in rows])


def _tip_counts(session: Session, event: CloudEvent) -> tuple[int, str] | None:
    """Apply a tips.activity event to the per-tip counts; return whose karma it changed."""
    d = event.data
    if event.type == "tip.posted":
        insert_if_absent(session, KarmaTip, tip_id=d["tip_id"], tasker_id=d["author_id"], category=d["category"])
        return None
    if event.type == "tip.voted":
        column = "helpful" if d["helpful"] else "unhelpful"
        values = {column: getattr(KarmaTip, column) + 1}
    else:  # tip.hidden: a hidden tip no longer counts
        values = {"hidden": True}
    if session.exec(update(KarmaTip).where(col(KarmaTip.tip_id) == d["tip_id"]).values(**values)).rowcount != 1:
        raise LookupError(f"{event.type} for tip {d['tip_id']}, which reputation has never seen posted")
    return d["author_id"], d["category"]


def project_reputation_event(uow, event: CloudEvent, emit: bool = True) -> Reputation | None:
    """Apply one event. `emit=False` on replay, which must not announce changes a second time."""
    session, d = uow.session, event.data
    if event.type.startswith("tip."):
        whose = _tip_counts(session, event)
        if whose is None:
            return None
        rep = _locked(session, *whose, d["at"])
        rep.tip_karma = _karma_for(session, *whose)
    elif event.type in ("task.accepted", "task.completed", "task.cancelled", "review.submitted"):
        if event.type == "task.cancelled" and d["cancelled_by"] != "tasker":
            return None  # a client's cancellation says nothing about the tasker
        if d["tasker_id"] is None:
            return None
        rep = _locked(session, d["tasker_id"], d["category"], d["at"])
        if event.type == "task.accepted":
            rep.accepted += 1
        elif event.type == "task.completed":
            rep.completed += 1
        elif event.type == "task.cancelled":
            rep.tasker_cancelled += 1
        else:
            rep.rating_sum += d["rating"]
            rep.rating_count += 1
    else:
        return None
    before = (rep.score, rep.tier)
    rep.score = reputation_score(rep.rating_sum, rep.rating_count, rep.completed, rep.tasker_cancelled, rep.tip_karma)
    rep.tier = tier_for(rep.score)
    rep.updated_at = max(rep.updated_at, d["at"])  # the latest event's time, whatever the order
    session.add(rep)
    if emit and (rep.score, rep.tier) != before:
        uow.emit(
            CloudEvent(
                type="reputation.changed",
                subject=str(rep.tasker_id),
                data={
                    "tasker_id": rep.tasker_id,
                    "category": rep.category,
                    "score": rep.score,
                    "tier": rep.tier,
                    **figures(rep),
                    "completed": rep.completed,
                    "at": rep.updated_at,
                },
            ),
            key=str(rep.tasker_id),
        )
    return rep


def figures(rep: Reputation) -> dict:
    rel = reliability(rep.completed, rep.tasker_cancelled)
    return {
        "rating": round(bayesian_rating(rep.rating_sum, rep.rating_count), 2),
        "reliability": None if rel is None else round(rel, 3),
        "tip_karma": rep.tip_karma,
    }


def public_reputation(session: Session, tasker_id: int) -> dict:
    """What anyone may see of a tasker: per-category figures, the best tier, unlocked levels."""
    user = session.get(User, tasker_id)
    if user is None or user.role != Role.tasker:
        raise NotFound(f"No tasker {tasker_id}.")
    reps = session.exec(
        select(Reputation).where(col(Reputation.tasker_id) == tasker_id).order_by(col(Reputation.category))
    ).all()
    st = standing(session, tasker_id)
    categories = [
        {
            "category": r.category,
            "score": r.score,
            "tier": r.tier,
            "reviews": r.rating_count,
            "accepted": r.accepted,
            "completed": r.completed,
            "tasker_cancelled": r.tasker_cancelled,
            **figures(r),
        }
        for r in reps
    ]
    best = max(reps, key=lambda r: r.score, default=None)
    levels = ["general"] + (["skilled"] if st.skilled else []) + (["licensed"] if st.licensed else [])
    return {
        "id": user.id,
        "display_name": user.display_name,
        "tier": best.tier if best else "newcomer",
        "score": best.score if best else 0,
        "completed": st.completed,
        "levels": levels,
        "licensed_categories": sorted(st.licensed),
        "categories": categories,
    }


PROJECTION_TABLES = (Reputation, KarmaTip)

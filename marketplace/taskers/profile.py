"""What anyone may see of a tasker: their reputation per category (the community's figures), the
best tier, and the levels they have unlocked. It reads the community's rows, so it lives with the
taskers, above the community."""

from __future__ import annotations

from sqlmodel import Session, col, select

from marketplace.accounts.models import Role, User
from marketplace.community.models import Reputation
from marketplace.community.reputation.public import figures
from marketplace.errors import NotFound
from marketplace.taskers.levels import standing


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
            "late_handoffs": r.late_handoffs,
            "handoffs_completed": r.handoffs_completed,
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
        "mentored_categories": sorted(st.mentored),
        "categories": categories,
    }

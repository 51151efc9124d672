"""The figures anyone may read of a reputation row (the rating, the reliability, the karma), derived
from its counts; marketplace/taskers/profile.py puts a tasker's together."""

from __future__ import annotations

from marketplace.community.models import Reputation
from marketplace.community.scoring import bayesian_rating, reliability


def figures(rep: Reputation) -> dict:
    rel = reliability(rep.completed, rep.tasker_cancelled, rep.late_handoffs)
    return {
        "rating": round(bayesian_rating(rep.rating_sum, rep.rating_count), 2),
        "reliability": None if rel is None else round(rel, 3),
        "tip_karma": rep.tip_karma,
    }

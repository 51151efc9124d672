"""The marketplace's scoring rules, as pure functions: the Bayesian rating, reliability, the
Wilson lower bound (tip karma and board ranking), the 0-100 reputation score and its tier.

Everything here is a function of counts, never of the order events arrived in, so a replay of
the log gives exactly the live projection.
"""

from __future__ import annotations

import math
from datetime import datetime

RATING_PRIOR_WEIGHT = 5  # C: a new tasker's rating behaves as if they had 5 reviews of...

RATING_PRIOR_MEAN = 4.0  # m: ...four stars each

WILSON_Z = 1.96  # 95% confidence

EXPERIENCE_FOR_FULL_WEIGHT = 8  # completed tasks before rating and reliability count in full

KARMA_FOR_FULL_WEIGHT = 3.0

BOARD_HALF_LIFE_DAYS = 30.0

TIERS = [(75, "elite"), (40, "trusted"), (0, "newcomer")]  # the least score for each tier

TIER_ORDER = {"newcomer": 0, "trusted": 1, "elite": 2}

# The skilled level opens to a tasker with this much completed work and at least this tier in
# some category. Licensed categories open only by an operator's verification.
SKILLED_MIN_COMPLETED = 5

SKILLED_MIN_TIER = "trusted"


def bayesian_rating(rating_sum: int, rating_count: int) -> float:
    """(C*m + sum) / (C + n): few reviews pull towards the prior, many outweigh it."""
    return (RATING_PRIOR_WEIGHT * RATING_PRIOR_MEAN + rating_sum) / (RATING_PRIOR_WEIGHT + rating_count)


# A hand-off to a peer less than 24 h before the start counts as this much of a cancellation (one
# made earlier counts nothing); each hand-off the peer then completes adds this much tip karma
# to the tasker who passed it on.
LATE_HANDOFF_WEIGHT = 0.5
HANDOFF_KARMA = 0.25


def reliability(completed: int, tasker_cancelled: int, late_handoffs: int = 0) -> float | None:
    """Completed over accepted-and-finished: every cancellation by the tasker counts against it,
    and each late hand-off half as much. None until the tasker has finished something either way."""
    finished = completed + tasker_cancelled + LATE_HANDOFF_WEIGHT * late_handoffs
    return completed / finished if finished else None


def wilson_lower_bound(positive: int, total: int, z: float = WILSON_Z) -> float:
    """The lower bound of the Wilson score interval for the share of positive votes."""
    if total <= 0:
        return 0.0
    p = positive / total
    z2 = z * z
    centre = p + z2 / (2 * total)
    margin = z * math.sqrt((p * (1 - p) + z2 / (4 * total)) / total)
    return max(0.0, (centre - margin) / (1 + z2 / total))


def tip_karma(votes: list[tuple[int, int, int]]) -> float:
    """The sum of each tip's Wilson bound. `votes` is (tip_id, helpful, unhelpful); summed in tip
    order and rounded so that the same counts always give the same float."""
    total = sum(wilson_lower_bound(h, h + u) for _, h, u in sorted(votes))
    return round(total, 6)


# An answer the asker marked as the one that helped adds this much karma, beyond its votes.
ACCEPTED_ANSWER_KARMA = 0.5


def answer_karma(answers: list[tuple[int, int, int, bool]]) -> float:
    """Each answer's Wilson bound, plus ACCEPTED_ANSWER_KARMA for an accepted one. `answers` is
    (answer_id, helpful, unhelpful, accepted); summed in answer order and rounded, like tip_karma."""
    total = sum(
        wilson_lower_bound(h, h + u) + (ACCEPTED_ANSWER_KARMA if ok else 0.0) for _, h, u, ok in sorted(answers)
    )
    return round(total, 6)


def reputation_score(
    rating_sum: int,
    rating_count: int,
    completed: int,
    tasker_cancelled: int,
    karma: float,
    late_handoffs: int = 0,
    handoffs_completed: int = 0,
) -> int:
    """0-100. Rating and reliability are weighed by experience, so a newcomer starts low and a
    handful of five-star jobs does not make anyone elite; karma (tips, and hand-offs passed on
    and completed) adds up to a quarter."""
    experience = min(1.0, completed / EXPERIENCE_FOR_FULL_WEIGHT)
    rating_part = (bayesian_rating(rating_sum, rating_count) - 1) / 4
    rel = reliability(completed, tasker_cancelled, late_handoffs)
    karma = karma + HANDOFF_KARMA * handoffs_completed
    karma_part = min(1.0, max(0.0, karma) / KARMA_FOR_FULL_WEIGHT)
    raw = 40 * rating_part * experience + 35 * (rel or 0.0) * experience + 25 * karma_part
    return max(0, min(100, math.floor(raw + 0.5)))


def tier_for(score: int) -> str:
    return next(name for least, name in TIERS if score >= least)


def board_rank(helpful: int, unhelpful: int, posted_at: datetime, now: datetime) -> float:
    """Wilson lower bound of the helpful share, halved every BOARD_HALF_LIFE_DAYS of age."""
    age_days = max(0.0, (now - posted_at).total_seconds() / 86_400)
    return wilson_lower_bound(helpful, helpful + unhelpful) * 0.5 ** (age_days / BOARD_HALF_LIFE_DAYS)

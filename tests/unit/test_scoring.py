"""The scoring rules: Bayesian rating, reliability, Wilson bound, score and tier, board rank."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from marketplace.community.scoring import (
    BOARD_HALF_LIFE_DAYS,
    RATING_PRIOR_MEAN,
    bayesian_rating,
    board_rank,
    reliability,
    reputation_score,
    tier_for,
    tip_karma,
    wilson_lower_bound,
)

counts = st.integers(min_value=0, max_value=10_000)
NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)


def test_bayesian_rating_starts_at_the_prior_and_moves_with_evidence():
    assert bayesian_rating(0, 0) == RATING_PRIOR_MEAN
    assert bayesian_rating(5, 1) == (5 * 4 + 5) / 6
    assert bayesian_rating(5 * 1000, 1000) > 4.99


def test_reliability_counts_tasker_cancellations_against():
    assert reliability(0, 0) is None
    assert reliability(9, 1) == 0.9
    assert reliability(0, 3) == 0.0


def test_wilson_lower_bound_known_values():
    assert wilson_lower_bound(0, 0) == 0.0
    assert round(wilson_lower_bound(1, 1), 4) == 0.2065
    assert round(wilson_lower_bound(90, 100), 4) == 0.8256
    # More evidence for the same share gives a higher lower bound.
    assert wilson_lower_bound(10, 10) > wilson_lower_bound(1, 1)


@given(counts, counts)
def test_wilson_bound_is_a_share_below_the_observed_one(positive, negative):
    total = positive + negative
    bound = wilson_lower_bound(positive, total)
    assert 0.0 <= bound <= 1.0
    if total:
        assert bound <= positive / total + 1e-12


@given(st.lists(st.tuples(st.integers(1, 10**6), counts, counts), unique_by=lambda t: t[0], max_size=30))
def test_tip_karma_does_not_depend_on_order(votes):
    assert tip_karma(votes) == tip_karma(list(reversed(votes)))


@given(counts, counts, counts, counts, st.floats(min_value=0, max_value=1000))
def test_score_is_0_to_100_and_tiers_follow_it(rating_sum, rating_count, completed, cancelled, karma):
    rating_sum = min(rating_sum, rating_count * 5)
    score = reputation_score(rating_sum, rating_count, completed, cancelled, karma)
    assert 0 <= score <= 100
    assert tier_for(score) in ("newcomer", "trusted", "elite")


def test_newcomers_start_low_and_steady_good_work_makes_elite():
    assert tier_for(reputation_score(0, 0, 0, 0, 0.0)) == "newcomer"
    assert tier_for(reputation_score(25, 5, 5, 0, 0.0)) == "trusted"  # five five-star jobs
    assert tier_for(reputation_score(100, 20, 20, 0, 1.0)) == "elite"
    # Cancelling on clients costs the tier.
    assert reputation_score(100, 20, 20, 20, 1.0) < reputation_score(100, 20, 20, 0, 1.0)


def test_board_rank_decays_with_age():
    fresh = board_rank(10, 0, NOW, NOW)
    assert board_rank(10, 0, NOW - timedelta(days=BOARD_HALF_LIFE_DAYS), NOW) == fresh / 2
    assert board_rank(0, 0, NOW, NOW) == 0.0
    assert board_rank(10, 0, NOW - timedelta(days=5), NOW) > board_rank(3, 7, NOW, NOW)

"""The quote formula (docs/pricing.md): hand-worked examples, then every invariant under hypothesis."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import FloorRule, FloorRuleError, LegalMinimum, QuoteError, quote, round_half_up, validate_rule
from pricing.quote import MAX_ESTIMATED_MINUTES, MAX_OFFERED_RATE

GENERAL = FloorRule(
    "yard-work",
    "springfield",
    hourly_floor=2400,
    per_task_floor=1500,
    service_fee_bps=1500,
    trust_fee_bps=500,
    version=3,
)


@pytest.mark.parametrize(
    "numerator, denominator, expected",
    [
        (0, 60, 0),
        (29, 60, 0),
        (30, 60, 1),
        (89, 60, 1),
        (90, 60, 2),
        (5, 10, 1),
        (4, 10, 0),
        (99_999, 100_000, 1),
        (49_999, 100_000, 0),
        (50_000, 100_000, 1),
    ],
)
def test_round_half_up(numerator, denominator, expected):
    assert round_half_up(numerator, denominator) == expected


# (rule, minutes, offered) -> (rate, billable, subtotal, service, trust, commission, total, payout, platform)
CASES = [
    # Under the minimum billable hour: one hour is billed.
    (GENERAL, 30, None, (2400, 60, 2400, 360, 120, 0, 2880, 2400, 480)),
    # 61 minutes rounds UP to the next 15-minute increment.
    (GENERAL, 61, None, (2400, 75, 3000, 450, 150, 0, 3600, 3000, 600)),
    # Exactly on an increment stays put.
    (GENERAL, 90, None, (2400, 90, 3600, 540, 180, 0, 4320, 3600, 720)),
    # An offer below the floor is ignored: clients may pay more, never less.
    (GENERAL, 60, 1000, (2400, 60, 2400, 360, 120, 0, 2880, 2400, 480)),
    # Half a cent rounds up: 2402 * 75 / 60 = 3002.5.
    (GENERAL, 75, 2402, (2402, 75, 3003, 450, 150, 0, 3603, 3003, 600)),
    # Below half a cent rounds down: 2401 * 75 / 60 = 3001.25.
    (GENERAL, 75, 2401, (2401, 75, 3001, 450, 150, 0, 3601, 3001, 600)),
    # Fees at exactly half a cent: 6650 * 15% = 997.5 -> 998; 6650 * 5% = 332.5 -> 333.
    (
        FloorRule(
            "mounting",
            "seattle",
            hourly_floor=3800,
            per_task_floor=1500,
            service_fee_bps=1500,
            trust_fee_bps=500,
            version=1,
        ),
        95,
        None,
        (3800, 105, 6650, 998, 333, 0, 7981, 6650, 1331),
    ),
    # The per-task floor wins over a short job.
    (
        FloorRule("c", "r", hourly_floor=2400, per_task_floor=5000, version=1),
        20,
        None,
        (2400, 60, 5000, 0, 0, 0, 5000, 5000, 0),
    ),
    # Commission comes out of what the client pays above the floor...
    (
        FloorRule("c", "r", hourly_floor=2400, tasker_commission_bps=2000, version=1),
        60,
        3000,
        (3000, 60, 3000, 0, 0, 600, 3000, 2400, 600),
    ),
    # ...and is capped so the payout never drops below the floor (nominal 560, capped at 400).
    (
        FloorRule("c", "r", hourly_floor=2400, tasker_commission_bps=2000, version=1),
        60,
        2800,
        (2800, 60, 2800, 0, 0, 400, 2800, 2400, 400),
    ),
    # A custom billing rule: 30-minute minimum, 1-minute increments.
    (
        FloorRule("c", "r", hourly_floor=6000, min_billable_minutes=30, billing_increment_minutes=1, version=1),
        47,
        None,
        (6000, 47, 4700, 0, 0, 0, 4700, 4700, 0),
    ),
]


@pytest.mark.parametrize("rule, minutes, offered, expected", CASES)
def test_hand_worked_quotes(rule, minutes, offered, expected):
    q = quote(rule, minutes, offered)
    assert (
        q.rate,
        q.billable_minutes,
        q.subtotal,
        q.service_fee,
        q.trust_fee,
        q.commission,
        q.total,
        q.payout,
        q.platform,
    ) == expected
    assert q.rule_version == rule.version


@pytest.mark.parametrize(
    "minutes, offered, field",
    [
        (0, None, "estimated_minutes"),
        (-5, None, "estimated_minutes"),
        (MAX_ESTIMATED_MINUTES + 1, None, "estimated_minutes"),
        (1.5, None, "estimated_minutes"),
        (True, None, "estimated_minutes"),
        (60, -1, "offered_rate"),
        (60, MAX_OFFERED_RATE + 1, "offered_rate"),
        (60, 25.5, "offered_rate"),
    ],
)
def test_bad_input_is_refused_by_field(minutes, offered, field):
    with pytest.raises(QuoteError) as info:
        quote(GENERAL, minutes, offered)
    assert info.value.field == field


SEATTLE = LegalMinimum(per_minute=45, per_task=520, source="Seattle PayUp ordinance, 2025")
NYC = LegalMinimum(per_hour=2213, source="NYC delivery-worker minimum pay, 2026")


@pytest.mark.parametrize(
    "legal, hourly, per_task, bad_fields",
    [
        (SEATTLE, 2700, 520, set()),  # $0.45 a minute is $27.00 an hour
        (SEATTLE, 2699, 520, {"hourly_floor"}),
        (SEATTLE, 2700, 519, {"per_task_floor"}),
        (NYC, 2213, 0, set()),
        (NYC, 2212, 0, {"hourly_floor"}),
        (None, 1, 0, set()),
    ],
)
def test_legal_minimums(legal, hourly, per_task, bad_fields):
    rule = FloorRule("c", "r", hourly_floor=hourly, per_task_floor=per_task)
    if not bad_fields:
        validate_rule(rule, legal)
        return
    with pytest.raises(FloorRuleError) as info:
        validate_rule(rule, legal)
    assert set(info.value.errors) == bad_fields
    assert "legal minimum" in str(info.value)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"hourly_floor": -1}, "hourly_floor"),
        ({"service_fee_bps": 10_001}, "service_fee_bps"),
        ({"billing_increment_minutes": 0}, "billing_increment_minutes"),
        ({"hourly_floor": 0, "per_task_floor": 0}, "hourly_floor"),
        ({"trust_fee_bps": 2.5}, "trust_fee_bps"),
    ],
)
def test_invalid_rules(changes, field):
    rule = FloorRule("c", "r", **{"hourly_floor": 2000, **changes})
    with pytest.raises(FloorRuleError) as info:
        validate_rule(rule)
    assert field in info.value.errors


# ---- properties ---------------------------------------------------------------------------


@st.composite
def rules(draw, hourly=None):
    return FloorRule(
        "c",
        "r",
        hourly_floor=draw(st.integers(0, 200_000)) if hourly is None else hourly,
        per_task_floor=draw(st.integers(0, 100_000)),
        min_billable_minutes=draw(st.integers(0, 480)),
        billing_increment_minutes=draw(st.integers(1, 120)),
        service_fee_bps=draw(st.integers(0, 10_000)),
        trust_fee_bps=draw(st.integers(0, 10_000)),
        tasker_commission_bps=draw(st.integers(0, 10_000)),
        version=draw(st.integers(1, 1000)),
    )


minutes = st.integers(1, MAX_ESTIMATED_MINUTES)
offers = st.none() | st.integers(0, MAX_OFFERED_RATE)


@settings(max_examples=2000)
@given(rules(), minutes, offers)
def test_money_balances_and_is_whole_non_negative_cents(rule, m, offered):
    q = quote(rule, m, offered)
    assert q.total == q.payout + q.platform
    assert q.total == q.subtotal + q.service_fee + q.trust_fee
    assert q.platform == q.service_fee + q.trust_fee + q.commission
    for value in q.as_dict().values():
        assert type(value) is int and value >= 0


@settings(max_examples=2000)
@given(rules(), minutes, offers)
def test_no_tasker_is_paid_below_the_floor_for_the_billable_time(rule, m, offered):
    q = quote(rule, m, offered)
    assert q.billable_minutes >= m and q.billable_minutes >= rule.min_billable_minutes
    assert q.payout >= round_half_up(rule.hourly_floor * q.billable_minutes, 60)
    assert q.payout >= rule.per_task_floor
    assert q.rate >= rule.hourly_floor and (offered is None or q.rate >= offered)


QUOTE_IN_ANOTHER_PROCESS = """
import json, sys
from pricing.quote import quote
from pricing.rules import FloorRule
cases = json.load(sys.stdin)
print(json.dumps([list(quote(FloorRule(**rule), m, offered)) for rule, m, offered in cases]))
"""


def test_deterministic_across_processes():
    """The same inputs give the same quote in another interpreter (another hash seed, another
    process): what a replay or a second pricing worker relies on."""
    draw = random.Random(20261124)
    cases = []
    for _ in range(300):
        rule = {
            "category": "c",
            "region": "r",
            "hourly_floor": draw.randint(0, 50_000),
            "per_task_floor": draw.randint(0, 20_000),
            "min_billable_minutes": draw.randint(0, 240),
            "billing_increment_minutes": draw.randint(1, 60),
            "service_fee_bps": draw.randint(0, 3000),
            "trust_fee_bps": draw.randint(0, 1000),
            "tasker_commission_bps": draw.randint(0, 3000),
            "version": 3,
        }
        cases.append((rule, draw.randint(1, 7 * 24 * 60), draw.choice([None, draw.randint(0, 100_000)])))
    here = [list(quote(FloorRule(**rule), m, offered)) for rule, m, offered in cases]
    there = subprocess.run(
        [sys.executable, "-c", QUOTE_IN_ANOTHER_PROCESS],
        input=json.dumps(cases),
        text=True,
        capture_output=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "4242"},
    )
    assert json.loads(there.stdout) == here


@settings(max_examples=1000)
@given(rules(), minutes, minutes, offers)
def test_monotone_in_minutes(rule, m1, m2, offered):
    low, high = sorted((m1, m2))
    a, b = quote(rule, low, offered), quote(rule, high, offered)
    assert a.billable_minutes <= b.billable_minutes
    assert a.subtotal <= b.subtotal and a.total <= b.total and a.payout <= b.payout


@settings(max_examples=1000)
@given(st.data(), st.integers(0, 200_000), st.integers(0, 200_000), minutes, offers)
def test_monotone_in_the_floor(data, f1, f2, m, offered):
    low, high = sorted((f1, f2))
    base = data.draw(rules(hourly=low))
    raised = FloorRule(**{**base.__dict__, "hourly_floor": high})
    a, b = quote(base, m, offered), quote(raised, m, offered)
    assert a.rate <= b.rate and a.subtotal <= b.subtotal and a.total <= b.total and a.payout <= b.payout

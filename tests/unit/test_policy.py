"""The marketplace's rules are one policy (marketplace.policy.Policy) built from the settings, and
each default is written once: a Settings field's default is what an unset variable gives, what the
policy's DEFAULTS hold, and what the use cases' own default arguments are."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

from marketplace.accounts.tokens import TOKEN_TTL
from marketplace.network.handoffs import OFFER_TTL
from marketplace.policy import DEFAULTS, Policy, policy_of
from marketplace.settings import Settings
from marketplace.tasks.lifecycle import (
    ADJUSTMENT_WINDOW,
    COMPLETION_TOLERANCE,
    HANDOFF_FREE_CANCELLATION,
    START_EARLY,
    START_LATE,
)
from marketplace.tasks.rebooking import REBOOK_WINDOW
from marketplace.tasks.reviews import REVEAL_WINDOW

ROOT = Path(__file__).resolve().parents[2]


def test_an_unset_environment_gives_every_fields_default():
    from_env = Settings.from_env({"DATABASE_URL": "sqlite://", "SECRET_KEY": "k"})
    for f in fields(Settings):
        if f.name in ("database_url", "kafka_bootstrap_servers", "secret_key"):
            continue
        assert getattr(from_env, f.name) == f.default, f.name


def test_the_policy_reads_the_settings_and_its_defaults_are_theirs():
    assert Policy.of(Settings.from_env({"DATABASE_URL": "sqlite://"})) == DEFAULTS
    tuned = Settings.from_env({"DATABASE_URL": "sqlite://", "FLOORBOARD_REBOOK_WINDOW_S": "7200"})
    assert policy_of(tuned).rebook_window == timedelta(hours=2) and policy_of(tuned) is policy_of(tuned)
    assert (START_EARLY, START_LATE, COMPLETION_TOLERANCE, ADJUSTMENT_WINDOW) == (
        DEFAULTS.start_early,
        DEFAULTS.start_late,
        DEFAULTS.completion_tolerance,
        DEFAULTS.adjustment_window,
    )
    assert (HANDOFF_FREE_CANCELLATION, REBOOK_WINDOW, OFFER_TTL, TOKEN_TTL, REVEAL_WINDOW) == (
        DEFAULTS.handoff_free_cancel,
        DEFAULTS.rebook_window,
        DEFAULTS.handoff_offer_ttl,
        DEFAULTS.api_token_ttl,
        DEFAULTS.review_window,
    )


def test_entry_points_take_rules_from_the_policy_not_the_settings():
    rules = {"_s\\b", "priority_window", "mask_contact_details", "mentor_monthly_cap", "feed_emails_per_day"}
    pattern = re.compile(r"settings\.(\w+)")
    infrastructure = {"webhook_timeout_s"}  # how long a test delivery waits: not a marketplace rule
    found = []
    for path in sorted((ROOT / "api").rglob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for name in pattern.findall(line):
                if name in infrastructure:
                    continue
                if any(re.search(rule, name) for rule in rules) or name == "market_too_few_tasks":
                    found.append(f"{path.relative_to(ROOT)}:{n}: {name}")
    assert found == []

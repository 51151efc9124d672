"""The marketplace's rules that operators tune, as the use cases take them: durations as
timedeltas, limits as numbers. Entry points read `platform.policy` and hand its values in; they
never read the settings for a rule themselves. Each default is written once, as the Settings
field's default (marketplace/settings.py), and `DEFAULTS` is that policy, for a use case's own
default arguments."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from functools import lru_cache
from typing import Any

from marketplace.settings import Settings


@dataclass(frozen=True)
class Policy:
    start_early: timedelta  # a task may start from this long before its start time...
    start_late: timedelta  # ...until this long after it
    completion_tolerance: timedelta  # minutes worked may exceed the time since the start by this
    adjustment_window: timedelta  # a claim left unanswered this long: the booked amount stands
    handoff_offer_ttl: timedelta  # a hand-off offer lapses after this (never after the start)
    handoff_free_cancel: timedelta  # the client cancels free this long after a hand-off
    rebook_window: timedelta  # a rebooking is the addressed tasker's alone this long
    review_window: timedelta  # two-sided reviews are revealed at the latest this long after completion
    api_token_ttl: timedelta
    sweep_posted_after: timedelta  # a posting still unpriced this long is priced again
    priority_window: tuple[tuple[str, int], ...]  # tier -> seconds after pricing the feed opens to it
    mask_contact_details: bool  # phone numbers and emails in messages hidden until the start
    mentor_monthly_cap: int
    feed_emails_per_day: int
    market_too_few_tasks: int

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        return _policy(lambda name: getattr(settings, name))


def _policy(read) -> Policy:
    def seconds(name: str) -> timedelta:
        return timedelta(seconds=read(name))

    return Policy(
        start_early=seconds("start_early_s"),
        start_late=seconds("start_late_s"),
        completion_tolerance=seconds("completion_tolerance_s"),
        adjustment_window=seconds("adjustment_timeout_s"),
        handoff_offer_ttl=seconds("handoff_offer_ttl_s"),
        handoff_free_cancel=seconds("handoff_free_cancel_s"),
        rebook_window=seconds("rebook_window_s"),
        review_window=seconds("review_window_s"),
        api_token_ttl=seconds("api_token_ttl_s"),
        sweep_posted_after=seconds("sweep_posted_after_s"),
        priority_window=read("priority_window"),
        mask_contact_details=read("mask_contact_details"),
        mentor_monthly_cap=read("mentor_monthly_cap"),
        feed_emails_per_day=read("feed_emails_per_day"),
        market_too_few_tasks=read("market_too_few_tasks"),
    )


@lru_cache(maxsize=8)
def policy_of(settings: Settings) -> Policy:
    """One Policy per Settings (they are frozen): a request asks for it without building it."""
    return Policy.of(settings)


def setting_default(name: str) -> Any:
    """A Settings field's default: the one place each rule's default is written."""
    return next(f.default for f in fields(Settings) if f.name == name)


DEFAULTS = _policy(setting_default)

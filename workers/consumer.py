"""Builds a ConsumerRunner for a group from the platform's settings and transport."""

from __future__ import annotations

import time
from collections.abc import Callable

from events.runner import ConsumerRunner, Handler, in_transaction
from events.topics import CONSUMER_GROUPS


def build_runner(
    platform, group: str, handlers: dict[str, Handler], *, topics: list[str] | None = None, **kwargs
) -> ConsumerRunner:
    """A runner for `group`, subscribed to the group's topics in events.topics.CONSUMER_GROUPS
    (`topics` is for the test suite's own throwaway groups)."""
    topics = topics if topics is not None else list(CONSUMER_GROUPS[group])
    s = platform.settings
    options = {
        "batch_size": s.consumer_batch_size,
        "max_attempts": s.consumer_max_attempts,
        "backoff_s": s.consumer_retry_backoff_s,
        "max_backoff_s": s.consumer_retry_max_backoff_s,
        **kwargs,
    }
    return ConsumerRunner(
        group, handlers, lambda: platform.transport.consumer(group, topics), platform.uow, topics=topics, **options
    )


def sweep_every(seconds: float, platform, work: Callable) -> Callable[[], None]:
    """An on_idle hook that runs `work(uow)` in its own unit of work at most every `seconds`."""
    last = 0.0

    def sweep() -> None:
        nonlocal last
        if time.monotonic() - last < seconds:
            return
        in_transaction(platform.uow, work)
        last = time.monotonic()

    return sweep

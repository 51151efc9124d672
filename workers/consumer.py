"""Builds a ConsumerRunner for a group from the platform's settings and transport."""

from __future__ import annotations

import time
from collections.abc import Callable

from events.runner import ConsumerRunner


def build_runner(platform, group: str, topics: list[str], handlers: dict, **kwargs) -> ConsumerRunner:
    s = platform.settings
    options = {
        "batch_size": s.consumer_batch_size,
        "max_attempts": s.consumer_max_attempts,
        "backoff_s": s.consumer_retry_backoff_s,
        **kwargs,
    }
    runner = ConsumerRunner(
        group, handlers, lambda: platform.transport.consumer(group, topics), platform.uow, **options
    )
    runner.topics = topics  # for lag reports
    return runner


def sweep_every(seconds: float, platform, work: Callable) -> Callable[[], None]:
    """An on_idle hook that runs `work(uow)` in its own unit of work at most every `seconds`."""
    last = 0.0

    def sweep() -> None:
        nonlocal last
        if time.monotonic() - last < seconds:
            return
        with platform.uow() as uow:
            work(uow)
            uow.commit()
        last = time.monotonic()

    return sweep

"""Builds a ConsumerRunner for a group from the platform's settings and transport."""
from __future__ import annotations

from events.runner import ConsumerRunner


def build_runner(platform, group: str, topics: list[str], handlers: dict, **kwargs) -> ConsumerRunner:
    s = platform.settings
    options = {"batch_size": s.consumer_batch_size, "max_attempts": s.consumer_max_attempts,
               "backoff_s": s.consumer_retry_backoff_s, **kwargs}
    runner = ConsumerRunner(group, handlers, lambda: platform.transport.consumer(group, topics),
                            platform.uow, **options)
    runner.topics = topics  # for lag reports
    return runner

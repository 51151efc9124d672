"""The pricing stage: tasks.posted -> tasks.priced, with floors from the compacted pricing.floors."""

from __future__ import annotations

from marketplace.floors.table import FloorFeed
from marketplace.tasks.pricing_stage import price_posted_task
from workers import WorkerSpec
from workers.consumer import build_runner

GROUP = "pricing"


def build(platform):
    feed = FloorFeed(platform.transport)
    feed.catch_up()  # rebuild the whole table from the topic before the first posting
    return build_runner(
        platform,
        GROUP,
        {"task.posted": lambda uow, event: price_posted_task(uow, event, feed.table)},  # the table now, not at build
        before_batch=feed.catch_up,
    )


SPEC = WorkerSpec(GROUP, build, description="prices postings with the floor in force at posting time")

"""The pricing stage: tasks.posted -> tasks.priced, with floors from the compacted pricing.floors."""

from __future__ import annotations

import logging

from prometheus_client import Counter

from marketplace.floors.table import FloorFeed
from marketplace.tasks.pricing_stage import price_posted_task
from marketplace.tasks.sweeper import resend_overdue_postings
from workers.consumer import build_runner, sweep_every
from workers.spec import WorkerSpec

log = logging.getLogger(__name__)
RESENT = Counter("floorboard_postings_resent_total", "Overdue postings whose task.posted the sweeper sent again")

GROUP = "pricing"


def build(platform):
    feed = FloorFeed(platform.transport)
    feed.catch_up()  # rebuild the whole table from the topic before the first posting
    return build_runner(
        platform,
        GROUP,
        {"task.posted": lambda uow, event: price_posted_task(uow, event, feed.table)},  # the table now, not at build
        before_batch=feed.catch_up,
        on_idle=sweep_every(
            platform.settings.sweep_every_s, platform, _sweeper(platform.settings.sweep_posted_after_s)
        ),
    )


def _sweeper(older_than_s: int):
    def sweep(uow) -> None:
        sent = resend_overdue_postings(uow, older_than_s)
        if sent:
            RESENT.inc(sent)
            log.warning("sweeper: %d task(s) still posted after %d s; sent their task.posted again", sent, older_than_s)

    return sweep


SPEC = WorkerSpec(GROUP, build, description="prices postings with the floor in force at posting time")

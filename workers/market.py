"""The market worker: tasks.priced, tasks.lifecycle, payments.events, tips.activity and
community.activity in; the market-health counts per category x region x local day out."""

from __future__ import annotations

from marketplace.market.projection import MARKET_TYPES, project_market_event
from workers.consumer import build_runner
from workers.spec import WorkerSpec

GROUP = "market"


def build(platform):
    return build_runner(platform, GROUP, dict.fromkeys(MARKET_TYPES, project_market_event))


SPEC = WorkerSpec(GROUP, build, description="keeps market health per category, region and local day")

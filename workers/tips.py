"""The tips-board projector: tips.activity in, the ranked boards' counts out."""

from __future__ import annotations

from marketplace.community.boards import project_tip_event
from workers.consumer import build_runner
from workers.spec import WorkerSpec

GROUP = "tips"


def build(platform):
    return build_runner(
        platform,
        GROUP,
        dict.fromkeys(("tip.posted", "tip.voted", "tip.hidden"), project_tip_event),
    )


SPEC = WorkerSpec(GROUP, build, description="keeps the tips boards' votes and moderation")

"""The tips-board projector: tips.activity in, the ranked boards' counts out."""

from __future__ import annotations

from marketplace.community.boards import project_tip_event
from workers import WorkerSpec
from workers.consumer import build_runner

GROUP = "tips"


def build(platform):
    return build_runner(
        platform,
        GROUP,
        ["tips.activity"],
        {t: lambda event, uow: project_tip_event(uow, event) for t in ("tip.posted", "tip.voted", "tip.hidden")},
    )


SPEC = WorkerSpec(GROUP, build, description="keeps the tips boards' votes and moderation")

"""The reviews worker: reviews.submitted in; the reveal state out. When a task's second review
arrives it reveals both and announces `review.revealed`; while idle, it reveals the reviews of
tasks whose window (FLOORBOARD_REVIEW_WINDOW_S after completion) has passed."""

from __future__ import annotations

from datetime import timedelta

from marketplace.clock import utcnow
from marketplace.tasks.reviews import REVIEW_TYPES, lapse_reviews, project_review_event
from workers.consumer import build_runner, sweep_every
from workers.spec import WorkerSpec

GROUP = "reviews"
SWEEP_EVERY_S = 60.0


def build(platform):
    window = timedelta(seconds=platform.settings.review_window_s)
    return build_runner(
        platform,
        GROUP,
        dict.fromkeys(REVIEW_TYPES, project_review_event),
        on_idle=sweep_every(SWEEP_EVERY_S, platform, lambda uow: lapse_reviews(uow, utcnow(), window)),
    )


SPEC = WorkerSpec(GROUP, build, description="reveals two-sided reviews together, or when their window lapses")

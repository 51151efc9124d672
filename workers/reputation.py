"""The reputation projector: tasks.lifecycle, reviews.submitted and tips.activity in,
reputation.changes out."""

from __future__ import annotations

from marketplace.community.reputation import project_reputation_event
from workers.consumer import build_runner
from workers.spec import WorkerSpec

GROUP = "reputation"
TYPES = [
    "task.accepted",
    "task.completed",
    "task.cancelled",
    "task.handed_off",
    "review.submitted",
    "review.revealed",
    "tip.posted",
    "tip.voted",
    "tip.hidden",
    "answer.posted",
    "answer.voted",
    "answer.accepted",
    "answer.hidden",
]


def build(platform):
    return build_runner(platform, GROUP, dict.fromkeys(TYPES, project_reputation_event))


SPEC = WorkerSpec(GROUP, build, description="keeps taskers' ratings, reliability, tip karma, score and tier")

"""The network worker: community.activity in, the mentoring projection out (which endorsements
count, and the skilled categories they open); while idle, it lapses hand-off offers nobody
answered in time (the task stays with the tasker who offered it)."""

from __future__ import annotations

from marketplace.clock import utcnow
from marketplace.network.endorsements import ENDORSEMENT_TYPES, project_endorsement_event
from marketplace.network.handoffs import lapse_offers
from workers.consumer import build_runner, sweep_every
from workers.spec import WorkerSpec

GROUP = "network"
SWEEP_EVERY_S = 30.0


def build(platform):
    return build_runner(
        platform,
        GROUP,
        dict.fromkeys(ENDORSEMENT_TYPES, project_endorsement_event),
        on_idle=sweep_every(SWEEP_EVERY_S, platform, lambda uow: lapse_offers(uow, utcnow())),
    )


SPEC = WorkerSpec(GROUP, build, description="counts mentors' endorsements and lapses unanswered hand-off offers")

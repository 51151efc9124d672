"""The network worker: community.activity in, the mentoring projection out (which endorsements
count, and the skilled categories they open); while idle, it lapses hand-off offers nobody
answered in time (the task stays with the tasker who offered it), and rebookings their tasker let
pass (the task opens to everyone, or is cancelled free for "only this tasker")."""

from __future__ import annotations

from marketplace.clock import utcnow
from marketplace.network.handoffs import lapse_offers
from marketplace.taskers.mentoring import ENDORSEMENT_TYPES, project_endorsement_event
from marketplace.tasks.rebooking import lapse_rebookings
from workers.consumer import build_runner, sweep_every
from workers.spec import WorkerSpec

GROUP = "network"
SWEEP_EVERY_S = 30.0


def _sweep(uow) -> None:
    now = utcnow()
    lapse_offers(uow, now)
    lapse_rebookings(uow, now)


def build(platform):
    return build_runner(
        platform,
        GROUP,
        dict.fromkeys(ENDORSEMENT_TYPES, project_endorsement_event),
        on_idle=sweep_every(SWEEP_EVERY_S, platform, _sweep),
    )


SPEC = WorkerSpec(
    GROUP, build, description="counts mentors' endorsements; lapses unanswered hand-off offers and rebookings"
)

"""Raises taskers' own rates when a floor rises above them (group "tasker-rates").

Fed by pricing.floors for changes in force now; a sweep every minute while idle catches
scheduled changes at the time they take effect, with no one acting.
"""

from __future__ import annotations

from events.envelope import CloudEvent
from events.payloads import FloorsChanged
from marketplace.clock import utcnow
from marketplace.taskers.rates import raise_rates_to_floors
from workers.consumer import build_runner, sweep_every
from workers.spec import WorkerSpec

GROUP = "tasker-rates"
SWEEP_EVERY_S = 60.0


def on_floors_changed(uow, event: CloudEvent) -> None:
    raise_rates_to_floors(uow, utcnow(), FloorsChanged.of(event).category)


def build(platform):
    return build_runner(
        platform,
        GROUP,
        {"floors.changed": on_floors_changed},
        on_idle=sweep_every(SWEEP_EVERY_S, platform, lambda uow: raise_rates_to_floors(uow, utcnow())),
    )


SPEC = WorkerSpec(GROUP, build, description="raises taskers' own rates to a risen floor")

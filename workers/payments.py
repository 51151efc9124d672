"""The payments worker: tasks.lifecycle in; captures, releases and transfers out, through the
gateway with an idempotency key per step, so a redelivered event changes nothing at Stripe.
While idle it renews card holds about to lapse and pays taskers who have since onboarded."""
from __future__ import annotations

import time

from events.sqltypes import utcnow
from marketplace.payments import pay_outstanding, reauthorize_holds, settle_cancellation, settle_completion
from workers import WorkerSpec
from workers.consumer import build_runner

GROUP = "payments"
SWEEP_EVERY_S = 60.0


def build(platform):
    gateway = platform.gateway
    last_sweep = 0.0

    def sweep() -> None:
        nonlocal last_sweep
        if time.monotonic() - last_sweep < SWEEP_EVERY_S:
            return
        with platform.uow() as uow:
            reauthorize_holds(uow, gateway, utcnow(), platform.settings.hold_reauthorize_after_s)
            pay_outstanding(uow, gateway)
            uow.commit()
        last_sweep = time.monotonic()

    return build_runner(platform, GROUP, ["tasks.lifecycle"], {
        "task.completed": lambda event, uow: settle_completion(uow, gateway, event),
        "task.cancelled": lambda event, uow: settle_cancellation(uow, gateway, event),
    }, on_idle=sweep)


SPEC = WorkerSpec(GROUP, build, description="captures, releases and pays out through Stripe")

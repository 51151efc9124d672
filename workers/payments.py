"""The payments worker: tasks.lifecycle in; captures, releases and transfers out, through the
gateway with an idempotency key per step, so a redelivered event changes nothing at Stripe, and
asked only between units of work (marketplace/payments/staged.py), never inside one.
While idle it settles claims for extra time the client left unanswered (at the booked amount),
renews card holds about to lapse and pays taskers who have since onboarded."""

from __future__ import annotations

from functools import partial

from marketplace.clock import utcnow
from marketplace.payments.holds import reauthorize_holds
from marketplace.payments.payouts import pay_outstanding
from marketplace.payments.settlement import settle_cancellation, settle_completion, settle_upheld_adjustment
from marketplace.payments.staged import StagedGateway
from marketplace.tasks.adjustments import expire_adjustments
from workers.consumer import build_runner, sweep_every
from workers.spec import WorkerSpec

GROUP = "payments"
SWEEP_EVERY_S = 60.0


def build(platform):
    # Stripe is asked between units of work, never inside one (marketplace/payments/staged.py).
    gateway = StagedGateway(platform.gateway)

    def sweep(uow) -> None:
        expire_adjustments(uow, utcnow())
        reauthorize_holds(uow, gateway, utcnow(), platform.settings.hold_reauthorize_after_s)
        pay_outstanding(uow, gateway)

    return build_runner(
        platform,
        GROUP,
        {
            "task.completed": partial(settle_completion, gateway=gateway),
            "task.cancelled": partial(settle_cancellation, gateway=gateway),
            "task.adjustment_decided": partial(settle_upheld_adjustment, gateway=gateway),
        },
        on_idle=sweep_every(SWEEP_EVERY_S, platform, sweep, before=gateway.forget),
        before_batch=gateway.forget,
    )


SPEC = WorkerSpec(GROUP, build, description="captures, releases and pays out through Stripe")

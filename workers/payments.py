"""The payments worker: tasks.lifecycle in; the Stripe calls each event needs out, as rows written
in the event's own transaction (captures, releases, extra charges, transfers), each with its
idempotency key. While idle it settles claims for extra time the client left unanswered (at the
booked amount), queues renewals of card holds about to lapse and transfers to taskers who have
since onboarded, a bounded page each sweep.

The `payment-calls` sender makes those calls after commit and records each answer in a unit of
work of its own (marketplace/outgoing.py, marketplace/payments/sender.py)."""

from __future__ import annotations

from events.wakeup import waiter
from marketplace.clock import utcnow
from marketplace.outgoing import LeasedSender, SendLoop
from marketplace.payments.calls import open_call_count
from marketplace.payments.holds import reauthorize_holds
from marketplace.payments.models import PaymentCall
from marketplace.payments.payouts import pay_outstanding
from marketplace.payments.sender import PaymentCalls
from marketplace.payments.settlement import settle_cancellation, settle_completion, settle_upheld_adjustment
from marketplace.tasks.adjustments import expire_adjustments
from workers.consumer import build_runner, sweep_every
from workers.spec import WorkerSpec

GROUP = "payments"
SWEEP_EVERY_S = 60.0


def build(platform):
    def sweep(uow) -> None:
        expire_adjustments(uow, utcnow())
        reauthorize_holds(uow, utcnow(), platform.settings.hold_reauthorize_after_s)
        pay_outstanding(uow)

    return build_runner(
        platform,
        GROUP,
        {
            "task.completed": settle_completion,
            "task.cancelled": settle_cancellation,
            "task.adjustment_decided": settle_upheld_adjustment,
        },
        on_idle=sweep_every(SWEEP_EVERY_S, platform, sweep),
    )


class PaymentCallSender(SendLoop):
    """Makes the queued Stripe calls and records their answers (`run_once` for tests)."""

    def __init__(self, platform, idle_s: float = 5.0):
        self.platform = platform
        self.sender = LeasedSender(PaymentCalls(platform.gateway), platform.uow)
        bell = waiter(PaymentCall.__tablename__, engine=platform.engine)  # rung by calls.queue's commits
        super().__init__("payment-calls", self.sender.round, idle_s, bell=bell)

    def run_once(self, timeout_s: float = 0.0) -> int:
        return self.sender.run_once()

    def outstanding(self) -> int:
        """Calls not answered yet (pending or in flight)."""
        with self.platform.uow() as uow:
            return open_call_count(uow)


SPEC = WorkerSpec(GROUP, build, description="decides the Stripe calls each task needs (rows, after commit)")
CALLS = WorkerSpec(
    "payment-calls",
    PaymentCallSender,
    description="makes the queued Stripe calls and records their answers",
    consumer_group=False,
)

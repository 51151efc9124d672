"""The staged gateway never calls through inside a transaction: an unknown call is handed to the
runner as work to do outside it, and then answered from memory, a decline included."""

from __future__ import annotations

import pytest

from events.runner import OutsideTransaction, in_transaction
from marketplace.payments.gateway import GatewayError, NullGateway, PaymentDeclined
from marketplace.payments.staged import StagedGateway


class Counting(NullGateway):
    def __init__(self):
        super().__init__()
        self.calls: list[str] = []

    def capture(self, intent_id, amount, key):
        self.calls.append(f"capture {key}")

    def release(self, intent_id, key):
        self.calls.append(f"release {key}")
        raise PaymentDeclined("the bank said no")

    def refund(self, intent_id, amount, reason, key):
        raise GatewayError("connection refused", temporary=True)


class Unit:
    """A stand-in unit of work that records whether it was open during a call."""

    open = False

    def __enter__(self):
        Unit.open = True
        return self

    def __exit__(self, *exc):
        Unit.open = False

    def commit(self):
        pass


def test_calls_happen_between_units_of_work_once_each_and_declines_are_remembered():
    real = Counting()
    staged = StagedGateway(real)
    seen_open = []
    real_capture = real.capture

    def capture(*args, **kwargs):
        seen_open.append(Unit.open)
        return real_capture(*args, **kwargs)

    real.capture = capture  # type: ignore[method-assign]
    passes = []

    def handler(uow):
        passes.append(1)
        staged.capture("pi_1", 100, key="task-1-capture")
        with pytest.raises(PaymentDeclined):
            staged.release("pi_1", key="task-1-release")

    in_transaction(Unit, handler)
    assert real.calls == ["capture task-1-capture", "release task-1-release"]  # once each
    assert seen_open == [False] and len(passes) == 3
    with pytest.raises(OutsideTransaction):
        staged.capture("pi_2", 100, key="task-2-capture")
    staged.forget()
    with pytest.raises(OutsideTransaction):
        staged.capture("pi_1", 100, key="task-1-capture")  # forgotten: asked again next batch


def test_an_unreachable_stripe_is_a_temporary_failure_not_an_answer():
    staged = StagedGateway(Counting())
    with pytest.raises(GatewayError) as failed:
        in_transaction(Unit, lambda uow: staged.refund("pi_1", 100, "r", key="task-1-refund-1"))
    assert failed.value.temporary
    with pytest.raises(OutsideTransaction):
        staged.refund("pi_1", 100, "r", key="task-1-refund-1")  # nothing remembered: asked again

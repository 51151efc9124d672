"""The payment gateway as a worker's handlers see it inside their transaction: Stripe is never
called there. A call this batch has already made is answered from memory; any other raises
OutsideTransaction, whose work makes the call once the transaction has closed and remembers the
answer (a decline included), and the runner applies the batch again (events/runner.py). Every
mutating call carries its idempotency key, so a worker that dies between the call and its commit
repeats the call harmlessly after restart."""

from __future__ import annotations

from typing import Any

from events.runner import OutsideTransaction
from marketplace.payments.gateway import GatewayError, PaymentDeclined, PaymentGateway

CALLS = (
    "customer",
    "save_card",
    "authorize",
    "charge",
    "intent",
    "capture",
    "release",
    "refund",
    "create_account",
    "onboarding_link",
    "transfer",
    "retrieve_transfer",
)


class StagedGateway:
    def __init__(self, gateway: PaymentGateway):
        self.gateway = gateway
        self.name = gateway.name
        self.webhook_secret = gateway.webhook_secret
        self._answers: dict[tuple, tuple[str, Any]] = {}

    def forget(self) -> None:
        """Drop what this batch learned (an intent's status changes once the batch has acted)."""
        self._answers.clear()

    def verify_webhook(self, payload: bytes, signature: str | None) -> dict:
        return self.gateway.verify_webhook(payload, signature)  # no network: a signature check

    def __getattr__(self, name: str):
        if name not in CALLS:
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            key = (name, args, tuple(sorted(kwargs.items())))
            if key not in self._answers:
                raise OutsideTransaction(lambda: self._ask(key, name, args, kwargs))
            outcome, value = self._answers[key]
            if outcome == "raise":
                raise value
            return value

        return call

    def _ask(self, key: tuple, name: str, args: tuple, kwargs: dict) -> None:
        try:
            self._answers[key] = ("ok", getattr(self.gateway, name)(*args, **kwargs))
        except PaymentDeclined as exc:
            self._answers[key] = ("raise", exc)
        except GatewayError as exc:
            if exc.temporary:
                raise  # Stripe is away: the runner waits and tries the batch again, asking again
            self._answers[key] = ("raise", exc)

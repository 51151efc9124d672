"""The payment gateway as the domain sees it: a `PaymentGateway` Protocol, the values it returns, its
refusals, and the null gateway used when no Stripe account is configured (`make run`, and tests that
are not about money). `stripe_gateway` holds the one implementation that talks to Stripe."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Protocol

from marketplace import errors

INTENT_STATES = {  # Stripe's PaymentIntent status -> ours
    "requires_capture": "authorized",
    "requires_action": "pending",
    "requires_confirmation": "pending",
    "processing": "pending",
    "requires_payment_method": "failed",
    "succeeded": "captured",
    "canceled": "released",
}


class PaymentDeclined(errors.PaymentDeclined):
    """The card was refused, at Stripe. `message` is safe to show the client; `intent_id` is the
    PaymentIntent Stripe made for the attempt, if any."""

    def __init__(self, message: str, intent_id: str | None = None):
        super().__init__(message)
        self.intent_id = intent_id


class GatewayError(Exception):
    """Stripe refused or failed a request for a reason that is not the card's. `temporary` when
    Stripe could not be reached or was overloaded: the same request may work in a moment."""

    def __init__(self, message: str, temporary: bool = False):
        super().__init__(message)
        self.message = message
        self.temporary = temporary


@dataclass(frozen=True)
class Intent:
    id: str
    status: str  # ours: pending, authorized, failed, captured, released
    amount: int
    client_secret: str | None = None
    net_received: int = 0  # captured minus refunded, as Stripe sees it
    failure: str | None = None


@dataclass(frozen=True)
class Transfer:
    id: str
    amount: int


class PaymentGateway(Protocol):
    """What payments need from a payment service. Every mutating call takes an idempotency `key`."""

    name: str
    webhook_secret: str | None

    def customer(self, email: str, user_id: int) -> str: ...

    def save_card(
        self, customer: str, payment_method: str | None = None, token: str | None = None, key: str = ""
    ) -> str: ...

    def authorize(
        self,
        amount: int,
        currency: str,
        customer: str,
        payment_method: str,
        task_id: int,
        key: str,
        off_session: bool = False,
    ) -> Intent: ...

    def charge(
        self, amount: int, currency: str, customer: str, payment_method: str, task_id: int, key: str
    ) -> Intent: ...

    def intent(self, intent_id: str) -> Intent: ...

    def capture(self, intent_id: str, amount: int, key: str) -> None: ...

    def release(self, intent_id: str, key: str) -> None: ...

    def refund(self, intent_id: str, amount: int, reason: str, key: str) -> str: ...

    def create_account(self, email: str, tasker_id: int) -> str: ...

    def onboarding_link(self, account_id: str, refresh_url: str, return_url: str, key: str) -> str: ...

    def transfer(self, amount: int, currency: str, account_id: str, task_id: int, key: str) -> Transfer: ...

    def retrieve_transfer(self, transfer_id: str) -> Transfer: ...

    def find_transfer(self, task_id: int, key: str) -> Transfer | None:
        """The task's transfer made with idempotency `key`, if Stripe has one: asked before a
        transfer is made again, so a repeat after Stripe forgot the key (24 h) pays nothing twice."""
        ...

    def verify_webhook(self, payload: bytes, signature: str | None) -> dict: ...


class NullGateway:
    """For `make run` and tests that are not about money: every hold authorizes at once and
    nothing leaves the machine. Selected when STRIPE_SECRET_KEY is unset."""

    name: str = "null"
    webhook_secret: str | None = None

    def __init__(self):
        self._ids = itertools.count(1)
        self._intents: dict[str, Intent] = {}
        self._transfers: dict[str, Transfer] = {}  # by idempotency key

    def _id(self, prefix: str) -> str:
        return f"{prefix}_null_{next(self._ids)}"

    def customer(self, email: str, user_id: int) -> str:
        return f"cus_null_{user_id}"

    def save_card(
        self, customer: str, payment_method: str | None = None, token: str | None = None, key: str = ""
    ) -> str:
        return payment_method or token or "pm_null"

    def authorize(self, amount, currency, customer, payment_method, task_id, key, off_session=False) -> Intent:
        intent = Intent(id=self._id("pi"), status="authorized", amount=amount)
        self._intents[intent.id] = intent
        return intent

    def charge(self, amount, currency, customer, payment_method, task_id, key) -> Intent:
        intent = Intent(id=self._id("pi"), status="captured", amount=amount)
        self._intents[intent.id] = intent
        return intent

    def intent(self, intent_id: str) -> Intent:
        return self._intents.get(intent_id, Intent(intent_id, "authorized", 0))

    def capture(self, intent_id, amount, key) -> None:
        pass

    def release(self, intent_id, key) -> None:
        pass

    def refund(self, intent_id, amount, reason, key) -> str:
        return self._id("re")

    def create_account(self, email, tasker_id) -> str:
        return f"acct_null_{tasker_id}"

    def onboarding_link(self, account_id, refresh_url, return_url, key) -> str:
        return return_url

    def transfer(self, amount, currency, account_id, task_id, key) -> Transfer:
        if key not in self._transfers:
            self._transfers[key] = Transfer(self._id("tr"), amount)
        return self._transfers[key]

    def retrieve_transfer(self, transfer_id) -> Transfer:
        known = [t for t in self._transfers.values() if t.id == transfer_id]
        return known[0] if known else Transfer(transfer_id, 0)

    def find_transfer(self, task_id: int, key: str) -> Transfer | None:
        return self._transfers.get(key)

    def verify_webhook(self, payload: bytes, signature: str | None) -> dict:
        raise ValueError("no Stripe account is configured (STRIPE_SECRET_KEY), so there are no webhooks")

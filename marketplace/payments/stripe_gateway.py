"""The Stripe gateway, through the official SDK; the only module that imports `stripe`.

Every mutating call carries an idempotency key made from the task and the step, so a retried step (a
redelivered event, a crashed worker) has no second effect at Stripe. Card holds are PaymentIntents
with manual capture; taskers are paid by separate Transfers to their connected accounts."""

from __future__ import annotations

import stripe

from marketplace.payments.gateway import INTENT_STATES, GatewayError, Intent, PaymentDeclined, Transfer


def _intent(pi: dict) -> Intent:
    charge = pi.get("latest_charge") if isinstance(pi.get("latest_charge"), dict) else None
    net = 0
    if charge and charge.get("captured"):
        captured = charge.get("amount_captured") or charge.get("amount", 0)
        net = captured - (charge.get("amount_refunded") or 0)
    error = pi.get("last_payment_error") or {}
    return Intent(
        id=pi["id"],
        status=INTENT_STATES.get(pi["status"], "pending"),
        amount=pi["amount"],
        client_secret=pi.get("client_secret"),
        net_received=net,
        failure=error.get("message"),
    )


def _wrap(call):
    try:
        return call()
    except stripe.CardError as exc:
        pi = getattr(exc.error, "payment_intent", None) if exc.error else None
        raise PaymentDeclined(exc.user_message or "Your card was declined.", getattr(pi, "id", None)) from None
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
        raise GatewayError(exc.user_message or str(exc) or type(exc).__name__, temporary=True) from exc
    except stripe.StripeError as exc:
        raise GatewayError(exc.user_message or str(exc)) from exc


class StripeGateway:
    name = "stripe"

    def __init__(
        self,
        secret_key: str,
        api_base: str | None = None,
        connect_api_base: str | None = None,
        webhook_secret: str | None = None,
    ):
        def client(base):
            addresses = {"api": base, "connect": base} if base else None
            return stripe.StripeClient(
                secret_key,
                base_addresses=addresses,  # type: ignore[arg-type]  # a TypedDict the SDK does not export
                max_network_retries=2,
            )

        self._stripe = client(api_base)
        self._connect = client(connect_api_base or api_base)
        self.webhook_secret = webhook_secret

    def customer(self, email: str, user_id: int) -> str:
        return _wrap(
            lambda: self._stripe.v1.customers.create(
                params={"email": email, "metadata": {"user_id": str(user_id)}},
                options={"idempotency_key": f"customer-{user_id}"},
            )
        ).id

    def save_card(
        self, customer: str, payment_method: str | None = None, token: str | None = None, key: str = ""
    ) -> str:
        """Keep the card on the customer, so a hold can be renewed later without the client.
        A card the issuer refuses is refused here, before any hold."""
        options = {"idempotency_key": key} if key else None
        if token:
            return _wrap(
                lambda: self._stripe.v1.customers.payment_sources.create(
                    customer, params={"source": token}, options=options
                )
            ).id
        return _wrap(
            lambda: self._stripe.v1.payment_methods.attach(
                payment_method, params={"customer": customer}, options=options
            )
        ).id

    def authorize(
        self,
        amount: int,
        currency: str,
        customer: str,
        payment_method: str,
        task_id: int,
        key: str,
        off_session: bool = False,
    ) -> Intent:
        params = {
            "amount": amount,
            "currency": currency,
            "customer": customer,
            "payment_method": payment_method,
            "capture_method": "manual",
            "confirm": True,
            "metadata": {"task_id": str(task_id)},
        }
        if off_session:
            params["off_session"] = True
        pi = _wrap(lambda: self._stripe.v1.payment_intents.create(params=params, options={"idempotency_key": key}))
        return _intent(pi.to_dict())

    def charge(self, amount: int, currency: str, customer: str, payment_method: str, task_id: int, key: str) -> Intent:
        """Charge now, off-session, on the saved card: an approved difference beyond the hold.
        (A second PaymentIntent rather than an incremental authorization, which few cards allow.)"""
        pi = _wrap(
            lambda: self._stripe.v1.payment_intents.create(
                params={
                    "amount": amount,
                    "currency": currency,
                    "customer": customer,
                    "payment_method": payment_method,
                    "confirm": True,
                    "off_session": True,
                    "metadata": {"task_id": str(task_id), "kind": "adjustment"},
                },
                options={"idempotency_key": key},
            )
        )
        intent = _intent(pi.to_dict())
        if intent.status != "captured":
            raise PaymentDeclined(intent.failure or "The card did not accept the extra charge.", intent.id)
        return intent

    def intent(self, intent_id: str) -> Intent:
        pi = _wrap(lambda: self._stripe.v1.payment_intents.retrieve(intent_id, params={"expand": ["latest_charge"]}))
        return _intent(pi.to_dict())

    def capture(self, intent_id: str, amount: int, key: str) -> None:
        _wrap(
            lambda: self._stripe.v1.payment_intents.capture(
                intent_id, params={"amount_to_capture": amount}, options={"idempotency_key": key}
            )
        )

    def release(self, intent_id: str, key: str) -> None:
        _wrap(lambda: self._stripe.v1.payment_intents.cancel(intent_id, options={"idempotency_key": key}))

    def refund(self, intent_id: str, amount: int, reason: str, key: str) -> str:
        return _wrap(
            lambda: self._stripe.v1.refunds.create(
                params={"payment_intent": intent_id, "amount": amount, "metadata": {"reason": reason[:400]}},
                options={"idempotency_key": key},
            )
        ).id

    def create_account(self, email: str, tasker_id: int) -> str:
        return _wrap(
            lambda: self._connect.v1.accounts.create(
                params={"type": "express", "email": email, "metadata": {"tasker_id": str(tasker_id)}},
                options={"idempotency_key": f"account-{tasker_id}"},
            )
        ).id

    def onboarding_link(self, account_id: str, refresh_url: str, return_url: str, key: str) -> str:
        return _wrap(
            lambda: self._connect.v1.account_links.create(
                params={
                    "account": account_id,
                    "refresh_url": refresh_url,
                    "return_url": return_url,
                    "type": "account_onboarding",
                },
                options={"idempotency_key": key},
            )
        ).url

    def transfer(self, amount: int, currency: str, account_id: str, task_id: int, key: str) -> Transfer:
        t = _wrap(
            lambda: self._connect.v1.transfers.create(
                params={
                    "amount": amount,
                    "currency": currency,
                    "destination": account_id,
                    "transfer_group": f"task_{task_id}",
                    "metadata": {"task_id": str(task_id), "key": key},
                },
                options={"idempotency_key": key},
            )
        )
        return Transfer(t.id, t.amount)

    def find_transfer(self, task_id: int, key: str) -> Transfer | None:
        page = _wrap(
            lambda: self._connect.v1.transfers.list(params={"transfer_group": f"task_{task_id}", "limit": 100})
        )
        for t in page.data:
            if t.metadata is not None and t.metadata.to_dict().get("key") == key:
                return Transfer(t.id, t.amount)
        return None

    def retrieve_transfer(self, transfer_id: str) -> Transfer:
        t = _wrap(lambda: self._connect.v1.transfers.retrieve(transfer_id))
        return Transfer(t.id, t.amount)

    def verify_webhook(self, payload: bytes, signature: str | None) -> dict:
        """The event, if the signature is Stripe's for this payload; else ValueError."""
        if not self.webhook_secret:
            raise ValueError("STRIPE_WEBHOOK_SECRET is not set, so no webhook can be verified")
        try:
            event = stripe.Webhook.construct_event(payload, signature, self.webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise ValueError(f"the Stripe-Signature does not verify: {exc}") from None
        return event.to_dict()

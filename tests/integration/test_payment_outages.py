"""Stripe is never asked while a database transaction is open, and a Stripe that does not answer
is a 503 with Retry-After on every money path of the API and the web, never a 500. On PostgreSQL
with the real Stripe API servers (localstripe for cards, stripe-mock for Connect)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from marketplace.payments.models import Payment
from marketplace.payments.stripe_gateway import StripeGateway
from tests.faults import free_port
from tests.integration.test_payments import Market
from tests.support import NO_WINDOW, csrf, seeded

WATCHED = (  # every call the gateway makes over the network
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
    "find_transfer",
)


class WatchingGateway:
    """The real gateway, with a look at PostgreSQL before each call it makes on a request's behalf:
    any other session of this database idle *in a transaction* means one was left open across
    the network call."""

    def __init__(self, inner, database_url: str):
        self.inner = inner
        self.watching = False
        self.calls: list[str] = []
        self.open_transactions: list[str] = []
        url = make_url(database_url)
        self.conninfo = f"host={url.host} port={url.port} user={url.username} dbname={url.database}"

    def __getattr__(self, name):
        value = getattr(self.inner, name)
        if name not in WATCHED:
            return value

        def call(*args, **kwargs):
            if self.watching:
                self.calls.append(name)
                with psycopg.connect(self.conninfo, autocommit=True) as conn:
                    (held,) = conn.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
                    ).fetchone()
                if held:
                    self.open_transactions.append(name)
            return value(*args, **kwargs)

        return call


@pytest.fixture
def market(make_platform, postgres_url, stripe_settings):
    platform = seeded(make_platform(postgres_url, priority_window=NO_WINDOW, **stripe_settings))
    platform.gateway = WatchingGateway(platform.gateway, postgres_url)
    m = Market(platform)
    yield m
    m.pipeline.close()


def _watched(market, request):
    gateway = market.platform.gateway
    gateway.watching = True
    try:
        return request()
    finally:
        gateway.watching = False


def test_no_request_and_no_worker_holds_a_transaction_while_stripe_answers(market):
    gateway = market.platform.gateway
    task_id = market.priced()
    booked = _watched(market, lambda: market.book(task_id))
    assert booked.status_code == 200 and booked.json["task"]["payment_status"] == "authorized"
    onboarded = _watched(market, lambda: market.call(market.tasker, "POST", "/taskers/me/payouts"))
    assert onboarded.status_code == 201 and onboarded.json["account_id"]
    worked = _watched(market, lambda: market.work(task_id, 60))  # the payments worker captures and pays out
    assert worked["payment"]["status"] == "captured" and worked["payment"]["amount_transferred"] > 0
    operator = market.api.signup("operator")
    refunded = _watched(
        market, lambda: market.call(operator, "POST", f"/tasks/{task_id}/refunds", {"amount": 500, "reason": "late"})
    )
    assert refunded.status_code == 201 and refunded.json["payment"]["amount_refunded"] == 500
    released = market.priced()
    market.book(released)
    _watched(market, lambda: (market.call(market.client, "POST", f"/tasks/{released}/cancel", {}), market.drain()))
    assert market.task(released)["payment"]["status"] == "released"
    made = set(gateway.calls)
    assert {"customer", "save_card", "authorize", "create_account", "onboarding_link", "refund"} <= made
    assert {"capture", "transfer", "release"} <= made  # the payment-calls sender's, after commit
    assert gateway.open_transactions == []
    market.ledger_sums_to_zero()  # (stripe-mock's transfers are canned, so no reconcile here)


def _stopped_stripe(market, stripe_settings):
    """Point the platform at a Stripe that does not answer (nothing listens on the port)."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    market.platform.gateway = StripeGateway(
        stripe_settings["stripe_secret_key"], nowhere, nowhere, stripe_settings["stripe_webhook_secret"]
    )


def test_a_stopped_stripe_is_a_503_with_retry_after_on_every_money_path(market, stripe_settings):
    live = market.platform.gateway
    captured = market.priced()
    assert market.book(captured).status_code == 200
    market.work(captured, 60)
    waiting = market.priced()
    operator = market.api.signup("operator")

    _stopped_stripe(market, stripe_settings)
    for who, method, path, body in (
        (market.client, "POST", f"/tasks/{waiting}/book", {"payment_method": "pm_card_visa"}),
        (operator, "POST", f"/tasks/{captured}/refunds", {"reason": "late"}),
        (market.tasker, "POST", "/taskers/me/payouts", None),
    ):
        r = market.call(who, method, path, body)
        assert r.status_code == 503 and r.headers["Retry-After"] == "5", (path, r.status_code, r.json)
        assert "payment service is briefly unavailable" in r.json["message"]
    with market.platform.uow() as uow:
        assert uow.session.get_one(Payment, captured).amount_refunded == 0  # nothing recorded as done
        pending = uow.session.get_one(Payment, waiting)
        assert pending.status == "pending" and pending.intent_id == ""

    web = market.app.test_client()
    market.app.config["WTF_CSRF_ENABLED"] = True
    token = csrf(web.get("/login").get_data(as_text=True))
    web.post("/login", data={"email": market.client["email"], "password": "correct horse battery", "csrf_token": token})
    page = web.get(f"/tasks/{waiting}").get_data(as_text=True)
    paid = web.post(
        f"/tasks/{waiting}/pay", data={"csrf_token": csrf(page), "token": "tok_visa"}, headers={"Accept": "text/html"}
    )
    assert paid.status_code == 503 and paid.headers["Retry-After"] == "5"
    assert "Try again in a moment" in paid.get_data(as_text=True)

    # Stripe is back: the same booking goes through, asked with the same keys as the lost attempt.
    market.platform.gateway = live
    again = market.book(waiting)
    assert again.status_code == 200 and again.json["task"]["payment_status"] == "authorized"
    with market.platform.uow() as uow:
        assert uow.session.get_one(Payment, waiting).attempt == 1
    market.books_balance()

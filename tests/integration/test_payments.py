"""Payments against real Stripe API servers (never a patched SDK): card holds, captures,
cancellations, refunds and webhooks on localstripe (stateful); Connect accounts and transfers on
stripe-mock (which validates every request against Stripe's OpenAPI spec). After every step of
every flow each task's ledger sums to zero, and reconcile reports no difference from Stripe.

Over 400 lines on purpose: one harness (localstripe, stripe-mock, the ledger checked after every
step) and the flows it runs."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta

import pytest
import requests
from sqlmodel import select, update

from api import create_app
from events.tables import EventLogRow
from marketplace.clock import utcnow
from marketplace.payments.holds import reauthorize_holds
from marketplace.payments.ledger import balances, task_totals
from marketplace.payments.models import Payment
from marketplace.payments.reconcile import reconcile
from tests.support import NO_WINDOW, ApiHelper, Pipeline, live_server, seeded
from workers import registry


class Market:
    def __init__(self, platform):
        self.platform = platform
        self.app = create_app({"TESTING": True}, platform=platform)
        self.api = ApiHelper(self.app.test_client(), platform)
        self.pipeline = Pipeline(platform, ["pricing", "payments"])
        self.client, self.tasker = self.api.signup("client"), self.api.signup("tasker")
        r = self.api.client.put(
            "/api/v1/taskers/me/skills",
            headers=self.api.headers(self.tasker),
            json={"regions": ["springfield"], "skills": [{"category": "yard-work", "rate": 2400}]},
        )
        assert r.status_code == 200

    def call(self, who, method, path, body=None):
        response = self.api.client.open(f"/api/v1{path}", method=method, json=body, headers=self.api.headers(who))
        self.ledger_sums_to_zero()  # after every step of every flow
        return response

    def drain(self) -> None:
        self.pipeline.drain()
        self.ledger_sums_to_zero()

    def ledger_sums_to_zero(self) -> None:
        with self.platform.uow() as uow:
            assert set(task_totals(uow.session).values()) <= {0}

    def priced(self, **task) -> int:
        task_id = self.api.post_task(self.client, **task).json["id"]
        self.drain()
        return task_id

    def book(self, task_id, payment_method="pm_card_visa"):
        return self.call(self.client, "POST", f"/tasks/{task_id}/book", {"payment_method": payment_method})

    def work(self, task_id, minutes: int, reason: str = "") -> dict:
        complete = {"minutes_worked": minutes, **({"reason": reason} if reason else {})}
        for step, body in (("accept", None), ("start", None), ("complete", complete)):
            r = self.call(self.tasker, "POST", f"/tasks/{task_id}/{step}", body)
            assert r.status_code == 200, r.json
        self.drain()
        return self.task(task_id)

    def task(self, task_id) -> dict:
        return self.call(self.client, "GET", f"/tasks/{task_id}").json

    def books_balance(self) -> None:
        """Every task's entries sum to zero, and the ledger agrees with Stripe."""
        self.ledger_sums_to_zero()
        assert reconcile(self.platform.uow, self.platform.gateway) == []

    def intent(self, task_id):
        with self.platform.uow() as uow:
            return self.platform.gateway.intent(uow.session.get(Payment, task_id).intent_id)

    def ledger(self, task_id) -> dict:
        with self.platform.uow() as uow:
            return balances(uow.session, task_id)


@pytest.fixture
def market(make_platform, postgres_url, stripe_settings):
    m = Market(seeded(make_platform(postgres_url, priority_window=NO_WINDOW, **stripe_settings)))
    yield m
    m.pipeline.close()


def test_authorize_then_capture_the_final_amount(market):
    m = market
    task_id = m.priced(estimated_minutes=95)
    m.books_balance()
    assert m.call(m.tasker, "GET", "/tasks?open=true").json["items"] == []  # no hold, not offered
    booked = m.book(task_id)
    assert booked.status_code == 200, booked.json
    held = booked.json["task"]["payment"]["amount_authorized"]
    assert m.intent(task_id).status == "authorized" and m.intent(task_id).amount == held
    assert [t["id"] for t in m.call(m.tasker, "GET", "/tasks?open=true").json["items"]] == [task_id]
    m.books_balance()

    done = m.work(task_id, minutes=50)  # less than estimated: the final price is below the hold
    final = done["final_quote"]
    assert done["payment"]["amount_captured"] == final["total"] < held
    assert m.intent(task_id).status == "captured" and m.intent(task_id).net_received == final["total"]
    assert m.ledger(task_id) == {
        "client": -final["total"],
        "tasker_payable": final["payout"],
        "platform_fees": final["platform"],
    }
    m.books_balance()

    # Work that ran long is a claim, not a charge: nothing moves until the client answers.
    long_task = m.priced(estimated_minutes=60)
    m.book(long_task)
    for step in ("accept", "start"):
        assert m.call(m.tasker, "POST", f"/tasks/{long_task}/{step}").status_code == 200
    claim = m.call(
        m.tasker, "POST", f"/tasks/{long_task}/complete", {"minutes_worked": 240, "reason": "The shed was full"}
    )
    assert claim.status_code == 200 and claim.json["status"] == "awaiting_approval"
    assert claim.json["adjustment"]["reason"] == "The shed was full"  # the client reads it before answering
    m.drain()
    assert m.ledger(long_task) == {} and m.intent(long_task).status == "authorized"  # nothing moved
    m.books_balance()


def test_authorize_then_cancel_releases_the_hold(market):
    m = market
    task_id = m.priced()
    m.book(task_id)
    r = m.call(m.client, "POST", f"/tasks/{task_id}/cancel", {"reason": "plans changed"})
    assert r.status_code == 200 and r.json["cancellation_fee"] is None
    m.drain()
    assert m.task(task_id)["payment"]["status"] == "released" and m.intent(task_id).status == "released"
    assert m.ledger(task_id) == {}
    m.books_balance()


def test_a_late_cancellation_captures_the_fee_and_pays_the_tasker(market):
    m = market
    task_id = m.priced(starts_at=(utcnow() + timedelta(hours=5)).isoformat())
    m.book(task_id)
    assert m.call(m.tasker, "POST", f"/tasks/{task_id}/accept").status_code == 200
    m.drain()
    m.books_balance()
    fee = m.call(m.client, "POST", f"/tasks/{task_id}/cancel").json["cancellation_fee"]
    m.drain()
    assert m.task(task_id)["payment"]["amount_captured"] == fee["total"] == 2400
    assert m.intent(task_id).net_received == 2400
    assert m.ledger(task_id) == {"client": -2400, "tasker_payable": 2400}
    m.books_balance()


def test_refunds_go_through_the_api_with_a_reason(market):
    m = market
    operator = m.api.signup("operator")
    task_id = m.priced()
    m.book(task_id)
    captured = m.work(task_id, minutes=60)["payment"]["amount_captured"]
    assert m.call(operator, "POST", f"/tasks/{task_id}/refunds", {"amount": 500}).status_code == 422  # no reason
    assert m.call(m.client, "POST", f"/tasks/{task_id}/refunds", {"reason": "x"}).status_code == 403
    r = m.call(operator, "POST", f"/tasks/{task_id}/refunds", {"amount": 500, "reason": "Arrived late"})
    assert r.status_code == 201 and r.json["payment"]["amount_refunded"] == 500
    assert m.intent(task_id).net_received == captured - 500
    m.books_balance()
    too_much = m.call(operator, "POST", f"/tasks/{task_id}/refunds", {"amount": captured, "reason": "all"})
    assert too_much.status_code == 422 and "left to refund" in str(too_much.json["errors"])
    rest = m.call(operator, "POST", f"/tasks/{task_id}/refunds", {"reason": "Goodwill"})
    assert rest.json["payment"]["amount_refunded"] == captured and m.intent(task_id).net_received == 0
    assert m.ledger(task_id)["client"] == 0
    m.books_balance()


def test_a_declined_card_gets_a_clear_error_and_the_client_can_try_another(market):
    m = market
    task_id = m.priced()
    declined = m.book(task_id, "pm_card_visa_chargeDeclined")
    assert declined.status_code == 402
    assert declined.json["message"] == "Your card was declined." and "payment_method" in declined.json["errors"]["json"]
    task = m.task(task_id)
    assert task["payment_status"] == "failed" and task["payment"]["failure_message"] == "Your card was declined."
    assert m.call(m.tasker, "GET", "/tasks?open=true").json["items"] == []
    m.books_balance()
    assert m.book(task_id, "pm_card_visa").status_code == 200
    assert m.task(task_id)["payment_status"] == "authorized"
    m.books_balance()


def test_holds_are_renewed_before_they_lapse(market):
    m = market
    task_id = m.priced()
    m.book(task_id)
    first = m.intent(task_id).id
    with m.platform.uow() as uow:
        uow.session.exec(
            update(Payment)
            .where(Payment.task_id == task_id)
            .values(authorized_at=utcnow() - timedelta(days=6, hours=1))
        )
        uow.commit()
    with m.platform.uow() as uow:
        assert reauthorize_holds(uow, utcnow(), m.platform.settings.hold_reauthorize_after_s) == 1
        uow.commit()
    with m.platform.uow() as uow:  # a renewal under way is not queued twice
        assert reauthorize_holds(uow, utcnow(), m.platform.settings.hold_reauthorize_after_s) == 0
    m.drain()  # the payment-calls sender makes the new hold, then releases the old one
    renewed = m.intent(task_id)
    assert renewed.id != first and renewed.status == "authorized"
    assert m.platform.gateway.intent(first).status == "released"
    with m.platform.uow() as uow:  # a fresh hold is not renewed again
        assert reauthorize_holds(uow, utcnow(), m.platform.settings.hold_reauthorize_after_s) == 0
    m.books_balance()


def test_connected_account_and_transfer_on_stripe_mock(market):
    m = market
    r = m.call(m.tasker, "POST", "/taskers/me/payouts")
    assert r.status_code == 201 and r.json["account_id"].startswith("acct_") and r.json["onboarding_url"]
    assert m.call(m.tasker, "GET", "/taskers/me/payouts").json["account_id"] == r.json["account_id"]
    task_id = m.priced()
    m.book(task_id)
    done = m.work(task_id, minutes=60)
    payout = done["final_quote"]["payout"]
    assert done["payment"]["amount_transferred"] == payout
    ledger = m.ledger(task_id)
    assert ledger.get("tasker_payable", 0) == 0 and ledger["tasker_paid_out"] == payout
    with m.platform.uow() as uow:
        assert set(task_totals(uow.session).values()) == {0}
        payment = uow.session.get(Payment, task_id)
        assert payment.transfer_id.startswith("tr_")
        events = uow.session.exec(select(EventLogRow).where(EventLogRow.topic == "payments.events")).all()
        assert any(json.loads(e.value)["type"] == "payment.transferred" for e in events)
        # stripe-mock is stateless: a retrieved transfer is its fixture, so only the intents are
        # reconciled here (the transfer's amount is checked against what creating it returned).
        differences = reconcile(m.platform.uow, m.platform.gateway)
    assert [d.what for d in differences] == [f"transfer {payment.transfer_id}"]


def test_a_tasker_paid_before_onboarding_is_paid_when_they_onboard(market):
    m = market
    task_id = m.priced()
    m.book(task_id)
    payout = m.work(task_id, minutes=60)["final_quote"]["payout"]
    assert m.ledger(task_id)["tasker_payable"] == payout
    m.call(m.tasker, "POST", "/taskers/me/payouts")
    assert m.ledger(task_id)["tasker_payable"] == payout  # money moves in the payments worker, not in a request
    payments = registry()["payments"].build(m.platform)
    try:
        payments.run_once(timeout_s=0.1)  # an empty poll: the worker's idle sweep queues the transfer
    finally:
        payments.close()
    assert m.ledger(task_id)["tasker_payable"] == payout  # queued, not yet made
    m.drain()  # the payment-calls sender makes it and records it
    assert m.ledger(task_id).get("tasker_payable", 0) == 0 and m.ledger(task_id)["tasker_paid_out"] == payout


def sign(payload: bytes, secret: str, at: int | None = None) -> str:
    at = at or int(time.time())
    signature = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={signature}"


def test_signed_webhooks_arrive_and_are_processed_once(market, localstripe_server):
    m = market
    secret = m.platform.settings.stripe_webhook_secret
    seen: list[tuple[bytes, str]] = []

    def recording(environ, start_response):  # keeps what localstripe sent, to deliver it again
        if environ["PATH_INFO"] == "/webhooks/stripe":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            seen.append((body, environ.get("HTTP_STRIPE_SIGNATURE", "")))
            environ["wsgi.input"] = __import__("io").BytesIO(body)
        return m.app(environ, start_response)

    with live_server(recording) as base:
        hook = uuid.uuid4().hex
        r = requests.post(
            f"{localstripe_server}/_config/webhooks/{hook}",
            timeout=10,
            data={"url": f"{base}/webhooks/stripe", "secret": secret},
        )
        assert r.status_code == 200
        task_id = m.priced()
        m.book(task_id)
        m.work(task_id, minutes=60)  # the capture makes localstripe send payment_intent.succeeded

        def webhook_events():
            with m.platform.uow() as uow:
                rows = uow.session.exec(select(EventLogRow).where(EventLogRow.topic == "payments.events")).all()
            return [json.loads(r.value) for r in rows if json.loads(r.value)["data"]["source"] == "webhook"]

        deadline = time.monotonic() + 30
        while not any(e["type"] == "payment.captured" for e in webhook_events()) and time.monotonic() < deadline:
            time.sleep(0.2)
        captured = [e for e in webhook_events() if e["type"] == "payment.captured"]
        assert len(captured) == 1 and captured[0]["data"]["task_id"] == task_id
        body, signature = next((b, s) for b, s in seen if json.loads(b)["type"] == "payment_intent.succeeded")

        again = requests.post(
            f"{base}/webhooks/stripe",
            data=body,
            timeout=10,
            headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
        )
        assert again.status_code == 200 and again.json()["duplicate"] is True
        assert len([e for e in webhook_events() if e["type"] == "payment.captured"]) == 1

        forged = requests.post(
            f"{base}/webhooks/stripe", data=body, timeout=10, headers={"Stripe-Signature": sign(body, "whsec_not_ours")}
        )
        assert forged.status_code == 400 and "does not verify" in forged.json()["message"]
        unsigned = requests.post(f"{base}/webhooks/stripe", data=body, timeout=10)
        assert unsigned.status_code == 400
        tampered = requests.post(
            f"{base}/webhooks/stripe",
            data=body.replace(b"succeeded", b"canceled"),
            timeout=10,
            headers={"Stripe-Signature": signature},
        )
        assert tampered.status_code == 400
    m.books_balance()


def test_a_failed_payment_webhook_leaves_the_task_for_the_client_to_fix(market):
    m = market
    task_id = m.priced()
    body = json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "object": "event",
            "type": "payment_intent.payment_failed",
            "data": {
                "object": {
                    "id": "pi_unknown",
                    "object": "payment_intent",
                    "status": "requires_payment_method",
                    "amount": 100,
                    "metadata": {"task_id": str(task_id)},
                    "last_payment_error": {"message": "Your card has insufficient funds."},
                }
            },
        }
    )
    r = m.api.client.post(
        "/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": sign(body.encode(), m.platform.settings.stripe_webhook_secret)},
    )
    assert r.status_code == 200 and r.json["duplicate"] is False
    # The client books (a real hold), then the bank's asynchronous failure arrives for it.
    m.book(task_id)
    with m.platform.uow() as uow:
        intent_id = uow.session.get(Payment, task_id).intent_id
    body = json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "object": "event",
            "type": "payment_intent.payment_failed",
            "data": {
                "object": {
                    "id": intent_id,
                    "object": "payment_intent",
                    "status": "requires_payment_method",
                    "amount": 100,
                    "metadata": {"task_id": str(task_id)},
                    "last_payment_error": {"message": "Your card has insufficient funds."},
                }
            },
        }
    )
    m.api.client.post(
        "/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": sign(body.encode(), m.platform.settings.stripe_webhook_secret)},
    )
    task = m.task(task_id)
    assert task["payment_status"] == "failed" and "insufficient funds" in task["payment"]["failure_message"]
    assert m.call(m.tasker, "GET", "/tasks?open=true").json["items"] == []
    assert m.book(task_id).status_code == 200  # a new card fixes it


def test_reconcile_command_reports_no_difference_then_catches_one(market, monkeypatch):
    from click.testing import CliRunner

    from cli import cli
    from marketplace.payments.models import LedgerEntry

    m = market
    task_id = m.priced()
    m.book(task_id)
    m.work(task_id, minutes=60)
    s = m.platform.settings
    for name, value in (
        ("DATABASE_URL", s.database_url),
        ("STRIPE_SECRET_KEY", s.stripe_secret_key),
        ("STRIPE_API_BASE", s.stripe_api_base),
        ("STRIPE_CONNECT_API_BASE", s.stripe_connect_api_base),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    ok = CliRunner().invoke(cli, ["payments", "reconcile"], catch_exceptions=False)
    assert ok.exit_code == 0 and "no differences" in ok.output
    with m.platform.uow() as uow:  # a ledger that says more was received than Stripe holds
        uow.session.add_all(
            [
                LedgerEntry(task_id=task_id, posting="bogus", account="client", amount=-100),
                LedgerEntry(task_id=task_id, posting="bogus", account="platform_fees", amount=100),
            ]
        )
        uow.commit()
    bad = CliRunner().invoke(cli, ["payments", "reconcile"], catch_exceptions=False)
    assert bad.exit_code == 1 and "received" in bad.output
    listed = CliRunner().invoke(cli, ["payments", "reconcile", "--json"], catch_exceptions=False)
    differences = json.loads(listed.stdout)
    assert listed.exit_code == 1 and any(d["task_id"] == task_id and "received" in d["what"] for d in differences)


class Crash(BaseException):
    """The process dies: not an Exception, so nothing on the way up handles it."""


def test_a_sender_dying_after_the_capture_but_before_its_record_captures_once(market):
    """The capture reached Stripe, its answer was never recorded; once the lease runs out the call
    is made again, finds the capture done, books it once, and the books still agree with Stripe."""
    from marketplace.outgoing import LeasedSender
    from marketplace.payments.models import PaymentCall
    from marketplace.payments.sender import PaymentCalls

    m = market
    task_id = m.priced()
    m.book(task_id)
    for step, body in (("accept", None), ("start", None), ("complete", {"minutes_worked": 60})):
        m.call(m.tasker, "POST", f"/tasks/{task_id}/{step}", body)
    for runner in m.pipeline.runners:  # the payments group queues the capture
        runner.run_once(timeout_s=0.1)
        runner.run_once(timeout_s=0.1)

    def die(row):
        raise Crash()

    dying = LeasedSender(PaymentCalls(m.platform.gateway), m.platform.uow, after_call=die)
    with pytest.raises(Crash):
        dying.send_due()
    assert m.intent(task_id).status == "captured" and m.task(task_id)["payment"]["status"] == "authorized"
    with m.platform.uow() as uow:  # the lease runs out
        uow.session.exec(update(PaymentCall).values(lease_until=utcnow() - timedelta(seconds=1)))
        uow.commit()
    m.drain()
    payment = m.task(task_id)["payment"]
    assert payment["status"] == "captured" and payment["amount_captured"] == m.intent(task_id).net_received
    with m.platform.uow() as uow:
        capture = uow.session.exec(select(PaymentCall).where(PaymentCall.operation == "capture")).one()
        assert capture.status == "sent" and capture.attempts == 2
    m.books_balance()


def _claim(m, minutes: int, estimated: int = 60) -> tuple[int, dict]:
    task_id = m.priced(estimated_minutes=estimated)
    m.book(task_id)
    task = m.work(task_id, minutes, reason="The hedge was twice the size described")
    assert task["status"] == "awaiting_approval", task
    return task_id, task


def test_a_one_hour_task_completed_as_a_week_moves_no_money_until_the_client_agrees(market):
    """The reproduction: 10,080 minutes on a 60-minute booking paid the tasker 4,032.00 USD."""
    m = market
    task_id, task = _claim(m, 10_080)
    held = task["payment"]["amount_authorized"]
    claim = task["adjustment"]
    assert claim["status"] == "pending" and claim["booked_total"] == held
    assert claim["extra"] == task["claimed_quote"]["total"] - held > 0
    assert task["payment"]["status"] == "authorized" and m.intent(task_id).status == "authorized"
    assert m.ledger(task_id) == {}
    m.books_balance()
    # The client says no: the booked amount is captured and paid, and nothing more.
    r = m.call(m.client, "POST", f"/tasks/{task_id}/adjustment/dispute", {"reason": "It was one hour of work"})
    assert r.status_code == 200 and r.json["status"] == "completed", r.json
    m.drain()
    task = m.task(task_id)
    assert task["payment"]["amount_captured"] == held == task["final_quote"]["total"]
    ledger = m.ledger(task_id)
    assert ledger["client"] == -held and ledger["tasker_payable"] == task["quote"]["payout"]
    assert ledger["platform_fees"] == task["quote"]["platform"] >= 0
    m.books_balance()


def test_an_approved_adjustment_charges_the_difference_and_pays_it_on(market):
    m = market
    task_id, task = _claim(m, 150)
    held, claimed = task["payment"]["amount_authorized"], task["claimed_quote"]
    assert m.call(m.tasker, "POST", f"/tasks/{task_id}/adjustment/approve").status_code == 403  # not the tasker's call
    r = m.call(m.client, "POST", f"/tasks/{task_id}/adjustment/approve")
    assert r.status_code == 200 and r.json["adjustment"]["status"] == "approved"
    assert m.call(m.client, "POST", f"/tasks/{task_id}/adjustment/approve").status_code == 409  # once
    m.drain()
    task = m.task(task_id)
    assert task["payment"]["amount_captured"] == claimed["total"] == task["final_quote"]["total"]
    assert task["payment"]["amount_extra"] == claimed["total"] - held
    assert m.ledger(task_id) == {
        "client": -claimed["total"],
        "tasker_payable": claimed["payout"],
        "platform_fees": claimed["platform"],
    }
    m.books_balance()


def test_an_approved_extra_stripe_refuses_leaves_the_booked_amount(market):
    """Stripe refuses the extra charge the payment-calls sender makes after the capture (the saved
    card is gone): that call fails alone, and it settles as a decline would: the booked amount is
    the final price, booked and paid on, and the client is told why. (A card decline proper is an
    answer the same step records; localstripe cannot decline a saved card's later charge.)"""
    card, call_status = "pm_removed_since", "failed"
    from marketplace.payments.models import PaymentCall

    m = market
    task_id, task = _claim(m, 150)
    held = task["payment"]["amount_authorized"]
    with m.platform.uow() as uow:  # the saved card now refuses charges
        uow.session.exec(update(Payment).where(Payment.task_id == task_id).values(payment_method=card))
        uow.commit()
    assert m.call(m.client, "POST", f"/tasks/{task_id}/adjustment/approve").status_code == 200
    m.drain()
    task = m.task(task_id)
    assert task["payment"]["amount_captured"] == held == task["final_quote"]["total"]
    assert task["payment"]["status"] == "captured" and "declined" in task["payment"]["failure_message"]
    assert m.ledger(task_id)["tasker_payable"] == task["final_quote"]["payout"]  # paid on at the booked amount
    with m.platform.uow() as uow:
        calls = {c.operation: c for c in uow.session.exec(select(PaymentCall).where(PaymentCall.task_id == task_id))}
    assert calls["charge"].status == call_status
    assert m.ledger(task_id)["client"] == -held
    m.books_balance()


def test_an_unanswered_claim_lapses_to_the_booked_amount(market):
    from marketplace.tasks.adjustments import expire_adjustments

    m = market
    task_id, task = _claim(m, 200)
    held = task["payment"]["amount_authorized"]
    with m.platform.uow() as uow:
        assert expire_adjustments(uow, utcnow()) == 0  # not due yet
        assert expire_adjustments(uow, utcnow() + timedelta(hours=72, seconds=1)) == 1
        uow.commit()
    m.drain()
    task = m.task(task_id)
    assert task["status"] == "completed" and task["adjustment"]["status"] == "expired"
    assert task["payment"]["amount_captured"] == held and task["payment"]["amount_extra"] == 0
    m.books_balance()


def test_an_operator_rules_on_a_dispute(market):
    m = market
    operator = m.api.signup("operator")
    task_id, task = _claim(m, 180)
    held, claimed = task["payment"]["amount_authorized"], task["claimed_quote"]
    ruling = {"decision": "tasker", "note": "Photos show the extra work"}
    assert m.call(operator, "POST", f"/tasks/{task_id}/adjustment/ruling", ruling).status_code == 409  # not disputed
    m.call(m.client, "POST", f"/tasks/{task_id}/adjustment/dispute", {"reason": "Too long"})
    m.drain()
    assert m.call(m.client, "POST", f"/tasks/{task_id}/adjustment/ruling", ruling).status_code == 403
    r = m.call(operator, "POST", f"/tasks/{task_id}/adjustment/ruling", ruling)
    assert r.status_code == 200 and r.json["adjustment"]["status"] == "upheld"
    m.drain()
    task = m.task(task_id)
    assert task["payment"]["amount_captured"] == claimed["total"]
    assert task["payment"]["amount_extra"] == claimed["total"] - held
    ledger = m.ledger(task_id)
    assert ledger["client"] == -claimed["total"] and ledger["tasker_payable"] == claimed["payout"]
    m.books_balance()
    # A refund after that comes out of the hold's capture first, then the extra charge.
    r = m.call(operator, "POST", f"/tasks/{task_id}/refunds", {"reason": "Goodwill"})
    assert r.status_code == 201 and r.json["payment"]["amount_refunded"] == claimed["total"]
    m.books_balance()

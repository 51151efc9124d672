"""Booking on the web: the card hold (Stripe.js when Stripe is configured; test mode otherwise),
and reading a hold back after the bank's 3-D Secure step. Stripe is asked with no transaction open."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for

from api.platform import platform, unit_of_work
from api.web.forms import PayForm
from api.web.sign_in import signed_in, web_requires
from api.web.site import bp, own_task
from marketplace.errors import DomainError
from marketplace.payments.gateway import GatewayError
from marketplace.payments.holds import book_task, sync_payment


def stripe_page_settings() -> dict | None:
    settings = platform().settings
    if platform().gateway.name != "stripe":
        return None
    return {"js_url": settings.stripe_js_url, "publishable_key": settings.stripe_publishable_key or ""}


def _pay_answer(task_id: int, ok: bool, message: str, extra: dict | None = None):
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": ok, "message": message, **(extra or {})}), 200 if ok else 402
    flash(message)
    return redirect(url_for("web.task_page", task_id=task_id))


@bp.post("/tasks/<int:task_id>/pay")
@web_requires("client")
def pay(task_id: int):
    form = PayForm()
    if not form.validate_on_submit():
        abort(400, description="The payment form was incomplete or expired; reload the page and try again.")
    gateway = platform().gateway
    if gateway.name == "stripe" and not form.token.data:
        return _pay_answer(task_id, False, "Enter your card details.")
    with unit_of_work() as unit:
        own_task(unit.session, task_id)
    try:
        payment, client_secret = book_task(
            unit_of_work,
            gateway,
            signed_in(),
            task_id,
            payment_method=None if form.token.data else "pm_null",
            token=form.token.data or None,
        )
    except DomainError as exc:
        return _pay_answer(task_id, False, exc.message)
    except GatewayError as exc:
        if exc.temporary:
            raise  # the payment service is unreachable: a 503 page with Retry-After (api/errors.py)
        return _pay_answer(task_id, False, exc.message)
    if payment.is_failed:
        return _pay_answer(task_id, False, f"{payment.failure_message} Try another card.")
    if payment.is_pending:
        return _pay_answer(
            task_id,
            True,
            "Your bank wants you to confirm the payment.",
            {"client_secret": client_secret, "sync": url_for("web.pay_sync", task_id=task_id)},
        )
    if gateway.name != "stripe":
        return _pay_answer(
            task_id,
            True,
            "Booked in test mode: nothing was held on any card, and nothing will be "
            "charged. Taskers can now accept the task.",
        )
    return _pay_answer(task_id, True, "Booked: the amount is held on your card, and taskers can now accept the task.")


@bp.post("/tasks/<int:task_id>/pay/sync")
@web_requires("client")
def pay_sync(task_id: int):
    if not PayForm().validate_on_submit():
        abort(400, description="The payment form was incomplete or expired; reload the page and try again.")
    with unit_of_work() as unit:
        own_task(unit.session, task_id)
    try:
        payment = sync_payment(unit_of_work, platform().gateway, task_id)
    except DomainError as exc:  # nothing was started to read back: say so on the task's page
        return _pay_answer(task_id, False, exc.message)
    ok = payment.is_authorized
    return _pay_answer(
        task_id,
        ok,
        "Booked: the amount is held on your card."
        if ok
        else f"The payment did not go through: {payment.failure_message or payment.status}. Try another card.",
    )

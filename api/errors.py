"""Every error is JSON with a message and, where a field is at fault, field errors. Never a 500
page, never a traceback: an unexpected error is logged and answered as a plain JSON 500."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import NoReturn

from flask import jsonify, make_response, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_smorest import abort
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from events.envelope import InvalidEvent
from events.outages import ThrottledLog, describe, is_temporary
from marketplace.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, PaymentDeclined
from marketplace.payments.gateway import GatewayError
from pricing import FloorRuleError

log = logging.getLogger(__name__)
# During an outage every request fails the same way: one line per kind of failure every 10 s,
# with a count, instead of a traceback per request.
_outage_log = ThrottledLog(log, interval_s=10.0)
RETRY_AFTER_S = 5  # what a client is told to wait while the database is unavailable


# The one mapping from the domain's kinds of refusal to HTTP statuses.
STATUS_OF = {Invalid: 422, NotFound: 404, Forbidden: 403, Conflict: 409, PaymentDeclined: 402}


def status_of(exc: DomainError) -> int:
    return next((status for kind, status in STATUS_OF.items() if isinstance(exc, kind)), 422)


def error_response(status: int, message: str, errors: dict | None = None):
    body = {"code": status, "status": _reason(status), "message": message}
    if errors:
        body["errors"] = {"json": errors}
    return jsonify(body), status


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def init_app(app) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        status = status_of(exc)
        if wants_html():
            return render_template("error.html", code=status, title=_reason(status), message=exc.message), status
        return error_response(status, exc.message, exc.errors)

    @app.errorhandler(InvalidEvent)
    def _unrecordable(exc: InvalidEvent):
        # A backstop: the schemas refuse such input first. An event its consumers could not read
        # is never written; the request is refused instead.
        log.warning("refused an event the consumers could not read on %s %s: %s", request.method, request.path, exc)
        return error_response(422, "The request carried data that cannot be recorded.")

    @app.errorhandler(FloorRuleError)
    def _floor(exc: FloorRuleError):
        return error_response(422, "The floor rule was refused.", exc.errors)

    @app.errorhandler(IntegrityError)
    def _conflict(exc: IntegrityError):
        # Two requests raced to create the same thing (a second vote, review or booking): the
        # database's unique constraint let one through; this one conflicts.
        log.info("integrity conflict on %s %s: %s", request.method, request.path, exc.orig)
        if wants_html():
            return render_template(
                "error.html",
                code=409,
                title="Conflict",
                message="That was just changed by another request. Reload and try again.",
            ), 409
        return error_response(409, "That was just changed by another request; reload it and try again.")

    @app.errorhandler(GatewayError)
    def _payment_service(exc: GatewayError):
        if exc.temporary:  # Stripe unreachable or overloaded: nothing was recorded as done; come back
            _outage_log.log(
                logging.WARNING,
                "payment service",
                f"the payment service is unavailable on {request.method} {request.path}: {exc.message}; answered 503",
            )
            message = f"The payment service is briefly unavailable. Try again in {RETRY_AFTER_S} seconds."
            if wants_html():
                body = render_template("error.html", code=503, title="Try again in a moment", message=message)
                response = make_response(body, 503)
            else:
                response = make_response(*error_response(503, message))
            response.headers["Retry-After"] = str(RETRY_AFTER_S)
            return response
        log.warning("the payment service refused %s %s: %s", request.method, request.path, exc.message)
        message = f"The payment service refused the request: {exc.message}"
        if wants_html():
            return render_template("error.html", code=502, title="Payment service", message=message), 502
        return error_response(502, message)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded):
        wait = exc.limit.limit.get_expiry()
        message = f"Too many tries: wait {_in_words(wait)} and try again (the limit is {exc.limit.limit})."
        if wants_html():
            response = make_response(render_template("error.html", code=429, title="Slow down", message=message), 429)
        else:
            response = make_response(*error_response(429, message))
        response.headers["Retry-After"] = str(wait)
        return response

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if wants_html():
            return render_template(
                "error.html", code=exc.code, title=exc.name, message=exc.description
            ), exc.code or 500
        # flask-smorest's abort() carries field errors in exc.data; keep them.
        data = getattr(exc, "data", None) or {}
        body = {"code": exc.code, "status": exc.name, "message": data.get("message") or exc.description}
        errors = data.get("errors") or data.get("messages")  # webargs calls them messages
        json_errors = errors.get("json") if isinstance(errors, dict) else None
        if isinstance(json_errors, list) and json_errors and str(json_errors[0]).startswith("Invalid JSON body"):
            detail = str(json_errors[0]).removeprefix("Invalid JSON body").strip(":. ")
            body["message"] = "The request body is not valid JSON" + (f": {detail}." if detail else ".")
        if errors:
            body["errors"] = errors
        response = jsonify(body)
        response.status_code = exc.code or 500
        for name, value in (data.get("headers") or {}).items():
            response.headers[name] = value
        if exc.code == 401:
            response.headers.setdefault("WWW-Authenticate", 'Bearer realm="floorboard"')
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if is_temporary(exc):
            return _unavailable(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_html():
            return render_template(
                "error.html", code=500, title="Something went wrong", message="It has been logged."
            ), 500
        return error_response(500, "Something went wrong on our side. It has been logged.")


def _unavailable(exc: Exception):
    """The database is briefly unavailable (down, restarting, a lock or statement timeout): a 503
    with Retry-After, so clients and load balancers come back, and nothing was half-done, since the
    unit of work rolled back."""
    kind = type(getattr(exc, "orig", None) or exc).__name__  # the driver's error, e.g. OperationalError
    _outage_log.log(
        logging.WARNING, kind, f"database unavailable on {request.method} {request.path}: {describe(exc)}; answered 503"
    )
    message = f"The service is briefly unavailable. Try again in {RETRY_AFTER_S} seconds."
    if wants_html():
        response = make_response(
            render_template("error.html", code=503, title="Try again in a moment", message=message), 503
        )
    else:
        response = make_response(*error_response(503, message))
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def wants_html() -> bool:
    """Web pages get HTML errors; the API, webhooks and operational endpoints get JSON."""
    return (
        not request.path.startswith(("/api/", "/webhooks/", "/healthz", "/readyz", "/metrics"))
        and request.accept_mimetypes.accept_html
    )


def refuse(status: int, message: str) -> NoReturn:
    """flask-smorest's abort(), which raises, typed so the checker knows it never returns."""
    abort(status, message=message)
    raise AssertionError("abort() returned")


def _in_words(seconds: int) -> str:
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size:
            n = round(seconds / size)
            return ("an " if unit == "hour" else "a ") + unit if n == 1 else f"{n} {unit}s"
    return f"{seconds} seconds"

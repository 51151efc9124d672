"""Rate limits on signing in, signing up and posting (flask-limiter).

Counters are kept per client address and, for sign-in, per email, so a password-guessing run is
stopped without locking out everyone behind one address. They live in process memory by default
(`floorboard dev`, one process); with RATELIMIT_STORAGE_URI (e.g. redis://127.0.0.1:6379/0) they
live in that shared store, so every gunicorn worker draws on the same counters: 10 failed sign-ins
in total, not 10 per worker. `floorboard serve` warns when it runs several workers without one. Sign-in
counts failures only, across the web form and the API together; signup counts every attempt (a
submission: opening a form never counts), posting every task posted. The
limits are app config, so an operator can tune them: RATELIMIT_LOGIN, RATELIMIT_SIGNUP,
RATELIMIT_POSTING, RATELIMIT_TIPS, RATELIMIT_MESSAGES, RATELIMIT_TWO_FACTOR.
"""

from __future__ import annotations

import os
import time

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage


class SweptMemoryStorage(MemoryStorage):
    """`limits`' memory storage, without a thread per request. The stock one starts a 10 ms timer
    thread to sweep expired counters whenever none is running, so under load nearly every limited
    request started a thread. A counter's expiry is checked when it is read anyway, so the sweep
    only frees memory: here it runs on the request's own thread, at most once a second."""

    STORAGE_SCHEME = ["floorboard-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._swept_at = time.monotonic()

    def _MemoryStorage__schedule_expiry(self) -> None:  # the stock storage's private hook, replaced
        now = time.monotonic()
        if now - self._swept_at >= 1.0:
            self._swept_at = now
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]  # the stock sweep


DEFAULTS = {
    "RATELIMIT_LOGIN": "10 per minute",
    "RATELIMIT_SIGNUP": "20 per hour",
    "RATELIMIT_POSTING": "30 per minute",
    "RATELIMIT_TIPS": "10 per minute",
    "RATELIMIT_MESSAGES": "20 per minute",
    "RATELIMIT_TWO_FACTOR": "",  # wrong two-factor codes per account (api/web/two_factor.py); empty: RATELIMIT_LOGIN
    "RATELIMIT_STORAGE_URI": "floorboard-memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # flask-limiter would set Retry-After on every limited response, to its window's reset; the
    # app sets Retry-After itself where it means it (a 429, a 503 while the database is away).
    "RATELIMIT_HEADER_RETRY_AFTER": "X-RateLimit-Retry-After",
}


def _scope() -> str:
    return f"{current_app.config['RATELIMIT_SCOPE']}:{get_remote_address()}"


def _login_key() -> str:
    body = request.get_json(silent=True) if request.is_json else request.form
    get = getattr(body, "get", None)  # a JSON list (or no body) has no email
    email = get("email", "") if get else ""
    return f"{_scope()}:{str(email).strip().lower()[:254]}"


def _user_key() -> str:
    user = g.get("user") or g.get("web_user")
    return f"{_scope()}:user:{user.id}" if user is not None else _scope()


limiter = Limiter(key_func=_scope)


def _limit(config_key: str, **kwargs):
    return limiter.limit(lambda: current_app.config[config_key], **kwargs)


# Web and API sign-in draw on one failure counter (a shared scope), so a guesser cannot double
# their tries by alternating between the form and the token endpoint.
login_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_LOGIN"],
    scope="sign-in",
    key_func=_login_key,
    deduct_when=lambda r: r.status_code in (400, 401),
)
# Every signup attempt counts, failed ones included: signup must not be a cheap way to probe. Only
# a submission is an attempt: opening the form (a GET) spends nothing.
signup_limit = _limit("RATELIMIT_SIGNUP", methods=["POST"])


def _posted(response) -> bool:
    """A posting went through: not a refusal, and not the web form's no-JavaScript preview."""
    return response.status_code < 400 and request.form.get("action") != "preview"


posting_limit = _limit("RATELIMIT_POSTING", key_func=_user_key, methods=["POST"], deduct_when=_posted)
tips_limit = _limit("RATELIMIT_TIPS", key_func=_user_key, deduct_when=lambda r: r.status_code < 400)
# Per sender, on the API and the task page alike (one key per user).
messages_limit = _limit("RATELIMIT_MESSAGES", key_func=_user_key, deduct_when=lambda r: r.status_code < 400)
# A password change refused (a wrong current password) counts like a failed sign-in, per person,
# on the page and the API together: a stolen session must not be a way to guess the password.
password_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_LOGIN"],
    scope="password-change",
    key_func=_user_key,
    deduct_when=lambda r: bool(g.get("wrong_password")),  # set by the view: the current password was wrong
)


def init_app(app) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, os.environ.get(key, value) if isinstance(value, str) else value)
    # In memory, each app instance (tests make many in one process) keeps counters of its own; in
    # a shared store, every process's app must use the same keys.
    if app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = "floorboard-memory://"  # the same store, without a thread a request
    shared = not str(app.config["RATELIMIT_STORAGE_URI"]).startswith("floorboard-memory://")
    app.config.setdefault("RATELIMIT_SCOPE", "floorboard" if shared else f"app{id(app)}")
    limiter.init_app(app)

"""What a sign-in says about where it came from, for the web and the API alike: the client's
readable name (from its User-Agent), the browser's device cookie, and the addresses account mail
links to (under the public URL, never the request's Host header: anyone sends one)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import after_this_request, request, url_for

from api.platform import platform
from marketplace.accounts.devices import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_DAYS,
    client_name,
    device_key_of_app,
    new_device_id,
)
from marketplace.accounts.models import User
from marketplace.accounts.sign_ins import API, WEB
from marketplace.db import UnitOfWork
from marketplace.notifications.sign_ins import note_sign_in

_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class AccountLinks:
    """The pages account mail sends its reader to (kinds.account_security.SecurityLinks)."""

    public_url: str

    def account_sessions(self) -> str:
        return self.public_url + url_for("web.account_sessions")

    def api_sessions(self) -> str:
        return f"GET {url_for('account_sessions.SignedIn', _external=False)}"

    def sign_in_link(self, token: str) -> str:
        return self.public_url + url_for("web_auth.sign_in_link", token=token)


def account_links() -> AccountLinks:
    return AccountLinks(platform().settings.public_url.rstrip("/"))


def request_client() -> str:
    """This request's client as people name it: "Firefox on Android", "Python Requests"."""
    return client_name(request.headers.get("User-Agent", ""))


def note_web_sign_in(unit: UnitOfWork, user: User) -> bool:
    """A browser signed in: known by its device cookie (given one now if it has none, kept for
    DEVICE_COOKIE_DAYS); a device new to the person gets them an email. True if one was written."""
    device = request.cookies.get(DEVICE_COOKIE, "")
    if not _DEVICE_ID.match(device):
        device = new_device_id()

    @after_this_request
    def _keep(response):
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=int(timedelta(days=DEVICE_COOKIE_DAYS).total_seconds()),
            httponly=True,
            samesite="Lax",
            secure=platform().settings.https_only,
        )
        return response

    return note_sign_in(unit, account_links(), user, "web:" + device, request_client(), WEB)


def note_api_sign_in(unit: UnitOfWork, user: User) -> bool:
    """An app asked for a token: known by its User-Agent (an app keeps no cookie)."""
    agent = request.headers.get("User-Agent", "")
    return note_sign_in(unit, account_links(), user, device_key_of_app(agent), request_client(), API)

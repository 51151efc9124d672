"""Access to the process's Platform (engine, outbox, transport) from inside a request."""

from __future__ import annotations

from flask import current_app

from marketplace.bootstrap import Platform


def platform() -> Platform:
    return current_app.extensions["floorboard"]


def uow():
    return platform().uow()
